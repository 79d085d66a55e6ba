"""The store's small public API: queries, transactions and migrations over one private connection.

Features keep their SQL in their own modules and reach the database only through this API, as
sqlite-utils keeps its connection to itself: nobody outside `bot/store/` sees the connection
or the lock that serialises the threads sharing it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from bot.errors import StoreError
from bot.store.connection import (
    Params,
    Readers,
    Row,
    Transaction,
    WriteState,
    create_private,
    rows_of,
)
from bot.store.faults import is_busy, is_read_only, store_error
from bot.store.migrations import Database, Migrations, pending_names

__all__ = ["Params", "Row", "SqliteStore", "Transaction", "WriteState"]

log = logging.getLogger(__name__)

MEMORY = ":memory:"
T = TypeVar("T")
R = TypeVar("R")


def _values_of(cursor: sqlite3.Cursor) -> list[tuple[Any, ...]]:
    """Every row of a cursor as a tuple."""
    return cursor.fetchall()


class SqliteStore:
    """One SQLite connection for writes shared by threads, and a read connection per thread.

    Writes are serialised by a lock (one connection, BEGIN IMMEDIATE); reads outside a write
    transaction go to the reading thread's own connection, so in WAL mode they run while
    another thread or process writes. An in-memory store has one connection for everything.
    Every SQLite failure surfaces as a StoreError with a line a user can act on.
    """

    def __init__(
        self, path: str | Path = MEMORY, *, timeout: float = 30.0, cache_kib: int | None = None
    ) -> None:
        """Open (creating it owner-only if needed) the database at path, in WAL mode.

        timeout is how long a write waits for another process's lock before failing;
        cache_kib sizes each connection's page cache.
        """
        self.path = str(path)
        self.timeout = timeout
        if self.path != MEMORY:
            create_private(Path(path))
        # One connection shared with worker threads for writes, serialised by the lock below.
        try:
            self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=timeout)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the store {self.path}: {error}") from None
        self._lock = threading.RLock()
        self._depth = 0  # open transaction() blocks of the thread holding the lock
        self._owner: int | None = None  # the thread inside transaction(), which reads its writes
        self._waiting_since: float | None = None  # a write waits for another process's lock
        self._failing: tuple[float, str, bool] | None = None  # since when, why, lock only?
        self._readers = None if self.path == MEMORY else Readers(self.path, timeout, cache_kib)
        try:
            if cache_kib:
                self._conn.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
            # sqlite-utils sets this on every connection it wraps, and the FTS triggers rely on
            # it: the rows INSERT OR REPLACE deletes must fire the delete trigger too.
            self._conn.execute("PRAGMA recursive_triggers = ON")
            if self.path != MEMORY:
                self._enable_wal()
            self._conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as error:
            self._conn.close()
            raise store_error(error, self.path) from None

    def _enable_wal(self) -> None:
        """Switch to WAL mode (as sqlite-utils' enable_wal: a read when it is WAL already)."""
        if self._conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self._conn.execute("PRAGMA journal_mode = wal")

    def close(self) -> None:
        """Close the connections."""
        if self._readers is not None:
            self._readers.close()
        with self._lock:
            self._conn.close()

    # -- reading ---------------------------------------------------------------------------

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a read query; its rows as dicts (never waiting for a write, in WAL mode)."""
        return self._read_with(rows_of, sql, params)

    def query_values(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Run a read query; its rows as tuples in column order (no dict per row: ranking
        reads tens of thousands of rows)."""
        return self._read_with(_values_of, sql, params)

    def _read_with(self, convert: Callable[[sqlite3.Cursor], list[R]], sql: str,
                   params: Params) -> list[R]:  # fmt: skip
        """The rows of a read query, converted, from the connection this thread reads with."""
        if self._readers is None or self._owner == threading.get_ident():
            with self._lock:
                return self._read(self._conn, convert, sql, params)
        return self._read(self._readers.get(), convert, sql, params)

    def _read(
        self, conn: sqlite3.Connection, convert: Callable[[sqlite3.Cursor], list[R]], sql: str,
        params: Params,
    ) -> list[R]:  # fmt: skip
        """Rows of a query on a connection; SQLite's errors as StoreError."""
        try:
            return convert(conn.execute(sql, params))
        except (sqlite3.OperationalError, sqlite3.InternalError) as error:
            raise store_error(error, self.path) from error
        except sqlite3.DatabaseError as error:
            if type(error) is not sqlite3.DatabaseError:
                raise  # an integrity or programming error is a bug, not the store's state
            raise store_error(error, self.path) from error

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

    def writes(self) -> WriteState:
        """Whether writes go through right now; reads no lock, so /healthz can always ask."""
        waiting, failing = self._waiting_since, self._failing
        since = [t for t in (waiting, failing[0] if failing else None) if t is not None]
        if not since:
            return WriteState()
        why = failing[1] if failing else "waiting for another process's write lock"
        return WriteState(min(since), why)

    def probe_write(self) -> None:
        """Take the write lock and let it go (no commit reaches the disk); StoreError if not."""
        with self.transaction():
            pass

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A write transaction holding SQLite's write lock from the start, committed on exit.

        BEGIN IMMEDIATE, not BEGIN: a deferred transaction that reads, then writes, fails at once
        with "database is locked" when another process wrote in between, instead of waiting.
        An error rolls it back. Opened inside another transaction (same thread), it becomes a
        savepoint of that one: its writes commit with the outer transaction, in one commit.
        SQLite's errors (locked, read-only, disk full) come out as StoreError.
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
            self._begin()
            self._depth, self._owner = 1, threading.get_ident()
            changes = self._conn.total_changes
            try:
                yield Transaction(self._conn, self._sqlite)
                self._sqlite(self._conn.commit)
            except BaseException:
                self._rollback()
                raise
            else:
                # Getting the lock ends a lock-out; only a write that reached the disk ends a
                # full disk or a read-only file (an empty probe writes nothing).
                failing = self._failing
                if failing and (failing[2] or self._conn.total_changes != changes):
                    self._failing = None
            finally:
                self._depth, self._owner = 0, None

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already (a failed rollback says so)."""
        try:
            if self._conn.in_transaction:
                self._conn.rollback()
        except sqlite3.Error:
            log.warning("rolling back failed; SQLite rolls back on its own", exc_info=True)

    def _begin(self) -> None:
        """BEGIN IMMEDIATE, waiting up to the timeout for another process's write lock."""
        self._waiting_since = time.monotonic()
        try:
            self._sqlite(self._conn.execute, "BEGIN IMMEDIATE")
        finally:
            self._waiting_since = None

    def _sqlite(self, call: Callable[..., T], *args: Any) -> T:
        """Call into SQLite for a write; its failure is remembered and raised as StoreError."""
        try:
            return call(*args)
        except (sqlite3.OperationalError, sqlite3.InternalError) as error:
            raise self._failed(error) from error
        except sqlite3.DatabaseError as error:
            if type(error) is not sqlite3.DatabaseError:
                raise
            raise self._failed(error) from error

    def _failed(self, error: sqlite3.Error) -> StoreError:
        """Remember that writes fail (for /healthz) and say why in one line."""
        failure = store_error(error, self.path, waited=self.timeout)
        since = self._failing[0] if self._failing else time.monotonic()
        self._failing = (since, str(failure), is_busy(error))
        return failure

    def _savepoint(self) -> Iterator[Transaction]:
        """A nested transaction: rolled back alone on error, committed with the outer one."""
        name = f"nested_{self._depth}"
        self._conn.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield Transaction(self._conn, self._sqlite)
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

        Reading what is pending writes nothing, so an up-to-date read-only store opens.
        sqlite-utils decides what is pending before each migration's own transaction, so two
        processes starting together could both create a table; holding the write lock around
        the whole set makes the second one see the first one's work.
        """
        with self._lock:
            pending = self._sqlite(pending_names, self._conn, migrations)
            if not pending:
                return
            try:
                with self.transaction():
                    self._sqlite(migrations.apply, Database(self._conn))
            except StoreError as error:
                if not is_read_only(error):
                    raise
                names = ", ".join(pending)
                raise StoreError(
                    f"the store {self.path} is read-only, and this version of hotpapers must"
                    f" first add to it ({migrations.name}: {names}): run it once with write"
                    " access"
                ) from error
