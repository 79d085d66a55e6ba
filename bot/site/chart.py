"""Charts of engagement over time, laid out here and drawn as SVG by templates/_chart.html.

Pure geometry: the template (autoescaped) turns a Chart into server-rendered SVG, readable with
JavaScript off. Colours come from the stylesheet through class names (c0, c1...), never style
attributes: the Content-Security-Policy forbids inline styles, and dark mode swaps the palette.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "Chart",
    "Point",
    "Series",
    "Spark",
    "chart",
    "combine",
    "cumulative",
    "downsample",
    "nice_ceiling",
    "short_number",
    "sparkline",
]

Point = tuple[datetime, float]
MAX_POINTS = 120  # per series: enough for a smooth line, little enough to keep pages small


@dataclass(frozen=True)
class Series:
    """One line: a source's engagement (or a signal's value) at each observation."""

    label: str  # e.g. "X" or "HF"
    unit: str  # e.g. "reposts + likes" or "upvotes"
    points: tuple[Point, ...]  # in time order

    @property
    def latest(self) -> float:
        """The newest value, 0 for an empty series."""
        return self.points[-1][1] if self.points else 0.0


def cumulative(deltas: Iterable[Point]) -> list[Point]:
    """Running totals of time-ordered changes: per-post gains become the source's total."""
    total = 0.0
    points: list[Point] = []
    for moment, delta in deltas:
        total += delta
        if points and points[-1][0] == moment:
            points[-1] = (moment, total)
        else:
            points.append((moment, total))
    return points


def downsample(points: Sequence[Point], limit: int = MAX_POINTS) -> list[Point]:
    """At most limit points: the last value of each equal slice of time, first and last kept."""
    if len(points) <= limit or limit < 2:
        return list(points)
    start, end = points[0][0], points[-1][0]
    span = (end - start).total_seconds() or 1.0
    buckets: dict[int, Point] = {}
    for point in points[1:-1]:
        slot = min(int((point[0] - start).total_seconds() / span * (limit - 2)), limit - 3)
        buckets[slot] = point  # time order: the bucket keeps its latest value
    return [points[0], *(buckets[k] for k in sorted(buckets)), points[-1]]


def combine(series: Mapping[str, Sequence[Point]], weights: Mapping[str, float]) -> list[Point]:
    """The weighted sum of step series (each holds its last value until its next point)."""
    moments = sorted({moment for points in series.values() for moment, _ in points})
    current = dict.fromkeys(series, 0.0)
    cursors = dict.fromkeys(series, 0)
    combined = []
    for moment in moments:
        for name, points in series.items():
            i = cursors[name]
            while i < len(points) and points[i][0] <= moment:
                current[name] = points[i][1]
                i += 1
            cursors[name] = i
        combined.append((moment, sum(weights.get(n, 0.0) * v for n, v in current.items())))
    return combined


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above value (an axis maximum people can read)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10.0 * power


def short_number(value: float) -> str:
    """1234 as 1.2k, 2500000 as 2.5M; small numbers as they are."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _when(moment: datetime, with_time: bool) -> str:
    """An axis label: 'Nov 24' or 'Nov 24 14:00' (UTC)."""
    text = f"{moment:%b} {moment.day}"
    return f"{text} {moment:%H:%M}" if with_time else text


def _scale(points: Sequence[Point], box: tuple[float, float, float, float], top: float) -> list[
    tuple[float, float]
]:  # fmt: skip
    """Map points into the plot box (left, top, width, height); y from 0 to top."""
    left, upper, width, height = box
    start, end = points[0][0], points[-1][0]
    span = (end - start).total_seconds()
    mapped = []
    for moment, value in points:
        x = left + ((moment - start).total_seconds() / span * width if span else width / 2)
        y = upper + height - (value / top) * height
        mapped.append((round(x, 1), round(y, 1)))
    return mapped


def _step_path(xy: Sequence[tuple[float, float]]) -> str:
    """A step line: each value holds until the next observation."""
    (x0, y0), rest = xy[0], xy[1:]
    if not rest:  # one observation: a short level mark around it
        return f"M{x0 - 6:g} {y0:g}H{x0 + 6:g}"
    return f"M{x0:g} {y0:g}" + "".join(f"H{x:g}V{y:g}" for x, y in rest)


def _describe(series: Series) -> str:
    """A sentence for screen readers: where the line starts and ends."""
    (t0, v0), (t1, v1) = series.points[0], series.points[-1]
    return (
        f"{series.label} {series.unit}: {short_number(v0)} on {t0:%Y-%m-%d %H:%M} UTC, "
        f"{short_number(v1)} on {t1:%Y-%m-%d %H:%M} UTC, {len(series.points)} observations."
    )


@dataclass(frozen=True)
class Chart:
    """One panel's geometry: a step line, its observation dots, gridlines and axis labels."""

    ident: str  # unique on the page: names the SVG's title and description for aria
    title: str
    desc: str
    colour: int
    path: str
    dots: tuple[tuple[float, float], ...]
    grid: tuple[tuple[float, str], ...]  # (y, value label)
    x_labels: tuple[tuple[float, str, str], ...]  # (x, text-anchor, label)
    width: int = 640
    height: int = 180
    left: int = 44
    right: int = 12


@dataclass(frozen=True)
class Spark:
    """A word-sized line for the hot list."""

    label: str
    path: str
    end: tuple[float, float]
    width: int = 120
    height: int = 28


def chart(series: Series, *, ident: str, colour: int = 0) -> Chart | None:
    """Lay out one series as a panel, or None when it has no points."""
    if not series.points:
        return None
    width, height, left, right, upper, lower = 640, 180, 44, 12, 12, 26
    box = (left, upper, width - left - right, height - upper - lower)
    points = downsample(series.points)
    top = nice_ceiling(max(v for _, v in points))
    xy = _scale(points, box, top)
    span = (points[-1][0] - points[0][0]).total_seconds()
    with_time = span < 3 * 86400
    grid = tuple(
        (round(upper + box[3] * (1 - f), 1), short_number(top * f)) for f in (0.0, 0.5, 1.0)
    )
    labels = [(float(left), "start", _when(points[0][0], with_time))]
    if span > 0:
        labels.append((float(width - right), "end", _when(points[-1][0], with_time)))
    return Chart(
        ident=ident,
        title=f"{series.label}: {series.unit} over time",
        desc=_describe(series),
        colour=colour,
        path=_step_path(xy),
        dots=tuple(xy),
        grid=grid,
        x_labels=tuple(labels),
    )


def sparkline(points: Sequence[Point], *, label: str) -> Spark | None:
    """Lay out a paper's weighted engagement as a sparkline; None with fewer than two points."""
    if len(points) < 2:
        return None
    sampled = downsample(points, 40)
    top = max(v for _, v in sampled) or 1.0
    xy = _scale(sampled, (2, 3, 116, 22), top)
    return Spark(label=label, path=_step_path(xy), end=xy[-1])
