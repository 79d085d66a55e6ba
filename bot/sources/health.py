"""Source health in SQLite: last success, last error, counts and each source's saved state."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store import Store, Transaction
from bot.store.migrations import Database, Migrations
from bot.timeutil import opt_time, to_iso

__all__ = [
    "Refreshes",
    "SourceHealth",
    "load_cursor",
    "read_health",
    "read_refreshes",
    "record_failure",
    "record_refresh",
    "record_refresh_skipped",
    "record_skip",
    "record_success",
    "source_migrations",
]

source_migrations = Migrations("hotpapers-sources")


@source_migrations()
def m001_source_health(db: Database) -> None:
    """One row per source: its last run, success, error, counts and cursor."""
    db.execute(
        """
        CREATE TABLE source_health (
            source TEXT PRIMARY KEY,
            last_run TEXT,
            last_status TEXT NOT NULL DEFAULT 'never',
            last_note TEXT NOT NULL DEFAULT '',
            last_success TEXT,
            last_error TEXT NOT NULL DEFAULT '',
            last_error_at TEXT,
            papers INTEGER NOT NULL DEFAULT 0,
            posts INTEGER NOT NULL DEFAULT 0,
            signals INTEGER NOT NULL DEFAULT 0,
            requests INTEGER NOT NULL DEFAULT 0,
            runs INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            cursor TEXT NOT NULL DEFAULT '{}'
        )
        """
    )


@source_migrations()
def m002_lookup_misses(db: Database) -> None:
    """Linked ids the arXiv API did not return, so they are not asked for forever."""
    db.execute(
        """
        CREATE TABLE source_lookup_misses (
            arxiv_id TEXT PRIMARY KEY,
            attempts INTEGER NOT NULL,
            last_attempt TEXT NOT NULL
        ) WITHOUT ROWID
        """
    )


@source_migrations()
def m003_dropped_records(db: Database) -> None:
    """How many malformed records the last successful run left out."""
    db.execute("ALTER TABLE source_health ADD COLUMN dropped INTEGER NOT NULL DEFAULT 0")


@source_migrations()
def m004_refreshes(db: Database) -> None:
    """One row: when the scheduled refresh last ran, and refreshes skipped behind a slow one."""
    db.execute(
        """
        CREATE TABLE source_refreshes (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            last_started TEXT,
            last_finished TEXT,
            skipped INTEGER NOT NULL DEFAULT 0,
            last_skipped TEXT,
            last_skip_reason TEXT NOT NULL DEFAULT ''
        )
        """
    )


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """What `hotpapers sources` shows for one source."""

    source: str
    last_run: datetime | None
    last_status: str  # ok, failed, skipped or never
    last_note: str
    last_success: datetime | None
    last_error: str
    last_error_at: datetime | None
    papers: int  # counts of the last successful run
    posts: int
    signals: int
    dropped: int  # malformed records the last successful run left out
    requests: int  # requests of the last run
    runs: int
    failures: int
    consecutive_failures: int


def _ensure(tx: Transaction, source: str) -> None:
    """Create the source's row if it has none."""
    tx.execute("INSERT OR IGNORE INTO source_health (source) VALUES (?)", (source,))


def record_success(
    store: Store,
    source: str,
    at: datetime,
    counts: tuple[int, int, int],
    *,
    requests: int,
    dropped: int = 0,
    note: str,
    cursor: Mapping[str, Any],
) -> None:
    """Record a stored run, its counts (papers, posts, signals) and the next cursor.

    dropped counts the malformed records the run left out.
    """
    with store.transaction() as tx:
        _ensure(tx, source)
        tx.execute(
            "UPDATE source_health SET last_run = ?, last_status = 'ok', last_note = ?,"
            " last_success = ?, papers = ?, posts = ?, signals = ?, dropped = ?, requests = ?,"
            " runs = runs + 1, consecutive_failures = 0, cursor = ? WHERE source = ?",
            (to_iso(at), note, to_iso(at), *counts, dropped, requests, _json(cursor), source),
        )


