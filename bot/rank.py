"""Ranking: the 2021 blog's `seed` score and the explainable `hot` score. Pure functions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from bot.config import HotRanking, SeedRanking
from bot.models import SOURCE_LABELS, Paper, RankedPaper, Selection, Tally

__all__ = ["format_score", "growth_cutoff", "link_labels", "rank_hot", "rank_seed", "select"]

# What one unit of each source's level is called in an explanation.
_UNITS = {"hackernews": "points", "huggingface": "upvotes"}


def format_score(value: float) -> str:
    """Scores as people read them: whole numbers from 10 up, one decimal below."""
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")


def growth_cutoff(now: datetime, config: HotRanking) -> datetime:
    """The moment growth is measured from."""
    return now - timedelta(hours=config.growth_window_hours)


def _by_paper(tallies: Iterable[Tally]) -> dict[str, list[Tally]]:
    """Group tallies by paper."""
    grouped: dict[str, list[Tally]] = defaultdict(list)
    for tally in tallies:
        grouped[tally.arxiv_id].append(tally)
    return grouped


def _ordered(ranked: list[RankedPaper]) -> list[RankedPaper]:
    """Sort by score, then id for a stable order, and number from 1."""
    ranked.sort(key=lambda r: (-r.score, r.paper.arxiv_id))
    return [replace(r, rank=i) for i, r in enumerate(ranked, 1)]


def _explain(score: float, breakdown: Mapping[str, float]) -> str:
    """'142 = HF 61 + HN 48 + Bluesky 33': the score and its parts, biggest first."""
    parts = sorted(breakdown.items(), key=lambda kv: (-kv[1], kv[0]))
    terms = " + ".join(f"{SOURCE_LABELS.get(s, s)} {format_score(v)}" for s, v in parts)
    return f"{format_score(score)} = {terms}" if terms else format_score(score)


def _as_of(tallies: Iterable[Tally]) -> datetime | None:
    """The newest observation among tallies."""
    return max((t.as_of for t in tallies if t.as_of), default=None)


def rank_seed(
    papers: Mapping[str, Paper], tallies: Iterable[Tally], config: SeedRanking
) -> list[RankedPaper]:
    """The 2021 blog: reposts + likes summed over linking posts; papers reaching min_score."""
    ranked = []
    for arxiv_id, items in _by_paper(t for t in tallies if not t.is_signal).items():
        paper = papers.get(arxiv_id)
        reposts = sum(t.reposts for t in items)
        likes = sum(t.likes for t in items)
        if paper is None or reposts + likes < config.min_score:
            continue
        breakdown = {t.source: float(t.reposts + t.likes) for t in items}
        ranked.append(
            RankedPaper(
                rank=0,
                paper=paper,
                score=float(reposts + likes),
                breakdown=breakdown,
                explanation=_explain(reposts + likes, breakdown),
                reposts=reposts,
                likes=likes,
                as_of=_as_of(items),
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


def _detail(source: str, level: float, growth: float) -> str:
    """One source's raw numbers, e.g. '57 upvotes, +12 new'."""
    unit = _UNITS.get(source, "reposts + likes")
    text = f"{format_score(level)} {unit}"
    return f"{text}, +{format_score(growth)} new" if growth else text


def _hot_one(
    paper: Paper, items: list[Tally], config: HotRanking, now: datetime
) -> RankedPaper | None:
    """One paper's hot score with its per-source breakdown, or None when it scores nothing."""
    factor = _age_factor(paper, now, config.half_life_hours)
    level: dict[str, float] = defaultdict(float)
    growth: dict[str, float] = defaultdict(float)
    for t in items:
        level[t.source] += t.level
        growth[t.source] += t.growth
    breakdown = {
        s: round(
            config.weights.get(s, 0.0) * (level[s] + config.growth_weight * growth[s]) * factor, 1
        )
        for s in level
    }
    # A source with no weight or no data contributes nothing and is left out.
    breakdown = {s: v for s, v in breakdown.items() if v > 0}
    score = round(sum(breakdown.values()), 1)
    if not breakdown or score <= config.min_score:
        return None
    posts = [t for t in items if not t.is_signal]
    return RankedPaper(
        rank=0,
        paper=paper,
        score=score,
        breakdown=breakdown,
        explanation=_explain(score, breakdown),
        reposts=sum(t.reposts for t in posts),
        likes=sum(t.likes for t in posts),
        as_of=_as_of(items),
        details={s: _detail(s, level[s], growth[s]) for s in breakdown},
    )


def rank_hot(
    papers: Mapping[str, Paper], tallies: Iterable[Tally], config: HotRanking, now: datetime
) -> list[RankedPaper]:
    """Score = age factor x sum over sources of weight x (level + growth_weight x growth)."""
    ranked = []
    for arxiv_id, items in _by_paper(tallies).items():
        paper = papers.get(arxiv_id)
        scored = _hot_one(paper, items, config, now) if paper else None
        if scored is not None:
            ranked.append(scored)
    return _ordered(ranked)


def link_labels(links: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """Label (source, metric, url) links for display: 'code' for repositories, else the source."""
    labelled: dict[str, str] = {}
    for source, metric, url in links:
        label = "code" if "github" in metric else SOURCE_LABELS.get(source, source)
        labelled.setdefault(label, url)
    return labelled


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
