"""Ranking: the 2021 blog's `seed` score and the explainable `hot` score. Pure functions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.config import HotRanking, SeedRanking
from bot.models import (
    SOURCE_LABELS,
    Paper,
    PostEngagement,
    RankedPaper,
    Selection,
    SignalEngagement,
    SocialPost,
)

__all__ = ["format_score", "growth_cutoff", "rank_hot", "rank_seed", "select"]

# What one unit of each source's level is called in an explanation.
_UNITS = {"hackernews": "points", "huggingface": "upvotes"}


@dataclass
class _Tally:
    """Per-paper accumulator of one source's level and recent growth."""

    level: float = 0.0
    growth: float = 0.0


def format_score(value: float) -> str:
    """Scores as people read them: whole numbers from 10 up, one decimal below."""
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")


def growth_cutoff(now: datetime, config: HotRanking) -> datetime:
    """The moment growth is measured from."""
    return now - timedelta(hours=config.growth_window_hours)


def _best_posts(posts: Iterable[SocialPost], min_score: int, limit: int) -> tuple[SocialPost, ...]:
    """The posts to show under a paper: score at least min_score, best first, at most limit."""
    shown = [p for p in posts if p.seed_score >= min_score]
    shown.sort(key=lambda p: (-p.seed_score, p.source, p.post_id))
    return tuple(shown[:limit])


def _by_paper(posts: Iterable[PostEngagement]) -> dict[str, list[PostEngagement]]:
    """Group post engagements by the paper they link."""
    grouped: dict[str, list[PostEngagement]] = defaultdict(list)
    for item in posts:
        grouped[item.arxiv_id].append(item)
    return grouped


def _ordered(ranked: list[RankedPaper]) -> list[RankedPaper]:
    """Sort by score, then id for a stable order, and number from 1."""
    ranked.sort(key=lambda r: (-r.score, r.paper.arxiv_id))
    return [replace(r, rank=i) for i, r in enumerate(ranked, 1)]


def rank_seed(
    papers: Mapping[str, Paper], posts: Sequence[PostEngagement], config: SeedRanking
) -> list[RankedPaper]:
    """The 2021 blog: reposts + likes summed over linking posts; papers reaching min_score."""
    ranked = []
    for arxiv_id, items in _by_paper(posts).items():
        paper = papers.get(arxiv_id)
        if paper is None:
            continue
        reposts = sum(i.post.reposts for i in items)
        likes = sum(i.post.likes for i in items)
        score = reposts + likes
        if score < config.min_score:
            continue
        breakdown: dict[str, float] = defaultdict(float)
        for item in items:
            breakdown[item.post.source] += item.post.seed_score
        ranked.append(
            RankedPaper(
                rank=0,
                paper=paper,
                score=float(score),
                breakdown=dict(breakdown),
                explanation=_explain(score, breakdown),
                posts=_best_posts((i.post for i in items), config.min_post_score, config.max_posts),
                reposts=reposts,
                likes=likes,
                as_of=max(i.post.observed_at for i in items),
            )
        )
    return _ordered(ranked)


def _age_factor(paper: Paper, now: datetime, half_life_hours: float) -> float:
    """Halve a paper's heat every half-life since it was announced (or first published)."""
    born = paper.published
    if paper.announced is not None:
        born = datetime.combine(paper.announced, datetime.min.time(), now.tzinfo)
    if born is None:
        return 1.0
    age_hours = max((now - born).total_seconds() / 3600.0, 0.0)
    return float(0.5 ** (age_hours / half_life_hours))


def _new_since(created: datetime | None, cutoff: datetime) -> bool:
    """True when something first appeared after the growth cutoff, so all of it is growth."""
    return created is not None and created >= cutoff


def _tally(
    posts: Sequence[PostEngagement],
    signals: Sequence[SignalEngagement],
    papers: Mapping[str, Paper],
    config: HotRanking,
    cutoff: datetime,
) -> dict[str, dict[str, _Tally]]:
    """Level and growth per paper and source, from posts and counted signal metrics."""
    tallies: dict[str, dict[str, _Tally]] = defaultdict(lambda: defaultdict(_Tally))
    for item in posts:
        tally = tallies[item.arxiv_id][item.post.source]
        value = item.post.seed_score
        tally.level += value
        if item.baseline is not None:
            tally.growth += max(value - item.baseline, 0)
        elif _new_since(item.post.created_at, cutoff):
            tally.growth += value
    for sig in signals:
        if sig.signal.metric not in config.signal_metrics:
            continue
        tally = tallies[sig.signal.arxiv_id][sig.signal.source]
        tally.level += sig.signal.value
        paper = papers.get(sig.signal.arxiv_id)
        if sig.baseline is not None:
            tally.growth += max(sig.signal.value - sig.baseline, 0.0)
        elif paper is not None and _new_since(paper.published, cutoff):
            tally.growth += sig.signal.value
    return tallies