def _json(cursor: Mapping[str, Any]) -> str:
    """A cursor as stored."""
    return json.dumps(dict(cursor))


def record_failure(store: Store, source: str, at: datetime, reason: str, *, requests: int) -> None:
    """Record a failed run and why; the cursor stays where the last success left it."""
    with store.transaction() as tx:
        _ensure(tx, source)
        tx.execute(
            "UPDATE source_health SET last_run = ?, last_status = 'failed', last_note = '',"
            " last_error = ?, last_error_at = ?, requests = ?, runs = runs + 1,"
            " failures = failures + 1, consecutive_failures = consecutive_failures + 1"
            " WHERE source = ?",
            (to_iso(at), reason, to_iso(at), requests, source),
        )


def record_skip(store: Store, source: str, at: datetime, reason: str) -> None:
    """Record that a source did not run (e.g. not configured)."""
    with store.transaction() as tx:
        _ensure(tx, source)
        tx.execute(
            "UPDATE source_health SET last_run = ?, last_status = 'skipped', last_note = ?,"
            " requests = 0 WHERE source = ?",
            (to_iso(at), reason, source),
        )


def load_cursor(store: Store, source: str) -> dict[str, Any]:
    """The state a source saved at its last success ({} if none)."""
    row = store.query_one("SELECT cursor FROM source_health WHERE source = ?", (source,))
    if row is None:
        return {}
    try:
        value = json.loads(row["cursor"])
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def read_health(store: Store) -> dict[str, SourceHealth]:
    """Every recorded source's health, by name."""
    rows = store.query("SELECT * FROM source_health ORDER BY source")
    return {
        row["source"]: SourceHealth(
            source=row["source"],
            last_run=opt_time(row["last_run"]),
            last_status=row["last_status"],
            last_note=row["last_note"],
            last_success=opt_time(row["last_success"]),
            last_error=row["last_error"],
            last_error_at=opt_time(row["last_error_at"]),
            papers=row["papers"],
            posts=row["posts"],
            signals=row["signals"],
            dropped=row["dropped"],
            requests=row["requests"],
            runs=row["runs"],
            failures=row["failures"],
            consecutive_failures=row["consecutive_failures"],
        )
        for row in rows
    }


@dataclass(frozen=True, slots=True)
class Refreshes:
    """The scheduled refresh: its last run, and the runs skipped because one was still going."""

    last_started: datetime | None
    last_finished: datetime | None
    skipped: int
    last_skipped: datetime | None
    last_skip_reason: str


def record_refresh(store: Store, started: datetime, finished: datetime | None) -> None:
    """Record that a scheduled refresh started (finished is None) or finished."""
    with store.transaction() as tx:
        tx.execute("INSERT OR IGNORE INTO source_refreshes (id) VALUES (1)")
        tx.execute(
            "UPDATE source_refreshes SET last_started = ?, last_finished = ? WHERE id = 1",
            (to_iso(started), to_iso(finished) if finished else None),
        )


def record_refresh_skipped(store: Store, at: datetime, reason: str) -> None:
    """Record a scheduled refresh that did not run, and why."""
    with store.transaction() as tx:
        tx.execute("INSERT OR IGNORE INTO source_refreshes (id) VALUES (1)")
        tx.execute(
            "UPDATE source_refreshes SET skipped = skipped + 1, last_skipped = ?,"
            " last_skip_reason = ? WHERE id = 1",
            (to_iso(at), reason),
        )


def read_refreshes(store: Store) -> Refreshes:
    """The scheduled refresh's record (all empty before the first one)."""
    row = store.query_one("SELECT * FROM source_refreshes WHERE id = 1")
    if row is None:
        return Refreshes(None, None, 0, None, "")
    return Refreshes(
        last_started=opt_time(row["last_started"]),
        last_finished=opt_time(row["last_finished"]),
        skipped=row["skipped"],
        last_skipped=opt_time(row["last_skipped"]),
        last_skip_reason=row["last_skip_reason"],
    )
