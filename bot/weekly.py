"""The channel's best of the week: what its people reacted to most, then the week's overall top.

A subscription with a weekly day gets this on that day at its usual time (delivered through the
same ledger as the daily digest, as its own kind); `/hot week` shows it on demand. The week is
the seven days up to the moment it is made. The overall top ranks the papers announced in those
seven days by their engagement, with neither the age factor nor the growth bonus of the daily
hot score: a recap of what the week talked about most, not of what is hottest right now.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import islice

from bot.channel_signal import CHANNEL, ChannelSignals
from bot.config import HotRanking
from bot.models import Digest, RankedPaper, Selection
from bot.rank import Scored, explain, growth_cutoff, score_hot, score_totals, select
from bot.service import HotPapersService

__all__ = ["FAVOURITES_TITLE", "OVERALL_TITLE", "WEEK", "Weekly", "WeeklyDigests"]

WEEK = timedelta(days=7)
FAVOURITES_TITLE = "This channel's favourites of the week"
OVERALL_TITLE = "The week's top papers"
_KEEP = 4  # weeks' overall rankings kept (a fan-out on one day reuses one)


@dataclass(frozen=True)
class Weekly:
    """A channel's week: its most reacted-to papers (with counts) and the week's overall top."""

    favourites: Digest
    overall: Digest

    @property
    def digests(self) -> tuple[Digest, ...]:
        """What to show, in order: the favourites (when the channel reacted to any), the top."""
        return (self.favourites, self.overall) if self.favourites.papers else (self.overall,)

    @property
    def arxiv_ids(self) -> tuple[str, ...]:
        """Every paper shown, in order."""
        return tuple(p.paper.arxiv_id for d in self.digests for p in d.papers)


def _people(count: int) -> str:
    """'1 person', '3 people'."""
    return f"{count} {'person' if count == 1 else 'people'}"


def favourite(rank: int, item: RankedPaper, people: int) -> RankedPaper:
    """A paper as the channel's favourite: its score is how many people here reacted to it."""
    return replace(
        item,
        rank=rank,
        score=float(people),
        breakdown={CHANNEL: float(people)},
        explanation=f"{_people(people)} here reacted",
        details={CHANNEL: f"{_people(people)} reacted here this week"},
    )


class WeeklyDigests:
    """Makes weekly digests from the service's store and the channels' reactions."""

    def __init__(self, service: HotPapersService, signals: ChannelSignals) -> None:
        """Rank through the service's store and settings; count through signals."""
        self.service = service
        self.signals = signals
        self._lock = threading.Lock()
        self._overall: dict[tuple[date, int], list[Scored]] = {}

    @property
    def _hot(self) -> HotRanking:
        """The hot ranking's settings without the growth bonus: the week's totals."""
        return self.service.config.ranking.hot.model_copy(update={"growth_weight": 0.0})

    def week(self, channel: str, selection: Selection, *, day: date, end: datetime) -> Weekly:
        """The week up to end, for a digest of day: the channel's favourites, the overall top."""
        favourites = self._favourites(channel, selection.top or 10, end)
        overall = self._top(selection, day, end)
        hydrated = self.service.hydrate([*favourites, *overall], "hot")
        return Weekly(
            self._digest(day, end, FAVOURITES_TITLE, hydrated[: len(favourites)]),
            self._digest(day, end, OVERALL_TITLE, hydrated[len(favourites) :]),
        )

    def _digest(self, day: date, end: datetime, title: str, papers: list[RankedPaper]) -> Digest:
        """A titled digest of the week."""
        return Digest(
            day=day,
            ranking="hot",
            generated_at=end,
            papers=tuple(papers),
            sources=tuple(sorted({s for p in papers for s in p.breakdown})),
            missing_sources=tuple(sorted(self.service.failing_sources())),
            started_at=end,
            title=title,
        )

    def _favourites(self, channel: str, top: int, end: datetime) -> list[RankedPaper]:
        """The papers most people in the channel reacted to this week, most first."""
        counts = self.signals.most_reacted(channel, end - WEEK, end, top)
        papers = self.service.store.papers_by_id(a for a, _ in counts)
        bare = (RankedPaper(0, papers[a], 0.0, {}, "") for a, _ in counts if a in papers)
        people = dict(counts)
        return [favourite(i, p, people[p.paper.arxiv_id]) for i, p in enumerate(bare, 1)]

    def _top(self, selection: Selection, day: date, end: datetime) -> list[RankedPaper]:
        """The week's papers with the most engagement that pass the channel's filter."""
        ranked = self._ranked(day, end)
        return select(self._explained(ranked, selection, end), selection)

    def _ranked(self, day: date, end: datetime) -> list[Scored]:
        """The papers announced in the seven days up to day, by undecayed engagement (cached)."""
        store = self.service.store
        key = (day, store.generation())
        with self._lock:
            found = self._overall.get(key)
        if found is not None:
            return found
        hot = self._hot
        since, until = day - timedelta(days=6), day + timedelta(days=1)
        totals = store.hot_totals(
            since, until, growth_cutoff(end, hot), weights=hot.weights, growth_weight=0.0,
            metrics=hot.signal_metrics,
        )  # fmt: skip
        ranked = score_totals(totals, dict.fromkeys(totals), hot, end)  # None: no age factor
        with self._lock:
            self._overall[key] = ranked
            for old in sorted(self._overall)[:-_KEEP]:
                del self._overall[old]
        return ranked

    def _explained(
        self, ranked: list[Scored], selection: Selection, end: datetime
    ) -> Iterator[RankedPaper]:
        """The ranked papers with their undecayed breakdowns, loaded a chunk at a time."""
        store, hot = self.service.store, self._hot
        cutoff = growth_cutoff(end, hot)
        step = max(selection.top or 50, 1) * 2
        items = iter(ranked)
        while chunk := list(islice(items, step)):
            ids = [s.arxiv_id for s in chunk]
            papers = store.papers_by_id(ids)
            tallies = store.post_tallies(None, None, cutoff, ids)
            tallies += store.signal_tallies(None, None, cutoff, hot.signal_metrics, ids)
            scored = {s.arxiv_id: s for s in score_hot(tallies, dict.fromkeys(ids), hot, end)}
            for item in chunk:
                paper = papers.get(item.arxiv_id)
                if paper is not None:
                    yield explain(scored.get(item.arxiv_id, item), paper)
