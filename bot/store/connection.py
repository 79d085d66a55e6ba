"""The store's connections: the transaction handle, the per-thread readers, and the file."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import StoreError

__all__ = ["Params", "Readers", "Row", "Transaction", "WriteState", "create_private", "rows_of"]

Params = Mapping[str, Any] | Sequence[Any]
Row = dict[str, Any]


def rows_of(cursor: sqlite3.Cursor) -> list[Row]:
    """Every row of a cursor as a dict keyed by column name."""
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def create_private(path: Path) -> None:
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

    def __init__(self, conn: sqlite3.Connection, call: Callable[..., Any]) -> None:
        """Run statements on the connection whose transaction is open, through call."""
        self._conn = conn
        self._call = call  # turns SQLite's failures into StoreError

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""
        cursor: sqlite3.Cursor = self._call(self._conn.execute, sql, params)
        return cursor.rowcount

    def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement per parameter row; the number of rows changed in all."""
        cursor: sqlite3.Cursor = self._call(self._conn.executemany, sql, rows)
        return cursor.rowcount

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """Rows as dicts, seeing this transaction's own writes."""
        cursor: sqlite3.Cursor = self._call(self._conn.execute, sql, params)
        return rows_of(cursor)

    def query_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row, or None."""
        rows = self.query(sql, params)
        return rows[0] if rows else None


@dataclass(frozen=True)
class WriteState:
    """Whether writes go through: since when (time.monotonic) they wait or fail, and why."""

    blocked_since: float | None = None
    error: str = ""

    def blocked_for(self, now: float) -> float:
        """Seconds writes have been waiting or failing (0 when they go through)."""
        return 0.0 if self.blocked_since is None else max(now - self.blocked_since, 0.0)


class Readers:
    """One read-only connection per thread, so reads never queue behind a write (WAL mode)."""

    def __init__(self, path: str, timeout: float, cache_kib: int | None) -> None:
        """Open connections to path lazily, one per thread that reads."""
        self.path = path
        self.timeout = timeout
        self.cache_kib = cache_kib
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._guard = threading.Lock()

    def get(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # Closed from another thread at shutdown, hence check_same_thread=False.
            conn = sqlite3.connect(self.path, timeout=self.timeout, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")
            if self.cache_kib:
                conn.execute(f"PRAGMA cache_size = -{int(self.cache_kib)}")
            with self._guard:
                self._all.append(conn)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close every thread's connection."""
        with self._guard:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
