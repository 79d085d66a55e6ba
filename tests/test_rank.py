"""Ranking: the 2021 blog's seed score, the explainable hot score, and digest selection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import HotRanking, SeedRanking
from bot.models import Paper, RankedPaper, Selection, Tally
from bot.rank import (
    Scored,
    explain,
    format_score,
    link_labels,
    renumber,
    score_hot,
    score_seed,
    select,
)
from tests.factories import NOW, paper

SEED = SeedRanking()
HOT = HotRanking(weights={"huggingface": 1.0, "hackernews": 1.0, "bluesky": 0.5, "x": 0.1})


def rank_seed(
    papers: dict[str, Paper], tallies: list[Tally], config: SeedRanking
) -> list[RankedPaper]:
    """Score, then explain the known papers, numbered."""
    return renumber(
        explain(s, papers[s.arxiv_id]) for s in score_seed(tallies, config) if s.arxiv_id in papers
    )


def rank_hot(
    papers: dict[str, Paper], tallies: list[Tally], config: HotRanking, now: Any
) -> list[RankedPaper]:
    """Score with each paper's announcement as its birth, then explain."""
    born = {
        a: (datetime.combine(p.announced, datetime.min.time(), UTC) if p.announced else p.published)
        for a, p in papers.items()
    }
    return renumber(explain(s, papers[s.arxiv_id]) for s in score_hot(tallies, born, config, now))


def posts(arxiv_id: str, source: str = "x", reposts: int = 0, likes: int = 0, **kw: Any) -> Tally:
    """A source's post tally for a paper."""
    return Tally(
        arxiv_id, source, float(reposts + likes), reposts=reposts, likes=likes, posts=1, **kw
    )


def upvotes(arxiv_id: str, value: float, **kw: Any) -> Tally:
    """Hugging Face upvotes for a paper."""
    return Tally(arxiv_id, "huggingface", value, metric="upvotes", **kw)


def test_seed_scores_reposts_plus_likes_summed_over_every_source() -> None:
    papers = {"2611.00001": paper("2611.00001")}
    tallies = [posts("2611.00001", "x", 30, 10), posts("2611.00001", "bluesky", 5, 6)]
    (ranked,) = rank_seed(papers, tallies, SEED)
    assert ranked.score == 51
    assert (ranked.reposts, ranked.likes) == (35, 16)
    assert ranked.breakdown == {"x": 40, "bluesky": 11}
    assert ranked.explanation == "51 = X 40 + Bluesky 11"


def test_seed_ignores_paper_level_signals() -> None:
    papers = {"2611.00001": paper("2611.00001")}
    assert (
        rank_seed(papers, [posts("2611.00001", likes=20), upvotes("2611.00001", 500)], SEED) == []
    )


def test_seed_lists_papers_at_the_threshold_and_drops_those_below() -> None:
    papers = {i: paper(i) for i in ("2611.00001", "2611.00002")}
    tallies = [posts("2611.00001", reposts=25, likes=25), posts("2611.00002", reposts=24, likes=25)]
    assert [r.paper.arxiv_id for r in rank_seed(papers, tallies, SEED)] == ["2611.00001"]
    lower = SeedRanking(min_score=49)
    assert len(rank_seed(papers, tallies, lower)) == 2


def test_seed_orders_by_score_and_numbers_from_one() -> None:
    papers = {i: paper(i) for i in ("2611.00001", "2611.00002", "2611.00003")}
    tallies = [
        posts("2611.00001", likes=60),
        posts("2611.00002", likes=600),
        posts("2611.00003", likes=100),
    ]
    ranked = rank_seed(papers, tallies, SEED)
    assert [(r.rank, r.paper.arxiv_id) for r in ranked] == [
        (1, "2611.00002"),
        (2, "2611.00003"),
        (3, "2611.00001"),
    ]


def test_hot_skips_papers_the_store_does_not_know() -> None:
    assert score_hot([posts("2611.00001", "hackernews", likes=500)], {}, HOT, NOW) == []


def test_scores_carry_what_explain_needs_without_the_paper() -> None:
    (scored,) = score_seed([posts("2611.00001", "x", 40, 20)], SEED)
    assert scored == Scored("2611.00001", 60.0, {"x": 60.0}, {"x": 60.0}, {}, 40, 20, None)


def test_hot_breakdown_names_each_source_and_sums_to_the_score() -> None:
    fresh = paper("2611.00001", announced=NOW.date())
    tallies = [
        posts("2611.00001", "hackernews", likes=48),
        posts("2611.00001", "bluesky", reposts=10, likes=56),
        upvotes("2611.00001", 61),
    ]
    (ranked,) = rank_hot({fresh.arxiv_id: fresh}, tallies, HOT, NOW)
    assert set(ranked.breakdown) == {"huggingface", "hackernews", "bluesky"}
    assert ranked.score == pytest.approx(sum(ranked.breakdown.values()), abs=0.05)
    assert ranked.explanation.startswith(f"{format_score(ranked.score)} = HF ")
    assert "HN" in ranked.explanation and "Bluesky" in ranked.explanation
    assert ranked.details["huggingface"] == "61 upvotes"
    assert ranked.details["hackernews"] == "48 points"


