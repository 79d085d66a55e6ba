"""The store's small public API: queries, transactions and migrations over one private connection.

Features keep their SQL in their own modules and reach the database only through this API, as
sqlite-utils keeps its connection to itself: nobody outside `bot/store/` sees the connection
or the lock that serialises the threads sharing it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.errors import StoreError

__all__ = ["Params", "Row", "SqliteStore", "Transaction"]

log = logging.getLogger(__name__)

Params = Mapping[str, Any] | Sequence[Any]
Row = dict[str, Any]
MEMORY = ":memory:"


def _rows(cursor: sqlite3.Cursor) -> list[Row]:
    """Every row of a cursor as a dict keyed by column name."""
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only: it holds Slack bot tokens.

    SQLite gives the -wal and -shm files the database file's mode, so they are private too.
    An existing file keeps the mode its owner gave it, and is not opened here: closing another
    descriptor on it would drop the POSIX locks this process's connections hold. The folder is
    never created: a typo in HOTPAPERS_DB must not look like a new, empty store.
    """
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return
    except OSError as error:
        raise StoreError(f"cannot create the store {path}: {error.strerror or error}") from None


class Transaction:
    """The statements of one open transaction (see SqliteStore.transaction)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        """Run statements on the connection whose transaction is open."""
        self._conn = conn

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""
        return self._conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement per parameter row; the number of rows changed in all."""
        return self._conn.executemany(sql, rows).rowcount

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """Rows as dicts, seeing this transaction's own writes."""
        return _rows(self._conn.execute(sql, params))

    def query_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row, or None."""
        rows = self.query(sql, params)
        return rows[0] if rows else None


class SqliteStore:
    """One SQLite connection shared by threads: reads, write transactions and migrations."""

    def __init__(self, path: str | Path = MEMORY) -> None:
        """Open (creating it owner-only if needed) the database at path, in WAL mode."""
        self.path = str(path)
        if self.path != MEMORY:
            _create_private(Path(path))
        # One connection shared with worker threads, serialised by the lock below.
        try:
            self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the store {self.path}: {error}") from None
        self._lock = threading.RLock()
        self._depth = 0  # open transaction() blocks of the thread holding the lock
        self._db = Database(self._conn)  # for sqlite-utils migrations and full-text search
        try:
            if self.path != MEMORY:
                self._db.enable_wal()
            self._conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as error:
            self._conn.close()
            raise StoreError(f"cannot open the store {self.path}: {error}") from None

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    # -- reading ---------------------------------------------------------------------------

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a read query; its rows as dicts."""
        with self._lock:
            return _rows(self._conn.execute(sql, params))

    def query_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a read query, or None."""
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def data_version(self) -> tuple[int, int]:
        """A value that changes whenever any connection, this one included, commits a write."""
        with self._lock:
            other = self._conn.execute("PRAGMA data_version").fetchone()[0]
            return (int(other), self._conn.total_changes)

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A write transaction holding SQLite's write lock from the start, committed on exit.

        BEGIN IMMEDIATE, not BEGIN: a deferred transaction that reads, then writes, fails at once
        with "database is locked" when another process wrote in between, instead of waiting.
        An error rolls it back. Opened inside another transaction (same thread), it becomes a
        savepoint of that one: its writes commit with the outer transaction, in one commit.
        """
        with self._lock:
            if self._depth:
                yield from self._savepoint()
                return
            if self._conn.in_transaction:
                # Python's sqlite3 opens a transaction before any write and keeps it open until
                # someone commits; joining it would let a crash undo what we say is recorded.
                log.warning("committing a transaction other code left open")
                self._conn.commit()
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield Transaction(self._conn)
            except BaseException:
                self._conn.rollback()
                raise
            else:
                self._conn.commit()
            finally:
                self._depth = 0

    def _savepoint(self) -> Iterator[Transaction]:
        """A nested transaction: rolled back alone on error, committed with the outer one."""
        name = f"nested_{self._depth}"
        self._conn.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield Transaction(self._conn)
        except BaseException:
            if self._conn.in_transaction:  # an error may have ended the whole transaction
                self._conn.execute(f"ROLLBACK TO {name}")
                self._conn.execute(f"RELEASE {name}")
            raise
        else:
            self._conn.execute(f"RELEASE {name}")
        finally:
            self._depth -= 1

    def migrate(self, migrations: Migrations) -> None:
        """Apply a set of migrations (each feature owns one), once across processes.

        sqlite-utils decides what is pending before each migration's own transaction, so two
        processes starting together could both create a table; holding the write lock around
        the whole set makes the second one see the first one's work.
        """
        with self._lock:
            if migrations.pending(self._db):
                with self.transaction():
                    migrations.apply(self._db)
