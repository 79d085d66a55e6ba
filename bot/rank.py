"""Ranking: the 2021 blog's `seed` score and the explainable `hot` score. Pure functions.

Scoring works on per-source tallies alone, so ranking a busy week never loads a paper;
`explain` turns the few scores a digest shows into RankedPapers with their explanations.
"""

from __future__ import annotations

from bisect import insort
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import islice

from bot.config import HotRanking, SeedRanking
from bot.models import SOURCE_LABELS, Paper, RankedPaper, Selection, Surge, Tally, term_label

__all__ = [
    "Scored",
    "explain",
    "format_score",
    "growth_cutoff",
    "link_labels",
    "matches",
    "renumber",
    "score_hot",
    "score_seed",
    "score_totals",
    "select",
    "surge_score",
    "unit_of",
    "with_surges",
]

_UNBORN = datetime.min  # born.get's default for a paper the store does not know (no birth is)
# What one unit of each source's level is called in an explanation.
_UNITS = {"hackernews": "points", "huggingface": "upvotes"}


@dataclass(frozen=True, slots=True)
class Scored:
    """A paper's score and where it came from, before the paper itself is loaded."""

    arxiv_id: str
    score: float
    breakdown: dict[str, float]  # source -> contribution, summing to score
    levels: dict[str, float]  # source -> raw count behind the contribution
    growths: dict[str, float]  # source -> recent rise of that count
    reposts: int = 0
    likes: int = 0
    as_of: datetime | None = None
    surge: Surge | None = None  # set when the score is the paper's surge (trending again)


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


def _sorted(scored: list[Scored]) -> list[Scored]:
    """Highest score first, then by id for a stable order."""
    scored.sort(key=lambda s: (-s.score, s.arxiv_id))
    return scored


def _as_of(tallies: Iterable[Tally]) -> datetime | None:
    """The newest observation among tallies."""
    return max((t.as_of for t in tallies if t.as_of), default=None)


def score_seed(tallies: Iterable[Tally], config: SeedRanking) -> list[Scored]:
    """The 2021 blog: reposts + likes summed over linking posts; papers reaching min_score."""
    scored = []
    for arxiv_id, items in _by_paper(t for t in tallies if not t.is_signal).items():
        reposts = sum(t.reposts for t in items)
        likes = sum(t.likes for t in items)
        if reposts + likes < config.min_score:
            continue
        levels: dict[str, float] = defaultdict(float)
        for t in items:
            levels[t.source] += t.reposts + t.likes
        scored.append(
            Scored(
                arxiv_id,
                float(reposts + likes),
                dict(levels),
                dict(levels),
                {},
                reposts,
                likes,
                _as_of(items),
            )
        )
    return _sorted(scored)


def age_factor(born: datetime | None, now: datetime, half_life_hours: float) -> float:
    """Halve a paper's heat every half-life since it was announced (or first published)."""
    if born is None:
        return 1.0
    age_hours = max((now - born).total_seconds() / 3600.0, 0.0)
    return float(0.5 ** (age_hours / half_life_hours))


def _score_one(
    arxiv_id: str, items: list[Tally], factor: float, config: HotRanking
) -> Scored | None:
    """One paper's hot score with its per-source breakdown, or None when it scores nothing."""
    levels, growths = _sums(items)
    breakdown = {}
    for source, level in levels.items():
        weight = config.weights.get(source, 0.0)
        value = round(weight * (level + config.growth_weight * growths[source]) * factor, 1)
        if value > 0:  # a source with no weight or no data contributes nothing
            breakdown[source] = value
    score = round(sum(breakdown.values()), 1)
    if not breakdown or score <= config.min_score:
        return None
    return _scored(arxiv_id, score, breakdown, items)


