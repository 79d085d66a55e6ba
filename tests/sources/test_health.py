"""Source health in SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.sources.health import (
    load_cursor,
    read_health,
    record_failure,
    record_skip,
    record_success,
    source_migrations,
)
from bot.store import Store

T0 = datetime(2024, 2, 5, 14, 0, tzinfo=UTC)


def _store(store: Store) -> Store:
    store.migrate(source_migrations)
    store.migrate(source_migrations)  # applying twice is harmless
    return store


def test_tables_are_created_by_the_sources_migration_set(store: Store) -> None:
    _store(store)
    tables = {r["name"] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"source_health", "source_lookup_misses"} <= tables
    assert source_migrations.name == "hotpapers-sources"


def test_success_records_counts_note_and_cursor(store: Store) -> None:
    _store(store)
    cursor = {"etag": "e"}
    record_success(store, "arxiv", T0, (5, 0, 0), requests=3, dropped=1, note="l", cursor=cursor)
    health = read_health(store)["arxiv"]
    assert (health.last_status, health.last_success, health.last_note) == ("ok", T0, "l")
    assert (health.papers, health.posts, health.signals, health.requests) == (5, 0, 0, 3)
    assert health.dropped == 1
    assert (health.runs, health.failures, health.consecutive_failures) == (1, 0, 0)
    assert load_cursor(store, "arxiv") == {"etag": "e"}


def test_failures_count_up_keep_the_cursor_and_a_success_resets_the_streak(store: Store) -> None:
    _store(store)
    record_success(store, "x", T0, (0, 9, 0), requests=1, note="", cursor={"since": "s"})
    later = T0 + timedelta(hours=1)
    record_failure(store, "x", later, "HTTP 503 from x after 5 attempts", requests=5)
    record_failure(store, "x", later, "HTTP 503 from x after 5 attempts", requests=5)
    health = read_health(store)["x"]
    assert health.last_status == "failed" and health.last_error_at == later
    assert health.last_success == T0 and health.posts == 9  # the last success is kept
    assert (health.runs, health.failures, health.consecutive_failures) == (3, 2, 2)
    assert load_cursor(store, "x") == {"since": "s"}
    record_success(store, "x", later, (0, 1, 0), requests=1, note="", cursor={})
    health = read_health(store)["x"]
    assert health.consecutive_failures == 0 and health.last_error  # the last error stays visible


def test_skips_say_why(store: Store) -> None:
    _store(store)
    record_skip(store, "bluesky", T0, "not configured")
    health = read_health(store)["bluesky"]
    assert health.last_status == "skipped" and health.last_note == "not configured"
    assert health.runs == 0


def test_unknown_or_broken_cursor_is_empty(store: Store) -> None:
    _store(store)
    assert load_cursor(store, "arxiv") == {}
    with store.transaction() as tx:
        tx.execute("INSERT INTO source_health (source, cursor) VALUES ('hf', 'not json')")
    assert load_cursor(store, "hf") == {}
