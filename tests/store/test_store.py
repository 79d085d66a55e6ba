"""The SQLite store: idempotent upserts, observation history, search and windows."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bot.store import Store
from tests.factories import NOW, paper, post, signal


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
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reobserved_posts_keep_their_history_and_latest_counts_win() -> None:
    store = Store()
    store.ingest(posts=[post(likes=5)], seen_at=NOW)
    store.ingest(posts=[post(likes=50, observed_at=NOW + timedelta(hours=2))], seen_at=NOW)
    # An older observation arriving late is history, not the latest value.
    store.ingest(posts=[post(likes=1, observed_at=NOW - timedelta(hours=2))], seen_at=NOW)
    history = [p.likes for p in store.iter_post_observations()]
    assert history == [1, 5, 50]
    store.ingest(papers=[paper()], seen_at=NOW)
    (item,) = store.post_engagement(None, None, NOW + timedelta(hours=1))
    assert item.post.likes == 50
    assert item.baseline == 5 + 10  # reposts + likes at the cutoff


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
    assert list(store.papers(date(2026, 11, 26), None)) == []


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
    assert set(store.papers(date(2026, 11, 25), date(2026, 11, 27))) == {"2611.00002", "2611.00003"}
    assert len(store.papers()) == 3


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


def test_signal_engagement_reports_latest_value_and_baseline() -> None:
    store = Store()
    store.ingest(papers=[paper()], seen_at=NOW)
    store.ingest(signals=[signal(value=3, observed_at=NOW - timedelta(days=2))], seen_at=NOW)
    store.ingest(signals=[signal(value=40)], seen_at=NOW)
    (item,) = store.signal_engagement(None, None, NOW - timedelta(days=1))
    assert (item.signal.value, item.baseline) == (40, 3)


def test_data_version_changes_on_every_write() -> None:
    store = Store()
    before = store.data_version()
    store.ingest(papers=[paper()], seen_at=NOW)
    assert store.data_version() != before


def test_shown_papers_are_remembered_per_channel() -> None:
    store = Store()
    store.mark_shown("discord:1", ["2611.00001"], NOW)
    assert store.shown_since("discord:1", NOW - timedelta(days=1)) == {"2611.00001"}
    assert store.shown_since("discord:2", NOW - timedelta(days=1)) == frozenset()
    assert store.shown_since("discord:1", NOW + timedelta(seconds=1)) == frozenset()
