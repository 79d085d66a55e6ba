"""Replay a store's time series through the ranking, refresh by refresh: evidence, not hope.

Every observation and signal of a store is ingested again, in time order, into a fresh
in-memory store, one batch per refresh (the moments the fetches observed them), and the hot
ranking is asked what it would have answered then. The report has, for each day at the digest
time, the top N and how many of them were not in the day before's (churn), which of them were
trending again and, per channel given, that channel's own top N; and, for each paper with a
known late surge, how many hours and refreshes it took from the surge's start to its entry into
the top N. `python -m bench.replay` runs it on a store file or on the synthetic scenario.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import groupby

from bot.channel_signal import ChannelSignals
from bot.config import Config
from bot.models import Digest, Paper, Signal, SocialPost
from bot.reactions import Reactions
from bot.service import HotPapersService
from bot.store import Store
from bot.trending import TrendingReads

__all__ = ["DayReport", "Report", "SurgeReport", "replay"]

Batch = tuple[list[SocialPost], list[Signal]]


@dataclass(frozen=True)
class DayReport:
    """The hot list at one day's digest time."""

    day: date
    at: datetime
    top: tuple[str, ...]
    scores: tuple[float, ...]
    trending: frozenset[str]  # the ones labelled trending again
    churn: int | None  # entries not in the previous day's top (None on the first day)
    channels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # a channel's own top


@dataclass(frozen=True)
class SurgeReport:
    """How long a paper's late surge took to reach the top N."""

    arxiv_id: str
    started: datetime
    entered: datetime | None  # the first refresh at which it was in the top N
    refreshes: int | None  # refreshes from the start to that one, counting it (1: the first)

    @property
    def hours(self) -> float | None:
        """Hours from the surge's start to its entry into the top N."""
        if self.entered is None:
            return None
        return (self.entered - self.started).total_seconds() / 3600


@dataclass(frozen=True)
class Report:
    """What the replay found: one line per day, one per watched surge."""

    top: int
    refreshes: int
    days: tuple[DayReport, ...]
    surges: tuple[SurgeReport, ...]
    titles: Mapping[str, str]

    def markdown(self) -> str:
        """The report as Markdown tables."""
        lines = [
            f"{self.refreshes} refreshes replayed; top {self.top} at each day's digest time.",
            "",
        ]
        lines += ["| day | top (trending again in **bold**) | churn |", "| --- | --- | --- |"]
        for d in self.days:
            names = ", ".join(
                f"**{self._name(a)}**" if a in d.trending else self._name(a) for a in d.top
            )
            churn = "–" if d.churn is None else str(d.churn)
            lines.append(f"| {d.day} | {names} | {churn} |")
        for channel in sorted({c for d in self.days for c in d.channels}):
            lines += ["", f"Top {self.top} in {channel} (not in the shared top in *italics*):", "",
                      "| day | top |", "| --- | --- |"]  # fmt: skip
            for d in self.days:
                shown = ", ".join(
                    self._name(a) if a in d.top else f"*{self._name(a)}*"
                    for a in d.channels.get(channel, ())
                )
                lines.append(f"| {d.day} | {shown} |")
        if self.surges:
            lines += ["", "| late surge | started | entered the top | hours | refreshes |",
                      "| --- | --- | --- | --- | --- |"]  # fmt: skip
            for s in self.surges:
                entered = f"{s.entered:%Y-%m-%d %H:%M}" if s.entered else "never"
                hours = f"{s.hours:.1f}" if s.hours is not None else "–"
                lines.append(
                    f"| {self._name(s.arxiv_id)} | {s.started:%Y-%m-%d %H:%M} | {entered}"
                    f" | {hours} | {s.refreshes if s.refreshes is not None else '–'} |"
                )
        return "\n".join(lines) + "\n"

    def _name(self, arxiv_id: str) -> str:
        """A paper as the report names it: its short title, else its id."""
        return self.titles.get(arxiv_id) or arxiv_id


def _batches(posts: Iterable[SocialPost], signals: Iterable[Signal]) -> Iterator[
    tuple[datetime, Batch]
]:  # fmt: skip
    """Observations and signals grouped by the moment they were observed, oldest first."""
    events = heapq.merge(
        ((p.observed_at, 0, p) for p in posts),
        ((s.observed_at, 1, s) for s in signals),
        key=lambda e: (e[0], e[1]),
    )
    for moment, group in groupby(events, key=lambda e: e[0]):
        batch: Batch = ([], [])
        for _, _, item in group:
            if isinstance(item, SocialPost):
                batch[0].append(item)
            elif isinstance(item, Signal):
                batch[1].append(item)
        yield moment, batch