def _sums(items: list[Tally]) -> tuple[dict[str, float], dict[str, float]]:
    """Per source: the level and the growth of a paper's tallies."""
    levels: dict[str, float] = defaultdict(float)
    growths: dict[str, float] = defaultdict(float)
    for t in items:
        levels[t.source] += t.level
        growths[t.source] += t.growth
    return dict(levels), dict(growths)


def _scored(
    arxiv_id: str, score: float, breakdown: dict[str, float], items: list[Tally],
    surge: Surge | None = None,
) -> Scored:  # fmt: skip
    """A paper's score with its breakdown, raw numbers and post totals."""
    levels, growths = _sums(items)
    posts = [t for t in items if not t.is_signal]
    return Scored(
        arxiv_id, score, breakdown, levels, growths, sum(t.reposts for t in posts),
        sum(t.likes for t in posts), _as_of(items), surge,
    )  # fmt: skip


def surge_score(
    arxiv_id: str, items: list[Tally], born: datetime | None, started: datetime,
    config: HotRanking, now: datetime,
) -> Scored | None:  # fmt: skip
    """A paper's heat as a surge, or None when its growth does not pass the rule.

    Heat = age_factor(since the surge started) x sum over sources of weight x growth_weight x
    growth: the growth term of the hot score, aged from the surge, not from the paper. The rule:
    the window's weighted gain reaches surge_min_gain and surge_min_ratio times the paper's
    weighted level before the window.
    """
    if not config.trending_again:
        return None
    levels, growths = _sums(items)
    weight = config.weights.get
    gain = sum(weight(s, 0.0) * g for s, g in growths.items())
    before = sum(weight(s, 0.0) * max(levels[s] - g, 0.0) for s, g in growths.items())
    if gain <= 0 or gain < config.surge_min_gain or gain < config.surge_min_ratio * before:
        return None
    factor = age_factor(started, now, config.half_life_hours)
    breakdown = {}
    for source, growth in growths.items():
        value = round(weight(source, 0.0) * config.growth_weight * growth * factor, 1)
        if value > 0:
            breakdown[source] = value
    score = round(sum(breakdown.values()), 1)
    if not breakdown or score <= config.min_score:
        return None
    surge = Surge(born, started, round(gain, 1), config.growth_window_hours)
    return _scored(arxiv_id, score, breakdown, items, surge)


def score_hot(
    tallies: Iterable[Tally],
    born: Mapping[str, datetime | None],
    config: HotRanking,
    now: datetime,
    surges: Mapping[str, datetime] | None = None,
) -> list[Scored]:
    """Score = age factor x sum over sources of weight x (level + growth_weight x growth).

    born maps each paper to its announcement (or first version) time; papers absent from it
    are unknown to the store and are not ranked. surges maps papers that grew in the window to
    when that growth was first seen: such a paper scores the larger of its heat as a paper and
    its heat as a surge (`surge_score`), and is trending again when the surge's is larger.
    """
    scored = []
    for arxiv_id, items in _by_paper(tallies).items():
        if arxiv_id not in born:
            continue
        factor = age_factor(born[arxiv_id], now, config.half_life_hours)
        one = _score_one(arxiv_id, items, factor, config)
        started = (surges or {}).get(arxiv_id)
        if started is not None:
            surge = surge_score(arxiv_id, items, born[arxiv_id], started, config, now)
            if surge is not None and (one is None or surge.score > one.score):
                one = surge
        if one is not None:
            scored.append(one)
    return _sorted(scored)


def with_surges(ranked: Iterable[Scored], surges: Iterable[Scored]) -> list[Scored]:
    """A ranking where each surging paper scores the larger of its two heats, in order.

    ranked is in order already (score_totals, score_hot): the few surges that win are taken
    out and put back in their places, rather than the whole window being sorted again.
    """
    merged = list(ranked)
    position = {s.arxiv_id: i for i, s in enumerate(merged)}
    winners: dict[str, Scored] = {}
    for surge in surges:
        known = winners.get(surge.arxiv_id)
        if known is None and surge.arxiv_id in position:
            known = merged[position[surge.arxiv_id]]
        if known is None or surge.score > known.score:
            winners[surge.arxiv_id] = surge
    if not winners:
        return merged
    kept = [s for s in merged if s.arxiv_id not in winners]
    for surge in winners.values():
        insort(kept, surge, key=_order)
    return kept


