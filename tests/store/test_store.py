"""The SQLite store: idempotent upserts, observation history, search and windows."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlite_utils import Database

from bot.entities import Entities, Entity
from bot.store import Store
from bot.store.core import quote_fts
from tests.factories import DISCORD, DISCORD_2, NOW, paper, post, signal


def test_ingesting_the_same_data_twice_changes_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.db")
    batch = dict(papers=[paper()], posts=[post()], signals=[signal()])
    store.ingest(**batch, seen_at=NOW)
    before = store.counts(), list(store.iter_post_observations()), store.get_paper("2611.00001")
    store.ingest(**batch, seen_at=NOW + timedelta(hours=1))
    after = store.counts(), list(store.iter_post_observations()), store.get_paper("2611.00001")
    assert before == after
    assert before[0] == {"papers": 1, "posts": 1, "post_observations": 1, "signals": 1}


def test_store_uses_wal_mode_on_disk(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.db")
    assert store.query_one("PRAGMA journal_mode") == {"journal_mode": "wal"}


def test_reobserved_posts_keep_their_history_and_latest_counts_win() -> None:
    store = Store()
    store.ingest(posts=[post(likes=5)], seen_at=NOW)
    store.ingest(posts=[post(likes=50, observed_at=NOW + timedelta(hours=2))], seen_at=NOW)
    # An older observation arriving late is history, not the latest value.
    store.ingest(posts=[post(likes=1, observed_at=NOW - timedelta(hours=2))], seen_at=NOW)
    history = [p.likes for p in store.iter_post_observations()]
    assert history == [1, 5, 50]
    store.ingest(papers=[paper()], seen_at=NOW)
    (tally,) = store.post_tallies(None, None, NOW - timedelta(hours=1))
    assert (tally.likes, tally.reposts, tally.posts) == (50, 10, 1)


def test_growth_is_measured_from_one_window_before_the_newest_observation() -> None:
    store = Store(growth_window=timedelta(hours=24))
    store.ingest(papers=[paper()], seen_at=NOW)
    old = NOW - timedelta(days=3)
    store.ingest(
        posts=[post(reposts=0, likes=10, observed_at=NOW - timedelta(hours=30), created_at=old)],
        seen_at=NOW,
    )
    store.ingest(
        posts=[post(reposts=0, likes=25, observed_at=NOW - timedelta(hours=2), created_at=old)],
        seen_at=NOW,
    )
    store.ingest(posts=[post(reposts=0, likes=40, observed_at=NOW, created_at=old)], seen_at=NOW)
    (tally,) = store.post_tallies(None, None, NOW - timedelta(hours=24))
    assert (tally.level, tally.growth) == (40, 30)  # baseline: the 30-hours-old observation
    # Numbers last observed before the cutoff are not recent growth.
    (stale,) = store.post_tallies(None, None, NOW + timedelta(hours=1))
    assert stale.growth == 0


def test_a_post_first_seen_recently_counts_entirely_as_growth_only_if_it_is_new() -> None:
    store = Store()
    store.ingest(papers=[paper()], seen_at=NOW)
    store.ingest(
        posts=[post("new", reposts=1, likes=9, created_at=NOW - timedelta(hours=3))], seen_at=NOW
    )
    store.ingest(
        posts=[post("old", reposts=0, likes=5, created_at=NOW - timedelta(days=9))], seen_at=NOW
    )
    (tally,) = store.post_tallies(None, None, NOW - timedelta(hours=24))
    assert (tally.level, tally.growth, tally.posts) == (15, 10, 2)


def test_top_posts_returns_the_best_posts_over_a_threshold_with_their_links() -> None:
    store = Store()
    store.ingest(
        posts=[
            post("a", ("2611.00001", "2611.00002"), reposts=20, likes=20),
            post("b", reposts=1, likes=1),
            post("c", reposts=50, likes=50),
        ],
        seen_at=NOW,
    )
    found = store.top_posts(["2611.00001", "2611.00009"], min_score=25, limit=10)
    assert [p.post_id for p in found["2611.00001"]] == ["c", "a"]
    assert found["2611.00001"][1].arxiv_ids == ("2611.00001", "2611.00002")
    assert found["2611.00009"] == ()
    assert len(store.top_posts(["2611.00001"], 0, 1)["2611.00001"]) == 1


def test_a_newer_version_replaces_the_paper_and_an_older_one_does_not() -> None:
    store = Store()
    store.ingest(papers=[paper(version=2, title="Second")], seen_at=NOW)
    store.ingest(papers=[paper(version=1, title="First")], seen_at=NOW)
    assert store.get_paper("2611.00001").title == "Second"  # type: ignore[union-attr]
    store.ingest(papers=[paper(version=3, title="Third")], seen_at=NOW)
    assert store.get_paper("2611.00001").title == "Third"  # type: ignore[union-attr]


def test_a_replacement_announcement_keeps_the_first_announcement_day() -> None:
    store = Store()
    store.ingest(papers=[paper(announced=date(2026, 11, 20))], seen_at=NOW)
    store.ingest(papers=[paper(version=2, announced=date(2026, 11, 26))], seen_at=NOW)
    assert store.get_paper("2611.00001").announced == date(2026, 11, 20)  # type: ignore[union-attr]
    assert list(store.births(date(2026, 11, 26), None)) == []


def test_window_selects_papers_by_announcement_day() -> None:
    store = Store()
    store.ingest(
        papers=[
            paper("2611.00001", announced=date(2026, 11, 24)),
            paper("2611.00002", announced=date(2026, 11, 25)),
            paper("2611.00003", announced=None, published=NOW),
        ],
        seen_at=NOW,
    )
    assert set(store.births(date(2026, 11, 25), date(2026, 11, 27))) == {"2611.00002", "2611.00003"}
    assert len(store.births(None, None)) == 3


def test_full_text_search_finds_words_in_titles_and_abstracts_and_survives_syntax() -> None:
    store = Store()
    store.ingest(
        papers=[
            paper("2611.00001", title="Diffusion transformers at scale"),
            paper("2611.00002", abstract="A note on sparse attention."),
        ],
        seen_at=NOW,
    )
    assert [p.arxiv_id for p in store.search("diffusion")] == ["2611.00001"]
    assert [p.arxiv_id for p in store.search("sparse attention")] == ["2611.00002"]
    assert store.search('"unbalanced AND (OR') == []


@given(st.text(alphabet=st.sampled_from('ab "\t\nNOT()*:^'), max_size=30))
def test_search_quotes_text_exactly_as_sqlite_utils_does(query: str) -> None:
    assert quote_fts(query) == Database(memory=True).quote_fts(query)


def test_signal_tallies_report_the_latest_value_and_its_growth() -> None:
    store = Store()
    store.ingest(papers=[paper(published=NOW - timedelta(days=5))], seen_at=NOW)
    store.ingest(signals=[signal(value=3, observed_at=NOW - timedelta(days=2))], seen_at=NOW)
    store.ingest(
        signals=[signal(value=40, url="https://huggingface.co/papers/2611.00001")], seen_at=NOW
    )
    store.ingest(
        signals=[signal(value=1, observed_at=NOW - timedelta(days=3))], seen_at=NOW
    )  # late
    store.ingest(
        signals=[signal(metric="github_stars", value=900, url="https://github.com/x/y")],
        seen_at=NOW,
    )
    (tally,) = store.signal_tallies(None, None, NOW - timedelta(days=1), ["upvotes"])
    assert (tally.level, tally.growth, tally.metric) == (40, 37, "upvotes")
    assert store.signal_links(["2611.00001"]) == {
        "2611.00001": [
            ("huggingface", "github_stars", "https://github.com/x/y"),
            ("huggingface", "upvotes", "https://huggingface.co/papers/2611.00001"),
        ]
    }


def test_data_version_changes_on_every_write() -> None:
    store = Store()
    before = store.data_version()
    store.ingest(papers=[paper()], seen_at=NOW)
    assert store.data_version() != before


def test_shown_papers_are_remembered_per_channel() -> None:
    store = Store()
    store.mark_shown(DISCORD, ["2611.00001"], NOW)
    assert store.shown_since(DISCORD, NOW - timedelta(days=1)) == {"2611.00001"}
    assert store.shown_since(DISCORD_2, NOW - timedelta(days=1)) == frozenset()
    assert store.shown_since(DISCORD, NOW + timedelta(seconds=1)) == frozenset()


def test_post_entities_are_stored_and_read_back() -> None:
    entities = Entities(
        (Entity("mentions", 0, 4, value="ada"), Entity("hashtags", 5, 8, value="ml"))
    )
    store = Store(":memory:")
    store.ingest([paper()], [post(text="@ada #ml", entities=entities)], seen_at=NOW)
    (shown,) = store.top_posts(["2611.00001"], 0, 5)["2611.00001"]
    assert shown.entities == entities
    assert next(store.iter_post_observations()).entities == entities


def test_the_ingest_generation_moves_with_ingests_only_and_across_processes(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "h.db")
    other = Store(tmp_path / "h.db")  # another process's view of the same file
    start = store.generation()
    store.ingest(papers=[paper()], posts=[post()], seen_at=NOW)
    assert store.generation() == other.generation() == start + 1
    store.mark_shown(DISCORD, ["2611.00001"], NOW)  # no ranking input changed
    with store.transaction() as tx:
        tx.execute("UPDATE store_meta SET key = key")
    assert other.generation() == start + 1
    other.ingest(signals=[signal()], seen_at=NOW)
    assert store.generation() == start + 2