class _Replayer:
    """The target store and the questions asked of it at each moment."""

    def __init__(
        self, config: Config, papers: Sequence[Paper], channels: Mapping[str, float],
        reactions: Iterable[Mapping[str, object]], top: int,
    ) -> None:  # fmt: skip
        window = timedelta(hours=config.ranking.hot.growth_window_hours)
        self.store = Store(growth_window=window)
        self.config = config
        self.channels = channels
        self.top = top
        self.trending = TrendingReads(self.store)
        self.signals = ChannelSignals(self.store, Reactions(self.store))
        self.signals.restore(reactions)
        first = min((p.published for p in papers if p.published), default=None)
        self.store.ingest(papers, seen_at=first or datetime.min)

    def digest(self, at: datetime, channel: str | None = None) -> Digest:
        """The top N as the ranking would have answered at a moment (in a channel, if given)."""
        service = HotPapersService(
            self.store, self.config, lambda: at, trending=self.trending,
            channel_signals=self.signals,
        )  # fmt: skip
        try:
            weight = self.channels.get(channel, 0.0) if channel else 0.0
            return service.top(self.top, channel=channel, channel_weight=weight)
        finally:
            service.close()

    def day(self, day: date, at: datetime, before: DayReport | None) -> DayReport:
        """The day's report at its digest time."""
        digest = self.digest(at)
        top = tuple(p.paper.arxiv_id for p in digest.papers)
        churn = None if before is None else len(set(top) - set(before.top))
        return DayReport(
            day=day, at=at, top=top, scores=tuple(p.score for p in digest.papers),
            trending=frozenset(p.paper.arxiv_id for p in digest.papers if p.surge),
            churn=churn,
            channels={
                c: tuple(p.paper.arxiv_id for p in self.digest(at, c).papers)
                for c in self.channels
            },
        )  # fmt: skip


def replay(
    source: Store,
    config: Config,
    *,
    digest_at: time = time(9, 0),
    surges: Mapping[str, datetime] | None = None,
    channels: Mapping[str, float] | None = None,
    top: int = 10,
    since: datetime | None = None,
) -> Report:
    """Replay the source store's time series; see the module's docstring.

    surges maps papers to the moment their known late surge started; channels maps channels
    whose reactions (as the source store holds them) count, to their channel_weight. Refreshes
    before since are ingested without asking the ranking anything.
    """
    surges, channels = dict(surges or {}), dict(channels or {})
    papers = list(source.iter_papers())
    reactions = ChannelSignals.rows(source, channels)
    replayer = _Replayer(config, papers, channels, reactions, top)
    days: list[DayReport] = []
    entered: dict[str, tuple[datetime, int]] = {}
    counted: dict[str, int] = dict.fromkeys(surges, 0)
    refreshes = 0
    next_day: datetime | None = None
    for moment, (posts, signals) in _batches(
        source.iter_post_observations(), source.iter_signals()
    ):
        if since is not None and moment < since:
            replayer.store.ingest((), posts, signals, seen_at=moment)
            continue
        if next_day is None:
            next_day = datetime.combine(moment.date(), digest_at, moment.tzinfo)
            next_day += timedelta(days=1) if next_day < moment else timedelta()
        while next_day <= moment:  # the digests due before this refresh, on the data so far
            days.append(replayer.day(next_day.date(), next_day, days[-1] if days else None))
            next_day += timedelta(days=1)
        replayer.store.ingest((), posts, signals, seen_at=moment)
        refreshes += 1
        waiting = [a for a, start in surges.items() if start <= moment and a not in entered]
        if waiting:
            shown = {p.paper.arxiv_id for p in replayer.digest(moment).papers}
            for arxiv_id in waiting:
                counted[arxiv_id] += 1
                if arxiv_id in shown:
                    entered[arxiv_id] = (moment, counted[arxiv_id])
    replayer.store.close()
    return Report(
        top=top,
        refreshes=refreshes,
        days=tuple(days),
        surges=tuple(
            SurgeReport(a, start, *entered.get(a, (None, None))) for a, start in surges.items()
        ),
        titles={p.arxiv_id: p.title for p in papers},
    )
