"""The shared service: windows, caching, channel memory and lookups."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.config import Config
from bot.ids import InvalidArxivIdError
from bot.service import HotPapersService, UnknownPaperError
from bot.store import Store
from tests.factories import NOW, paper, post, signal


def service(store: Store) -> HotPapersService:
    return HotPapersService(store, Config(), clock=lambda: NOW)


def stocked() -> Store:
    store = Store()
    store.ingest(
        papers=[
            paper("2611.00001"),
            paper("2611.00002", categories=("cs.CV",)),
            paper("2610.00003", announced=date(2026, 10, 1)),  # outside the 7-day window
        ],
        posts=[
            post("1", ("2611.00001",), source="hackernews", reposts=0, likes=100),
            post("2", ("2611.00002",), source="hackernews", reposts=0, likes=50),
            post("3", ("2610.00003",), source="hackernews", reposts=0, likes=900),
        ],
        signals=[signal("2611.00002", 80)],
        seen_at=NOW,
    )
    return store


def test_hot_digest_ranks_the_window_and_names_contributing_sources() -> None:
    digest = service(stocked()).digest()
    assert [p.paper.arxiv_id for p in digest.papers] == ["2611.00002", "2611.00001"]
    assert digest.sources == ("hackernews", "huggingface")
    assert digest.ranking == "hot" and digest.day == NOW.date()


def test_top_filters_by_category() -> None:
    digest = service(stocked()).top(5, "cs.CV")
    assert [p.paper.arxiv_id for p in digest.papers] == ["2611.00002"]


def test_a_channel_is_not_shown_the_same_paper_twice_within_repeat_days() -> None:
    svc = service(stocked())
    first = svc.digest(channel="slack:C1")
    svc.mark_shown("slack:C1", first)
    assert svc.digest(channel="slack:C1").papers == ()
    assert len(svc.digest(channel="slack:C2").papers) == 2
    assert len(svc.digest(channel="slack:C1", repeat_days=0).papers) == 2


def test_the_cached_ranking_is_refreshed_when_the_store_changes() -> None:
    store = stocked()
    svc = service(store)
    assert svc.top(1).papers[0].paper.arxiv_id == "2611.00002"
    store.ingest(
        posts=[post("1", ("2611.00001",), source="hackernews", reposts=0, likes=5000)], seen_at=NOW
    )
    assert svc.top(1).papers[0].paper.arxiv_id == "2611.00001"


def test_a_past_day_is_ranked_as_of_that_day() -> None:
    svc = service(stocked())
    old = svc.digest(day=date(2026, 10, 1))
    assert [p.paper.arxiv_id for p in old.papers] == ["2610.00003"]


def test_paper_lookup_accepts_urls_and_explains_the_score() -> None:
    found = service(stocked()).paper("https://arxiv.org/abs/2611.00002v2")
    assert found.paper.arxiv_id == "2611.00002"
    assert found.explanation.startswith(f"{found.score:.0f} = HF")


def test_paper_lookup_distinguishes_bad_ids_from_unknown_papers() -> None:
    svc = service(stocked())
    with pytest.raises(InvalidArxivIdError):
        svc.paper("not an id")
    with pytest.raises(UnknownPaperError):
        svc.paper("2611.99999")


def test_an_older_paper_is_explained_with_its_cooled_score() -> None:
    found = service(stocked()).paper("2610.00003")
    assert found.score > 0
    assert found.explanation == f"{found.score:.0f} = HN {found.score:.0f} (on 2026-10-01)"
    assert found.details["hackernews"].startswith("900 points")


def test_a_known_paper_nobody_talks_about_has_a_zero_score() -> None:
    store = stocked()
    store.ingest(papers=[paper("2611.00009")], seen_at=NOW)
    assert service(store).paper("2611.00009").score == 0


def test_whole_store_mode_ranks_everything_as_of_the_newest_observation() -> None:
    svc = HotPapersService(
        stocked(), Config(), clock=lambda: NOW + timedelta(days=900), whole_store=True
    )
    assert svc.now() == NOW
    assert {p.paper.arxiv_id for p in svc.digest(ranking="seed").papers} == {
        "2611.00001",
        "2611.00002",
        "2610.00003",
    }


def test_the_window_order_from_weighted_totals_agrees_with_each_papers_breakdown() -> None:
    store = stocked()
    store.ingest(
        posts=[
            post(str(n), ("2611.00001",), source="bluesky", reposts=n, likes=n) for n in range(9)
        ],
        signals=[signal("2611.00001", 30)],
        seen_at=NOW,
    )
    digest = service(store).digest()
    scores = [p.score for p in digest.papers]
    assert scores == sorted(scores, reverse=True)
    for item in digest.papers:
        assert item.score == pytest.approx(sum(item.breakdown.values()), abs=0.2)
    assert set(digest.papers[0].breakdown) == {"bluesky", "hackernews", "huggingface"}


def test_digests_name_the_sources_whose_last_fetch_failed() -> None:
    svc = HotPapersService(stocked(), Config(), clock=lambda: NOW, failing_sources=lambda: ("x",))
    assert svc.digest().missing_sources == ("x",)
