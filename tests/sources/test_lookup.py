"""Which linked papers the lookup asks the arXiv API for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import Paper, Signal, SocialPost
from bot.sources.health import source_migrations
from bot.sources.lookup import MAX_ATTEMPTS, missing_ids
from bot.store import Store

T0 = datetime(2024, 2, 5, 14, 0, tzinfo=UTC)


def _post(post_id: str, ids: tuple[str, ...], at: datetime) -> SocialPost:
    return SocialPost("hackernews", post_id, f"https://hn/{post_id}", ids, at)


def test_linked_papers_missing_from_the_store_most_recent_first(store: Store) -> None:
    store.migrate(source_migrations)
    store.ingest(
        [Paper("2402.01001", "Known")],
        [
            _post("1", ("2402.01001", "2401.00001"), T0),
            _post("2", ("2401.00002",), T0 + timedelta(hours=2)),
        ],
        [Signal("huggingface", "2401.00003", "upvotes", 3, T0 + timedelta(hours=1))],
        seen_at=T0,
    )
    assert missing_ids(store, 10) == ["2401.00002", "2401.00003", "2401.00001"]
    assert missing_ids(store, 1) == ["2401.00002"]


def test_ids_missed_too_often_are_no_longer_asked(store: Store) -> None:
    store.migrate(source_migrations)
    store.ingest([], [_post("1", ("2401.00001", "2401.00002"), T0)], [], seen_at=T0)
    with store.transaction() as tx:
        tx.executemany(
            "INSERT INTO source_lookup_misses VALUES (?, ?, '2024-02-05T00:00:00Z')",
            [("2401.00001", MAX_ATTEMPTS), ("2401.00002", MAX_ATTEMPTS - 1)],
        )
    assert missing_ids(store, 10) == ["2401.00002"]


def test_ids_being_stored_in_this_run_are_excluded_before_the_limit(store: Store) -> None:
    store.migrate(source_migrations)
    ids = ("2401.00001", "2401.00002", "2401.00003")
    store.ingest([], [_post("1", ids, T0)], [], seen_at=T0)
    assert missing_ids(store, 2, exclude={"2401.00001"}) == ["2401.00002", "2401.00003"]


def test_a_paper_that_arrives_is_no_longer_a_candidate(store: Store) -> None:
    store.migrate(source_migrations)
    store.ingest([], [_post("1", ("2401.00001", "2401.00002"), T0)], [], seen_at=T0)
    store.ingest([Paper("2401.00001", "Arrived")], seen_at=T0 + timedelta(hours=1))
    assert missing_ids(store, 10) == ["2401.00002"]
    # Seen again later, a candidate moves up; a known paper linked again never comes back.
    later = T0 + timedelta(hours=3)
    store.ingest([], [_post("2", ("2401.00003",), T0 + timedelta(hours=2))], [], seen_at=T0)
    store.ingest([], [_post("3", ("2401.00002", "2401.00001"), later)], [], seen_at=later)
    assert missing_ids(store, 10) == ["2401.00002", "2401.00003"]
