"""The service that scheduled jobs, the CLI and chat commands share: rank, select, look up."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING

from bot.channel_signal import boosted, channel_scored
from bot.config import Config
from bot.ids import normalize_arxiv_id
from bot.models import Digest, Paper, RankedPaper, Ranking, Selection
from bot.rank import (
    Scored,
    explain,
    growth_cutoff,
    link_labels,
    score_hot,
    score_seed,
    score_totals,
    select,
    with_surges,
)
from bot.rankcache import RankingCache, Ready
from bot.store import Store
from bot.timeutil import Clock, utcnow

if TYPE_CHECKING:
    from bot.channel_signal import ChannelSignals
    from bot.trending import TrendingReads

__all__ = ["HotPapersService", "UnknownPaperError"]

# Today's ranking is recomputed when this old even if nothing was ingested: the age factor and
# the growth window move slowly with the clock.
MAX_AGE = timedelta(minutes=5)

Key = tuple[Ranking, date]
Filter = tuple[Ranking, Selection]  # a filter's cards: its selection without the top-N cut
Rankings = RankingCache[Key, list[Scored], Filter, RankedPaper]
Ranked = Ready[list[Scored], Filter, RankedPaper]
_CHUNK = 250  # papers explained at a time when a digest has no top-N cut


class UnknownPaperError(LookupError):
    """The id is well formed but the paper is not in the store."""


class HotPapersService:
    """Ranks the store's papers into digests and answers lookups; no chat platform knowledge."""

    def __init__(
        self,
        store: Store,
        config: Config,
        clock: Clock = utcnow,
        *,
        whole_store: bool = False,
        failing_sources: Callable[[], Collection[str]] | None = None,
        channel_signals: ChannelSignals | None = None,
        trending: TrendingReads | None = None,
    ) -> None:
        """Use the store and config; whole_store ranks everything (snapshots) with no window.

        failing_sources names the sources whose last fetch failed, for digests to say so;
        channel_signals holds what each channel reacted to, for its own digests and /hot;
        trending finds the papers that grew in the growth window, whatever their age (none:
        no paper is trending again).
        """
        self.store = store
        self.config = config
        self.clock = clock
        self.whole_store = whole_store
        self.failing_sources = failing_sources or (lambda: ())
        self.channel_signals = channel_signals
        self.trending = trending
        self._rankings: Rankings = RankingCache(max_age=MAX_AGE, warm=self._warm)

    # -- ranking ---------------------------------------------------------------------------

    def now(self) -> datetime:
        """The ranking's "now": the clock, or the newest observation for a whole-store snapshot."""
        if self.whole_store:
            return self.store.latest_observation() or self.clock()
        return self.clock()

    def today(self) -> date:
        """The digest day the clock is in (UTC)."""
        return self.now().date()

    def window(self, ranking: Ranking, day: date) -> tuple[date | None, date | None]:
        """The announcement window a ranking looks at for a digest of day."""
        if self.whole_store:
            return (None, None)
        days = (
            self.config.ranking.seed.window_days
            if ranking == "seed"
            else self.config.ranking.hot.window_days
        )
        return (day - timedelta(days=days - 1), day + timedelta(days=1))

    def _as_of(self, day: date) -> datetime:
        """The ranking's moment for a day: now, or the end of a past day."""
        now = self.now()
        if day < now.date():
            return datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
        return now

    def ranked(self, ranking: Ranking, day: date | None = None) -> list[Scored]:
        """Every scored paper for a day (default today), of the newest ingested data."""
        return self._ready(ranking, day or self.today(), wait=True).value

    def _ready(self, ranking: Ranking, day: date, *, wait: bool) -> Ranked:
        """The ranking of a day: computed once per ingest generation (see bot.rankcache).

        wait=False (a chat command) takes any ready ranking and lets a stale one be
        recomputed in the background; wait=True (a digest) gets the newest data's.
        """
        now = self._as_of(day)
        return self._rankings.get(
            (ranking, day),
            self.store.generation(),
            now,
            self._computer(ranking, day),
            moving=now.date() == day,
            wait=wait,
        )

    def _computer(self, ranking: Ranking, day: date) -> Callable[[datetime], list[Scored]]:
        """What ranks a day as of a moment."""
        return lambda at: self._compute(ranking, day, at)

    def _cards(self, ready: Ranked, ranking: Ranking, selection: Selection) -> list[RankedPaper]:
        """The top of a ready ranking for a filter, hydrated once per ranking and filter."""
        cards = ready.cards.get(
            (ranking, replace(selection, top=None)),
            selection.top,
            lambda: self.hydrate(self._pick(ready.value, selection, ready.at), ranking),
        )
        return list(cards)

    def _warm(self, ready: Ranked, filters: list[tuple[Filter, int | None]]) -> None:
        """Build a recomputed ranking's cards for the filters its predecessor served."""
        for (ranking, selection), top in filters:
            self._cards(ready, ranking, replace(selection, top=top))

    def refresh(self, warm: Iterable[tuple[Ranking, Selection]] = ()) -> None:
        """Recompute today's rankings that new data or time made stale, and swap them in.

        Run in the background (after a fetch, and every minute by `hotpapers run`) so that
        chat commands and digests find a ready ranking; warm names filters to hydrate too.
        """
        day, generation = self.today(), self.store.generation()
        wanted = [(r, s) for r, s in warm]
        keys = {key for key in self._rankings.ready() if key[1] == day}
        keys |= {("hot", day), (self.config.ranking.default, day)} | {(r, day) for r, _ in wanted}
        for ranking, _ in sorted(keys):
            now = self._as_of(day)
            self._rankings.refresh((ranking, day), generation, now, self._computer(ranking, day))
        for ranking, selection in wanted:
            self._cards(self._ready(ranking, day, wait=True), ranking, selection)

    def settle(self, timeout: float | None = None) -> None:
        """Wait for rankings being recomputed in the background (tests, benchmarks)."""
        self._rankings.settle(timeout)

    def close(self) -> None:
        """Stop the background ranking thread."""
        self._rankings.close()

    def _compute(self, ranking: Ranking, day: date, now: datetime) -> list[Scored]:
        """Score the window from the store: seed from post tallies, hot from weighted totals."""
        since, until = self.window(ranking, day)
        hot = self.config.ranking.hot
        cutoff = growth_cutoff(now, hot)
        if ranking == "seed":
            return score_seed(
                self.store.post_tallies(since, until, cutoff), self.config.ranking.seed
            )
        totals = self.store.hot_totals(
            since,
            until,
            cutoff,
            weights=hot.weights,
            growth_weight=hot.growth_weight,
            metrics=hot.signal_metrics,
        )
        ranked = score_totals(totals, self.store.births(since, until), hot, now)
        return with_surges(ranked, self._surges(now))

    def _surges(self, now: datetime) -> list[Scored]:
        """The papers trending again: any age, surging in the growth window (bot.trending)."""
        hot = self.config.ranking.hot
        if self.trending is None or not hot.trending_again:
            return []
        ids = self.trending.growing(
            growth_cutoff(now, hot), hot.signal_metrics, hot.weights, hot.surge_min_gain
        )
        births = self.store.births_of(ids)  # papers not in the store yet are not ranked
        scored = self._scored([a for a in ids if a in births], births, now)
        return [s for s in scored.values() if s.surge is not None]

    def _detailed(self, chunk: list[Scored], now: datetime) -> dict[str, Scored]:
        """Hot scores with their per-source breakdown, for a few papers about to be shown."""
        ids = [s.arxiv_id for s in chunk]
        births = self.store.births_of(ids)
        return self._scored(ids, {arxiv_id: births.get(arxiv_id) for arxiv_id in ids}, now)

    def _scored(
        self, ids: list[str], born: dict[str, datetime | None], now: datetime
    ) -> dict[str, Scored]:
        """These papers' hot scores from their tallies: as papers, or as surges if larger."""
        if not ids:
            return {}
        hot = self.config.ranking.hot
        cutoff = growth_cutoff(now, hot)
        tallies = self.store.post_tallies(None, None, cutoff, ids)
        tallies += self.store.signal_tallies(None, None, cutoff, hot.signal_metrics, ids)
        starts = None
        if self.trending is not None and hot.trending_again:
            starts = self.trending.surge_starts(ids, cutoff, hot.signal_metrics)
        return {s.arxiv_id: s for s in score_hot(tallies, born, hot, now, starts)}

    def _pick(
        self, scored: Iterable[Scored], selection: Selection, now: datetime
    ) -> list[RankedPaper]:
        """The top N scored papers that pass the filter."""
        return select(self._explained(scored, selection, now), selection)

    def _explained(
        self, scored: Iterable[Scored], selection: Selection, now: datetime
    ) -> Iterator[RankedPaper]:
        """Scored papers explained in order, loading papers a chunk at a time as they are read."""
        step = max(_CHUNK if selection.top is None else selection.top, 1) * 2
        items = iter(scored)
        while window := list(islice(items, step)):
            chunk = [s for s in window if s.arxiv_id not in selection.exclude_ids]
            papers = self.store.papers_by_id(s.arxiv_id for s in chunk)
            bare = [s for s in chunk if not s.breakdown]  # ordered by totals: explain them now
            detailed = self._detailed(bare, now) if bare else {}
            for item in chunk:
                paper = papers.get(item.arxiv_id)
                if paper is not None:
                    yield explain(detailed.get(item.arxiv_id, item), paper)

    def _channel_terms(
        self, ranking: Ranking, channel: str | None, weight: float, ranked: list[Scored],
        now: datetime,
    ) -> Iterable[Scored] | None:  # fmt: skip
        """The shared ranking with this channel's own term added to the papers it reacted to.

        Only the channel's few papers are scored again (with their full breakdown) and merged
        into the shared order, so a thousand channels still share one ranking. None when the
        channel adds nothing (no weight, no reactions): the shared cards serve it.
        """
        if self.channel_signals is None or not channel or weight <= 0 or ranking != "hot":
            return None
        hot = self.config.ranking.hot
        since = now - timedelta(days=hot.window_days)
        interest = self.channel_signals.interest(channel, since, now, hot.half_life_hours)
        if not interest:
            return None
        detailed = self._detailed([Scored(a, 0.0, {}, {}, {}) for a in interest], now)
        mine = {
            a: channel_scored(detailed.get(a) or Scored(a, 0.0, {}, {}, {}), i, weight)
            for a, i in interest.items()
        }
        return boosted(ranked, {a: s for a, s in mine.items() if s.score > hot.min_score})

    def hydrate(self, ranked: list[RankedPaper], ranking: Ranking) -> list[RankedPaper]:
        """Attach the posts to show and extra links, for the few papers actually shown."""
        ids = [r.paper.arxiv_id for r in ranked]
        if ranking == "seed":
            seed = self.config.ranking.seed
            posts = self.store.top_posts(ids, seed.min_post_score, seed.max_posts)
        else:
            posts = self.store.top_posts(ids, 0, self.config.ranking.hot.max_posts)
        links = self.store.signal_links(ids)
        return [
            replace(
                r,
                posts=posts[r.paper.arxiv_id],
                links=link_labels(links.get(r.paper.arxiv_id, [])),
            )
            for r in ranked
        ]

    # -- digests ---------------------------------------------------------------------------

    def default_selection(self, ranking: Ranking) -> Selection:
        """The configured default filter; the seed ranking lists every paper over its threshold."""
        cfg = self.config.digest
        return Selection(
            top=None if ranking == "seed" else cfg.top,
            include_categories=cfg.categories,
            exclude_categories=cfg.exclude_categories,
            keywords=cfg.keywords,
            min_score=cfg.min_score,
        )

    def digest(
        self,
        *,
        day: date | None = None,
        ranking: Ranking | None = None,
        selection: Selection | None = None,
        channel: str | None = None,
        repeat_days: int | None = None,
        request: bool = False,
        channel_weight: float = 0.0,
    ) -> Digest:
        """The digest for a day: ranked, filtered, and without papers the channel saw recently.

        request: asked by someone waiting (a chat command): the ranking ready now is used
        while a newer one is computed in the background; otherwise the newest data's is.
        channel_weight > 0 (hot ranking) adds the channel's own reactions to its papers' scores:
        the shared ranking is re-scored for this channel's papers and cut here, not cached.
        """
        ranking = ranking or self.config.ranking.default
        day = day or self.today()
        selection = selection or self.default_selection(ranking)
        days = self.config.digest.repeat_days if repeat_days is None else repeat_days
        if channel and days > 0:
            seen = self.store.shown_since(channel, self.now() - timedelta(days=days))
            selection = replace(selection, exclude_ids=selection.exclude_ids | seen)
        ready = self._ready(ranking, day, wait=not request)
        mine = self._channel_terms(ranking, channel, channel_weight, ready.value, ready.at)
        if mine is None:
            papers = self._cards(ready, ranking, selection)
        else:
            papers = self.hydrate(self._pick(mine, selection, ready.at), ranking)
        sources = sorted({s for p in papers for s in p.breakdown})
        return Digest(
            day=day,
            ranking=ranking,
            generated_at=self.now(),
            papers=tuple(papers),
            sources=tuple(sources),
            missing_sources=tuple(sorted(self.failing_sources())),
            started_at=None if self.whole_store else self.now(),
        )

    def top(
        self,
        count: int,
        category: str | None = None,
        *,
        channel: str | None = None,
        channel_weight: float = 0.0,
    ) -> Digest:
        """The hot list now, as /hot answers it (in a channel: with its own term, if weighted)."""
        selection = Selection(top=count, include_categories=(category,) if category else ())
        return self.digest(
            selection=selection,
            ranking="hot",
            channel=channel,
            repeat_days=0,  # /hot shows what is hot, whatever the channel was shown
            request=True,
            channel_weight=channel_weight,
        )

    def mark_shown(self, channel: str, digest: Digest) -> None:
        """Remember what a channel was shown so later digests do not repeat it."""
        self.store.mark_shown(channel, (p.paper.arxiv_id for p in digest.papers), self.now())

    # -- lookups ---------------------------------------------------------------------------

    def paper(self, query: str) -> RankedPaper:
        """One paper by id or URL, with its hot score breakdown (0 when nobody talks about it).

        Raises InvalidArxivIdError for text that is no arXiv id, UnknownPaperError when unknown.
        """
        arxiv_id = normalize_arxiv_id(query)
        paper = self.store.get_paper(arxiv_id)
        if paper is None:
            raise UnknownPaperError(f"arXiv:{arxiv_id} is not in the store yet")
        today = self._ready("hot", self.today(), wait=False)
        for item in today.value:
            if item.arxiv_id == arxiv_id:
                detailed = self._detailed([item], today.at).get(arxiv_id, item)
                return self.hydrate([explain(detailed, paper, 1)], "hot")[0]
        # An older paper has cooled to nothing today: explain its score as of its own day.
        day = paper.announced or (paper.published.date() if paper.published else None)
        if day is not None and day < today.at.date():
            then = self._ready("hot", day, wait=True)
            for item in then.value:
                if item.arxiv_id == arxiv_id:
                    ranked = explain(self._detailed([item], then.at).get(arxiv_id, item), paper, 1)
                    explained = f"{ranked.explanation} (on {day.isoformat()})"
                    return self.hydrate([replace(ranked, explanation=explained)], "hot")[0]
        return _unranked(paper)

    def score_now(self, arxiv_id: str) -> RankedPaper | None:
        """A stored paper's hot score now with its breakdown and links, ranking nothing else.

        Unlike paper(), which places the paper in its window's ranking, this reads only the
        paper's own tallies: a page per paper costs the same for any paper. None if unknown.
        """
        paper = self.store.get_paper(arxiv_id)
        if paper is None:
            return None
        now = self.now()
        detailed = self._detailed([Scored(arxiv_id, 0.0, {}, {}, {})], now).get(arxiv_id)
        ranked = explain(detailed, paper, 1) if detailed else _unranked(paper)
        return self.hydrate([ranked], "hot")[0]

    def search(self, words: str, limit: int = 10) -> list[Paper]:
        """Full-text search over stored titles and abstracts."""
        return self.store.search(words, limit=limit) if words.strip() else []


def _unranked(paper: Paper) -> RankedPaper:
    """A paper with no engagement in the current window."""
    return RankedPaper(rank=1, paper=paper, score=0.0, breakdown={}, explanation="0")