def _order(scored: Scored) -> tuple[float, str]:
    """The ranking order: highest score first, then by id."""
    return (-scored.score, scored.arxiv_id)


def score_totals(
    totals: Mapping[str, float],
    born: Mapping[str, datetime | None],
    config: HotRanking,
    now: datetime,
) -> list[Scored]:
    """Hot scores from per-paper weighted totals: the order of a whole window, cheaply.

    The breakdown is left empty; score_hot on the shown papers' tallies fills it in. A window's
    papers share a few birth times (announcement days), so each age factor is computed once;
    the order is sorted on plain (-score, id) tuples before any Scored is built.
    """
    factors: dict[datetime | None, float] = {}
    half_life, floor = config.half_life_hours, config.min_score
    order: list[tuple[float, str]] = []
    for arxiv_id, total in totals.items():
        when = born.get(arxiv_id, _UNBORN)
        if when is _UNBORN:
            continue
        factor = factors.get(when)
        if factor is None:
            factor = factors[when] = age_factor(when, now, half_life)
        score = round(total * factor, 1)
        if score > floor:
            order.append((-score, arxiv_id))
    order.sort()
    return [Scored(arxiv_id, -negative, {}, {}, {}) for negative, arxiv_id in order]


def _explanation(score: float, breakdown: Mapping[str, float]) -> str:
    """'142 = HF 61 + HN 48 + Bluesky 33': the score and its parts, biggest first."""
    parts = sorted(breakdown.items(), key=lambda kv: (-kv[1], kv[0]))
    terms = " + ".join(f"{term_label(s)} {format_score(v)}" for s, v in parts)
    return f"{format_score(score)} = {terms}" if terms else format_score(score)


def unit_of(source: str) -> str:
    """What one unit of a source's level is called: 'points', 'upvotes', 'reposts + likes'."""
    return _UNITS.get(source, "reposts + likes")


def _detail(source: str, level: float, growth: float) -> str:
    """One source's raw numbers, e.g. '57 upvotes, +12 new' (the channel's: '3 people here')."""
    if source == "channel":
        return f"{level:.0f} {'person' if level == 1 else 'people'} reacted here"
    text = f"{format_score(level)} {unit_of(source)}"
    return f"{text}, +{format_score(growth)} new" if growth else text


def explain(scored: Scored, paper: Paper, rank: int = 0) -> RankedPaper:
    """The ranked paper a digest shows, with its explanation and per-source details."""
    return RankedPaper(
        rank=rank,
        paper=paper,
        score=scored.score,
        breakdown=scored.breakdown,
        explanation=_explanation(scored.score, scored.breakdown),
        reposts=scored.reposts,
        likes=scored.likes,
        as_of=scored.as_of,
        details={
            s: _detail(s, scored.levels.get(s, 0.0), scored.growths.get(s, 0.0))
            for s in scored.breakdown
        },
        surge=scored.surge,
    )


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


def matches(item: RankedPaper, selection: Selection) -> bool:
    """Whether a ranked paper passes the selection's filters (`select` also applies top N)."""
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


def select(items: Iterable[RankedPaper], selection: Selection) -> list[RankedPaper]:
    """The first `top` items that pass the selection (all when top is None), numbered from 1.

    Items are read lazily and no further than needed, so callers may load them as they go.
    """
    return renumber(islice((item for item in items if matches(item, selection)), selection.top))


def renumber(items: Iterable[RankedPaper]) -> list[RankedPaper]:
    """Number ranked papers from 1 in their order."""
    return [replace(r, rank=i) for i, r in enumerate(items, 1)]