def test_hot_sources_without_data_or_weight_contribute_nothing() -> None:
    p = paper("2611.00001", announced=NOW.date())
    assert rank_hot({p.arxiv_id: p}, [posts(p.arxiv_id, "mastodon", 100, 100)], HOT, NOW) == []
    tallies = [posts(p.arxiv_id, "mastodon", 100, 100), posts(p.arxiv_id, "hackernews", likes=10)]
    (ranked,) = rank_hot({p.arxiv_id: p}, tallies, HOT, NOW)
    assert list(ranked.breakdown) == ["hackernews"]


def test_hot_cools_older_papers_by_the_half_life() -> None:
    new = paper("2611.00001", announced=NOW.date())
    old = paper("2611.00002", announced=NOW.date() - timedelta(days=3))
    tallies = [
        posts("2611.00001", "hackernews", likes=100),
        posts("2611.00002", "hackernews", likes=100),
    ]
    config = HotRanking(weights={"hackernews": 1.0}, half_life_hours=36)
    scores = {
        r.paper.arxiv_id: r.score
        for r in rank_hot({new.arxiv_id: new, old.arxiv_id: old}, tallies, config, NOW)
    }
    # Three days more is two half-lives: a quarter of the heat.
    assert scores["2611.00002"] / scores["2611.00001"] == pytest.approx(0.25, rel=0.01)


def test_hot_rewards_recent_growth_over_the_same_total() -> None:
    papers = {i: paper(i, announced=NOW.date()) for i in ("2611.00001", "2611.00002")}
    tallies = [
        posts("2611.00001", "hackernews", likes=100, growth=90.0),
        posts("2611.00002", "hackernews", likes=100, growth=0.0),
    ]
    config = HotRanking(weights={"hackernews": 1.0}, growth_weight=1.0)
    ranked = rank_hot(papers, tallies, config, NOW)
    assert [r.paper.arxiv_id for r in ranked] == ["2611.00001", "2611.00002"]
    assert ranked[0].details["hackernews"] == "100 points, +90 new"
    assert ranked[0].score / ranked[1].score == pytest.approx(1.9, rel=0.01)


def test_hot_leaves_out_papers_at_or_below_min_score() -> None:
    p = paper("2611.00001", announced=NOW.date())
    config = HotRanking(weights={"hackernews": 1.0}, min_score=50, half_life_hours=1e9)
    assert rank_hot({p.arxiv_id: p}, [posts(p.arxiv_id, "hackernews", likes=50)], config, NOW) == []
    assert (
        len(rank_hot({p.arxiv_id: p}, [posts(p.arxiv_id, "hackernews", likes=51)], config, NOW))
        == 1
    )


def test_link_labels_name_code_repositories_and_sources() -> None:
    links = [
        ("huggingface", "github_stars", "https://github.com/a/b"),
        ("huggingface", "upvotes", "https://huggingface.co/papers/1"),
    ]
    assert link_labels(links) == {
        "code": "https://github.com/a/b",
        "HF": "https://huggingface.co/papers/1",
    }


def _ranked_three():  # type: ignore[no-untyped-def]
    papers = {
        "2611.00001": paper("2611.00001", categories=("cs.LG",), title="Diffusion models"),
        "2611.00002": paper("2611.00002", categories=("cs.CV", "cs.LG"), title="Vision"),
        "2611.00003": paper("2611.00003", categories=("math.CO",), abstract="Graphs and DIFFUSION"),
    }
    tallies = [
        posts("2611.00001", likes=300),
        posts("2611.00002", likes=200),
        posts("2611.00003", likes=100),
    ]
    return rank_seed(papers, tallies, SEED)


def test_selection_filters_by_category_include_and_exclude_and_renumbers() -> None:
    ranked = _ranked_three()
    chosen = select(ranked, Selection(include_categories=("cs.LG",), exclude_categories=("cs.CV",)))
    assert [(r.rank, r.paper.arxiv_id) for r in chosen] == [(1, "2611.00001")]
    chosen = select(ranked, Selection(include_categories=("math",)))
    assert [(r.rank, r.paper.arxiv_id) for r in chosen] == [(1, "2611.00003")]


def test_selection_filters_by_keyword_min_score_exclusions_and_top() -> None:
    ranked = _ranked_three()
    assert [r.paper.arxiv_id for r in select(ranked, Selection(keywords=("diffusion",)))] == [
        "2611.00001",
        "2611.00003",
    ]
    assert [r.paper.arxiv_id for r in select(ranked, Selection(min_score=150))] == [
        "2611.00001",
        "2611.00002",
    ]
    assert [
        r.paper.arxiv_id
        for r in select(ranked, Selection(exclude_ids=frozenset({"2611.00001"}), top=1))
    ] == ["2611.00002"]
    assert len(select(ranked, Selection(top=None))) == 3


def test_selection_reads_no_further_than_the_top_it_needs() -> None:
    ranked = _ranked_three()
    read: list[str] = []

    def lazily() -> Iterator[RankedPaper]:
        for item in ranked:
            read.append(item.paper.arxiv_id)
            yield item

    chosen = select(lazily(), Selection(include_categories=("cs.LG",), top=1))
    assert [(r.rank, r.paper.arxiv_id) for r in chosen] == [(1, "2611.00001")]
    assert read == ["2611.00001"]


def test_format_score_reads_like_a_person_would_write_it() -> None:
    assert [format_score(v) for v in (142.4, 9.25, 3.0, 0.0)] == ["142", "9.2", "3", "0"]
