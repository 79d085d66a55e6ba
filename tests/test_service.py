"""The shared service: windows, caching, channel memory and lookups."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest

from bot.config import Config
from bot.ids import InvalidArxivIdError
from bot.models import Selection, SocialPost
from bot.service import MAX_AGE, HotPapersService, UnknownPaperError
from bot.store import Store
from tests.factories import NOW, SLACK, SLACK_2, paper, post, signal, snowflake


def service(store: Store) -> HotPapersService:
    return HotPapersService(store, Config(), clock=lambda: NOW)


def stocked(store: Store | None = None) -> Store:
    store = store or Store()
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
    first = svc.digest(channel=SLACK)
    svc.mark_shown(SLACK, first)
    assert svc.digest(channel=SLACK).papers == ()
    assert len(svc.digest(channel=SLACK_2).papers) == 2
    assert len(svc.digest(channel=SLACK, repeat_days=0).papers) == 2


class CountingStore(Store):
    """A store that counts the reads of ranking (whole windows) and of hydration (cards)."""

    def __init__(self) -> None:
        super().__init__()
        self.rankings = 0
        self.hydrations = 0

    def hot_totals(self, *args: Any, **kwargs: Any) -> dict[str, float]:
        self.rankings += 1
        return super().hot_totals(*args, **kwargs)

    def top_posts(self, *args: Any, **kwargs: Any) -> dict[str, tuple[SocialPost, ...]]:
        self.hydrations += 1
        return super().top_posts(*args, **kwargs)


def counting() -> CountingStore:
    store = CountingStore()
    stocked(store)
    return store


def talked_up(store: Store) -> None:
    """New engagement that makes 2611.00001 the hottest paper."""
    store.ingest(
        posts=[post("1", ("2611.00001",), source="hackernews", reposts=0, likes=5000)], seen_at=NOW
    )


def test_hot_answers_from_the_ready_ranking_and_gets_the_new_one_once_recomputed() -> None:
    store = stocked()
    svc = service(store)
    assert svc.top(1).papers[0].paper.arxiv_id == "2611.00002"
    talked_up(store)
    # Right after an ingest, /hot waits for nothing: the ready ranking answers...
    assert svc.top(1).papers[0].paper.arxiv_id == "2611.00002"
    svc.settle()  # ...while the new one is computed in the background and swapped in
    assert svc.top(1).papers[0].paper.arxiv_id == "2611.00001"


def test_a_digest_always_ranks_the_newest_ingested_data() -> None:
    store = stocked()
    svc = service(store)
    assert svc.digest().papers[0].paper.arxiv_id == "2611.00002"
    talked_up(store)
    assert svc.digest().papers[0].paper.arxiv_id == "2611.00001"


def test_writes_that_change_no_ranking_do_not_rank_again() -> None:
    store = counting()
    svc = service(store)
    first = svc.digest(channel=SLACK, repeat_days=0)
    svc.mark_shown(SLACK, first)
    with store.transaction() as tx:  # a lease renewal, a ledger row, a reaction...
        tx.execute("CREATE TABLE IF NOT EXISTS other (x)")
        tx.execute("INSERT INTO other VALUES (1)")
    assert svc.digest(channel=SLACK_2, repeat_days=0).papers == first.papers
    assert svc.top(2).papers == first.papers[:2]
    assert (store.rankings, store.hydrations) == (1, 1)
    talked_up(store)
    svc.digest()
    assert store.rankings == 2


def test_a_fan_out_ranks_and_hydrates_once_for_channels_sharing_a_filter() -> None:
    store = counting()
    svc = service(store)
    talked_up(store)
    with ThreadPoolExecutor(8) as pool:
        digests = list(
            pool.map(
                lambda n: svc.digest(channel=f"discord:{snowflake(n)}", repeat_days=1), range(64)
            )
        )
    assert all(d.papers == digests[0].papers for d in digests)
    assert (store.rankings, store.hydrations) == (1, 1)
    svc.digest(selection=Selection(top=10, include_categories=("cs.CV",)))  # another filter
    assert (store.rankings, store.hydrations) == (1, 2)


def test_a_shorter_top_is_cut_from_a_longer_one_already_hydrated() -> None:
    store = counting()
    svc = service(store)
    assert len(svc.top(25).papers) == 2  # everything the window has
    assert [p.rank for p in svc.top(1).papers] == [1]
    assert svc.top(1).papers == svc.top(25).papers[:1]
    assert store.hydrations == 1


def test_refresh_recomputes_in_advance_and_warms_the_cards_served_before() -> None:
    store = counting()
    svc = service(store)
    svc.top(5)
    talked_up(store)
    svc.refresh()
    rankings, hydrations = store.rankings, store.hydrations
    assert svc.top(5).papers[0].paper.arxiv_id == "2611.00001"  # ready, not computed now
    assert (store.rankings, store.hydrations) == (rankings, hydrations)
    svc.refresh()  # nothing new: nothing recomputed
    assert store.rankings == rankings


def test_a_ranking_ages_out_in_the_background_for_hot_and_inline_for_a_late_digest() -> None:
    store = counting()
    clock = [NOW]
    svc = HotPapersService(store, Config(), clock=lambda: clock[0])
    svc.top(5)
    clock[0] = NOW + MAX_AGE + timedelta(seconds=1)
    svc.top(5)  # answered at once; recomputed behind
    svc.settle()
    assert store.rankings == 2
    clock[0] = NOW + 10 * MAX_AGE
    svc.digest()  # too old to post from: ranked again before the digest is made
    assert store.rankings == 3


def test_rankings_and_cards_kept_are_bounded() -> None:
    store = stocked()
    svc = service(store)
    for days in range(20):
        svc.digest(day=NOW.date() - timedelta(days=days))
    assert len(svc._rankings.ready()) <= svc._rankings.keys
    for n in range(400):
        svc.digest(selection=Selection(top=3, exclude_ids=frozenset({f"x{n}"})))
    ready = svc._rankings.ready()[("hot", NOW.date())]
    assert len(ready.cards.recent(1000)) <= svc._rankings.cards


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
