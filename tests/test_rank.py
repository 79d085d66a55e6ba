"""Ranking: the 2021 blog's seed score, the explainable hot score, and digest selection."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.config import HotRanking, SeedRanking
from bot.models import PostEngagement, Selection, SignalEngagement
from bot.rank import format_score, rank_hot, rank_seed, select
from tests.factories import NOW, paper, post, signal

SEED = SeedRanking()
HOT = HotRanking(weights={"huggingface": 1.0, "hackernews": 1.0, "bluesky": 0.5, "x": 0.1})


def engaged(*posts, baseline=None):  # type: ignore[no-untyped-def]
    """Post engagements for each linked paper."""
    return [PostEngagement(a, p, baseline) for p in posts for a in p.arxiv_ids]


def test_seed_scores_reposts_plus_likes_summed_over_every_source() -> None:
    papers = {"2611.00001": paper("2611.00001")}
    posts = engaged(
        post("1", ("2611.00001",), reposts=30, likes=10, replies=500, quotes=500),
        post("2", ("2611.00001",), source="bluesky", reposts=5, likes=6),
    )
    (ranked,) = rank_seed(papers, posts, SEED)
    assert ranked.score == 51
    assert (ranked.reposts, ranked.likes) == (35, 16)
    assert ranked.breakdown == {"x": 40, "bluesky": 11}


def test_seed_lists_papers_at_the_threshold_and_drops_those_below() -> None:
    papers = {i: paper(i) for i in ("2611.00001", "2611.00002")}
    posts = engaged(
        post("1", ("2611.00001",), reposts=25, likes=25),
        post("2", ("2611.00002",), reposts=24, likes=25),
    )
    assert [r.paper.arxiv_id for r in rank_seed(papers, posts, SEED)] == ["2611.00001"]


def test_seed_orders_by_score_and_numbers_from_one() -> None:
    papers = {i: paper(i) for i in ("2611.00001", "2611.00002", "2611.00003")}
    posts = engaged(
        post("1", ("2611.00001",), reposts=60, likes=0),
        post("2", ("2611.00002",), reposts=600, likes=0),
        post("3", ("2611.00003",), reposts=100, likes=0),
    )
    ranked = rank_seed(papers, posts, SEED)
    assert [(r.rank, r.paper.arxiv_id) for r in ranked] == [
        (1, "2611.00002"),
        (2, "2611.00003"),
        (3, "2611.00001"),
    ]


def test_seed_shows_only_posts_scoring_25_or_more_best_first_at_most_ten() -> None:
    papers = {"2611.00001": paper("2611.00001")}
    many = [post(str(i), reposts=0, likes=25 + i) for i in range(12)]
    weak = post("weak", reposts=12, likes=12)
    (ranked,) = rank_seed(papers, engaged(*many, weak), SEED)
    assert [p.post_id for p in ranked.posts] == [str(i) for i in range(11, 1, -1)]


def test_seed_can_list_a_paper_with_no_post_worth_showing() -> None:
    papers = {"2611.00001": paper("2611.00001")}
    posts = engaged(*(post(str(i), reposts=10, likes=10) for i in range(3)))
    (ranked,) = rank_seed(papers, posts, SEED)
    assert ranked.score == 60 and ranked.posts == ()


def test_seed_thresholds_are_configurable() -> None:
    papers = {"2611.00001": paper("2611.00001")}
    posts = engaged(post("1", reposts=5, likes=5))
    config = SeedRanking(min_score=10, min_post_score=10)
    (ranked,) = rank_seed(papers, posts, config)
    assert len(ranked.posts) == 1


def test_hot_breakdown_names_each_source_and_sums_to_the_score() -> None:
    fresh = paper("2611.00001", announced=NOW.date(), published=NOW - timedelta(hours=6))
    posts = engaged(
        post("hn", source="hackernews", reposts=0, likes=48, created_at=NOW - timedelta(days=3)),
        post("bs", source="bluesky", reposts=10, likes=56, created_at=NOW - timedelta(days=3)),
    )
    signals = [SignalEngagement(signal(value=61), 61)]
    (ranked,) = rank_hot({fresh.arxiv_id: fresh}, posts, signals, HOT, NOW)
    assert set(ranked.breakdown) == {"huggingface", "hackernews", "bluesky"}
    assert ranked.score == pytest.approx(sum(ranked.breakdown.values()), abs=0.05)
    assert ranked.explanation.startswith(f"{format_score(ranked.score)} = HF ")
    assert "HN" in ranked.explanation and "Bluesky" in ranked.explanation
    assert ranked.details["huggingface"] == "61 upvotes"


def test_hot_sources_without_data_or_weight_contribute_nothing() -> None:
    p = paper("2611.00001", announced=NOW.date())
    posts = engaged(post("r", source="mastodon", reposts=100, likes=100))
    assert rank_hot({p.arxiv_id: p}, posts, [], HOT, NOW) == []
    posts = engaged(post("hn", source="hackernews", reposts=0, likes=10))
    (ranked,) = rank_hot({p.arxiv_id: p}, posts, [], HOT, NOW)
    assert list(ranked.breakdown) == ["hackernews"]


def test_hot_cools_older_papers_by_the_half_life() -> None:
    new = paper("2611.00001", announced=NOW.date())
    old = paper("2611.00002", announced=NOW.date() - timedelta(days=3), published=None)
    posts = engaged(
        post("1", ("2611.00001",), source="hackernews", reposts=0, likes=100),
        post("2", ("2611.00002",), source="hackernews", reposts=0, likes=100),
    )
    config = HotRanking(weights={"hackernews": 1.0}, half_life_hours=36)
    ranked = {
        r.paper.arxiv_id: r.score
        for r in rank_hot({new.arxiv_id: new, old.arxiv_id: old}, posts, [], config, NOW)
    }
    assert ranked["2611.00001"] > ranked["2611.00002"]
    # 3 days = 72 h = two half-lives, plus the 12 h since midnight on both.
    assert ranked["2611.00002"] / ranked["2611.00001"] == pytest.approx(0.25, rel=0.01)


def test_hot_rewards_recent_growth_over_the_same_total() -> None:
    growing = paper("2611.00001", announced=NOW.date())
    steady = paper("2611.00002", announced=NOW.date())
    old_post = NOW - timedelta(days=5)
    posts = [
        PostEngagement(
            "2611.00001",
            post(
                "1", ("2611.00001",), source="hackernews", reposts=0, likes=100, created_at=old_post
            ),
            10,
        ),
        PostEngagement(
            "2611.00002",
            post(
                "2", ("2611.00002",), source="hackernews", reposts=0, likes=100, created_at=old_post
            ),
            100,
        ),
    ]
    config = HotRanking(weights={"hackernews": 1.0}, growth_weight=1.0)
    ranked = rank_hot({growing.arxiv_id: growing, steady.arxiv_id: steady}, posts, [], config, NOW)
    assert [r.paper.arxiv_id for r in ranked] == ["2611.00001", "2611.00002"]
    assert ranked[0].details["hackernews"] == "100 points, +90 new"


def test_hot_counts_a_post_first_seen_after_the_cutoff_as_all_growth() -> None:
    p = paper("2611.00001", announced=NOW.date())
    posts = engaged(
        post("1", source="hackernews", reposts=0, likes=10, created_at=NOW - timedelta(hours=1))
    )
    config = HotRanking(weights={"hackernews": 1.0}, half_life_hours=1e9)
    (ranked,) = rank_hot({p.arxiv_id: p}, posts, [], config, NOW)
    assert ranked.score == pytest.approx(20.0)


def test_hot_ignores_signal_metrics_that_are_not_counted_but_keeps_their_links() -> None:
    p = paper("2611.00001", announced=NOW.date())
    stars = signal(metric="github_stars", value=5000, url="https://github.com/a/b")
    upvotes = signal(value=7, url="https://huggingface.co/papers/2611.00001")
    signals = [SignalEngagement(stars, 5000), SignalEngagement(upvotes, 7)]
    (ranked,) = rank_hot({p.arxiv_id: p}, [], signals, HOT, NOW)
    assert ranked.details == {"huggingface": "7 upvotes"}
    assert ranked.links == {
        "code": "https://github.com/a/b",
        "HF": "https://huggingface.co/papers/2611.00001",
    }


def _ranked_three():  # type: ignore[no-untyped-def]
    papers = {
        "2611.00001": paper("2611.00001", categories=("cs.LG",), title="Diffusion models"),
        "2611.00002": paper("2611.00002", categories=("cs.CV", "cs.LG"), title="Vision"),
        "2611.00003": paper("2611.00003", categories=("math.CO",), abstract="Graphs and DIFFUSION"),
    }
    posts = engaged(
        post("1", ("2611.00001",), reposts=300, likes=0),
        post("2", ("2611.00002",), reposts=200, likes=0),
        post("3", ("2611.00003",), reposts=100, likes=0),
    )
    return rank_seed(papers, posts, SEED)


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


def test_format_score_reads_like_a_person_would_write_it() -> None:
    assert [format_score(v) for v in (142.4, 9.25, 3.0, 0.0)] == ["142", "9.2", "3", "0"]
    assert date(2026, 1, 1)  # keep the import honest for readers of the window tests
