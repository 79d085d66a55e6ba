"""The whole-window ranking's fast paths give exactly what the plain definitions give."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.config import HotRanking
from bot.rank import Scored, age_factor, score_totals, with_surges
from tests.factories import NOW

HOT = HotRanking(min_score=1.0)
IDS = st.sampled_from([f"2611.{n:05d}" for n in range(40)])
# Few distinct birth times, as in a window (announcement days), and papers without one.
BORN = st.one_of(st.none(), st.sampled_from([NOW - timedelta(hours=h) for h in (2, 26, 50, 98)]))
TOTALS = st.dictionaries(IDS, st.floats(0, 500, allow_nan=False))
BIRTHS = st.dictionaries(IDS, BORN)


def _order(scored: Iterable[Scored]) -> list[Scored]:
    return sorted(scored, key=lambda s: (-s.score, s.arxiv_id))


def plain_score_totals(
    totals: Mapping[str, float], born: Mapping[str, datetime | None], config: HotRanking,
    now: datetime,
) -> list[Scored]:  # fmt: skip
    """score_totals as docs/ranking.md defines it: one paper at a time, then sorted."""
    scored = []
    for arxiv_id, total in totals.items():
        if arxiv_id not in born:
            continue
        score = round(total * age_factor(born[arxiv_id], now, config.half_life_hours), 1)
        if score > config.min_score:
            scored.append(Scored(arxiv_id, score, {}, {}, {}))
    return _order(scored)


def plain_with_surges(ranked: Iterable[Scored], surges: Iterable[Scored]) -> list[Scored]:
    """with_surges as defined: each paper's larger score, the whole list sorted again."""
    merged = {s.arxiv_id: s for s in ranked}
    for surge in surges:
        known = merged.get(surge.arxiv_id)
        if known is None or surge.score > known.score:
            merged[surge.arxiv_id] = surge
    return _order(merged.values())


@given(TOTALS, BIRTHS)
def test_score_totals_is_the_plain_definition(
    totals: dict[str, float], born: dict[str, datetime | None]
) -> None:
    assert score_totals(totals, born, HOT, NOW) == plain_score_totals(totals, born, HOT, NOW)


@given(TOTALS, BIRTHS, st.lists(st.tuples(IDS, st.floats(0, 500, allow_nan=False)), max_size=8))
def test_with_surges_is_the_plain_definition(
    totals: dict[str, float], born: dict[str, datetime | None], surging: list[tuple[str, float]]
) -> None:
    ranked = score_totals(totals, born, HOT, NOW)
    surges = [Scored(a, round(s, 1), {"x": round(s, 1)}, {}, {}) for a, s in surging]
    assert with_surges(ranked, surges) == plain_with_surges(ranked, surges)
