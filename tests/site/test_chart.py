"""Chart geometry from time series, and the SVG the template draws from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.site.chart import (
    Series,
    chart,
    combine,
    cumulative,
    downsample,
    nice_ceiling,
    short_number,
    sparkline,
)
from bot.site.render import environment

T0 = datetime(2026, 11, 24, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def draw(series: Series, ident: str = "c1") -> str:
    laid = chart(series, ident=ident)
    assert laid is not None
    return str(environment().get_template("_chart.html").module.chart(laid))  # type: ignore[attr-defined]


def test_cumulative_turns_gains_into_running_totals_one_point_per_moment() -> None:
    gains = [(at(0), 5.0), (at(0), 3.0), (at(4), 2.0), (at(8), 0.0)]
    assert cumulative(gains) == [(at(0), 8.0), (at(4), 10.0), (at(8), 10.0)]


def test_downsample_keeps_the_ends_and_each_slices_latest_value() -> None:
    points = [(at(h), float(h)) for h in range(1000)]
    sampled = downsample(points, 50)
    assert len(sampled) <= 50
    assert sampled[0] == points[0] and sampled[-1] == points[-1]
    assert [v for _, v in sampled] == sorted(v for _, v in sampled)
    assert downsample(points[:10], 50) == points[:10]


def test_combine_sums_weighted_step_series_at_every_moment() -> None:
    series = {"a": [(at(0), 10.0), (at(2), 20.0)], "b": [(at(1), 100.0)]}
    assert combine(series, {"a": 1.0, "b": 0.5}) == [(at(0), 10.0), (at(1), 60.0), (at(2), 70.0)]
    assert combine(series, {}) == [(at(0), 0.0), (at(1), 0.0), (at(2), 0.0)]


def test_axis_maxima_are_numbers_people_read() -> None:
    assert [nice_ceiling(v) for v in (0, 0.3, 7, 12, 21, 240, 999, 1001)] == [
        1.0, 0.5, 10.0, 20.0, 25.0, 250.0, 1000.0, 2000.0,
    ]  # fmt: skip
    assert [short_number(v) for v in (0, 12, 2.5, 1234, 2_500_000)] == [
        "0", "12", "2.5", "1.2k", "2.5M",
    ]  # fmt: skip


def test_a_chart_spans_the_plot_box_with_one_dot_per_observation() -> None:
    series = Series("X", "reposts + likes", tuple((at(4 * i), 100.0 * i) for i in range(12)))
    laid = chart(series, ident="x")
    assert laid is not None
    xs = [x for x, _ in laid.dots]
    ys = [y for _, y in laid.dots]
    assert xs[0] == laid.left and xs[-1] == laid.width - laid.right
    assert ys == sorted(ys, reverse=True)  # growing engagement climbs the chart
    assert len(laid.dots) == 12 and laid.path.startswith(f"M{laid.left:g} ")
    assert [label for _, label in laid.grid] == ["0", "1k", "2k"]
    assert "0 on 2026-11-24 00:00 UTC" in laid.desc and "1.1k on 2026-11-25 20:00 UTC" in laid.desc


def test_an_empty_series_draws_nothing_and_a_single_point_a_short_mark() -> None:
    assert chart(Series("X", "likes", ()), ident="e") is None
    one = chart(Series("X", "likes", ((at(0), 5.0),)), ident="o")
    assert one is not None and len(one.dots) == 1 and "H" in one.path
    assert sparkline([], label="none") is None
    assert sparkline([(at(0), 5.0)], label="one observation is no line") is None


def test_the_svg_is_labelled_for_screen_readers_and_escapes_its_text() -> None:
    svg = draw(Series('<script>alert(1)</script>"', "x&y", ((at(0), 1.0), (at(5), 3.0))), "p1")
    assert '<svg class="chart"' in svg and 'role="img"' in svg
    assert 'aria-labelledby="p1-t p1-d"' in svg and '<title id="p1-t">' in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "x&amp;y" in svg
    assert svg.count("<circle") == 2 and '<path class="line c0" d="M' in svg


def test_a_sparkline_ends_on_its_latest_value() -> None:
    spark = sparkline([(at(0), 0.0), (at(10), 50.0), (at(20), 100.0)], label="engagement")
    assert spark is not None
    assert spark.end == (118.0, 3.0)  # right edge, top of the box: the maximum