def _detail(source: str, tally: _Tally) -> str:
    """One source's raw numbers, e.g. '57 upvotes, +12 in 24h'."""
    unit = _UNITS.get(source, "reposts + likes")
    text = f"{format_score(tally.level)} {unit}"
    return f"{text}, +{format_score(tally.growth)} new" if tally.growth else text


def _explain(score: float, breakdown: Mapping[str, float]) -> str:
    """'142 = HF 61 + HN 48 + Bluesky 33': the score and its parts, biggest first."""
    parts = sorted(breakdown.items(), key=lambda kv: (-kv[1], kv[0]))
    terms = " + ".join(f"{SOURCE_LABELS.get(s, s)} {format_score(v)}" for s, v in parts)
    return f"{format_score(score)} = {terms}" if terms else format_score(score)


def _signal_links(signals: Sequence[SignalEngagement]) -> dict[str, dict[str, str]]:
    """Extra links per paper from signals that carry one (HF page, code repository)."""
    links: dict[str, dict[str, str]] = defaultdict(dict)
    for sig in signals:
        if sig.signal.url:
            label = (
                "code"
                if "github" in sig.signal.metric
                else SOURCE_LABELS.get(sig.signal.source, sig.signal.source)
            )
            links[sig.signal.arxiv_id].setdefault(label, sig.signal.url)
    return links


def rank_hot(
    papers: Mapping[str, Paper],
    posts: Sequence[PostEngagement],
    signals: Sequence[SignalEngagement],
    config: HotRanking,
    now: datetime,
) -> list[RankedPaper]:
    """Score = age factor x sum over sources of weight x (level + growth_weight x growth)."""
    cutoff = growth_cutoff(now, config)
    tallies = _tally(posts, signals, papers, config, cutoff)
    post_groups = _by_paper(posts)
    links = _signal_links(signals)
    ranked = []
    for arxiv_id, by_source in tallies.items():
        paper = papers.get(arxiv_id)
        if paper is None:
            continue
        factor = _age_factor(paper, now, config.half_life_hours)
        breakdown = {
            source: round(
                config.weights.get(source, 0.0)
                * (t.level + config.growth_weight * t.growth)
                * factor,
                1,
            )
            for source, t in by_source.items()
        }
        # A source with no weight or no data contributes nothing and is left out.
        breakdown = {s: v for s, v in breakdown.items() if v > 0}
        score = round(sum(breakdown.values()), 1)
        if score <= config.min_score or not breakdown:
            continue
        items = post_groups.get(arxiv_id, [])
        ranked.append(
            RankedPaper(
                rank=0,
                paper=paper,
                score=score,
                breakdown=breakdown,
                explanation=_explain(score, breakdown),
                posts=_best_posts((i.post for i in items), 0, config.max_posts),
                reposts=sum(i.post.reposts for i in items),
                likes=sum(i.post.likes for i in items),
                as_of=max((i.post.observed_at for i in items), default=None),
                details={s: _detail(s, t) for s, t in by_source.items() if s in breakdown},
                links=links.get(arxiv_id, {}),
            )
        )
    return _ordered(ranked)


def _in_any(categories: Iterable[str], wanted: Iterable[str]) -> bool:
    """Whether any category is one of wanted, where 'cs' stands for every cs.* category."""
    wanted = tuple(wanted)
    return any(c == w or c.startswith(f"{w}.") for c in categories for w in wanted)


def _matches(item: RankedPaper, selection: Selection) -> bool:
    """Whether a ranked paper passes the selection's filters."""
    paper = item.paper
    if selection.include_categories and not _in_any(paper.categories, selection.include_categories):
        return False
    if _in_any(paper.categories, selection.exclude_categories):
        return False
    if selection.min_score is not None and item.score < selection.min_score:
        return False
    if paper.arxiv_id in selection.exclude_ids:
        return False
    if selection.keywords:
        haystack = f"{paper.title}\n{paper.abstract}".casefold()
        return any(k.casefold() in haystack for k in selection.keywords)
    return True


def select(ranked: Iterable[RankedPaper], selection: Selection) -> list[RankedPaper]:
    """Top N of the ranked papers that pass the filter, renumbered from 1."""
    chosen = [r for r in ranked if _matches(r, selection)]
    if selection.top is not None:
        chosen = chosen[: selection.top]
    return [replace(r, rank=i) for i, r in enumerate(chosen, 1)]
