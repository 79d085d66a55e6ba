"""Migration sets, applied and recorded exactly as sqlite-utils does, without importing it.

Every command opens the store and asks each feature's set what is pending, and a snapshot's
in-memory store applies them all; importing sqlite-utils for either (click, pluggy, dateutil:
~80 ms of CPU) would cost more than the rest of a small command. The records go in
sqlite-utils' own `_sqlite_migrations` table with its schema, so stores stay readable both
ways; a table of an older layout than that is handed to sqlite-utils to convert and apply.
The migrations get a `Database`: the part of sqlite-utils' API they use, writing the same SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

__all__ = ["APPLIED", "MIGRATIONS_TABLE", "Database", "Migrations", "pending_names"]

MIGRATIONS_TABLE = "_sqlite_migrations"  # sqlite-utils' name (Migrations.migrations_table)
_TABLE_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
APPLIED = f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = :set"
# sqlite-utils' Table.create and create_index for the records table, to the byte.
_CREATE_TABLE = f"""CREATE TABLE "{MIGRATIONS_TABLE}" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
)"""
_CREATE_INDEX = f"""CREATE UNIQUE INDEX "idx_{MIGRATIONS_TABLE}_migration_set_name"
    ON "{MIGRATIONS_TABLE}" ("migration_set", "name")"""
_RECORD = (
    f'INSERT INTO "{MIGRATIONS_TABLE}" ("migration_set", "name", "applied_at") VALUES (?, ?, ?)'
)


def _quoted(name: str) -> str:
    """An SQL identifier in double quotes (sqlite-utils' quote_identifier)."""
    return '"' + name.replace('"', '""') + '"'


class _Table:
    """One table of a Database: what migrations do to a table as a whole."""

    def __init__(self, conn: sqlite3.Connection, name: str) -> None:
        self.conn, self.name = conn, name

    def enable_fts(
        self, columns: Iterable[str], fts_version: str = "FTS5", create_triggers: bool = False
    ) -> None:
        """Full-text search on columns, as sqlite-utils' enable_fts writes it (no tokenizer)."""
        names = [_quoted(c) for c in columns]
        cols = ", ".join(names)
        old = ", ".join(f"old.{c}" for c in names)
        new = ", ".join(f"new.{c}" for c in names)
        table, fts = _quoted(self.name), _quoted(f"{self.name}_fts")
        self.conn.execute(
            f"CREATE VIRTUAL TABLE {fts} USING {fts_version} (\n    {cols},\n    content={table}\n)"
        )
        self.conn.execute(
            f"INSERT INTO {fts} (rowid, {cols})\n    SELECT rowid, {cols} FROM {table};"
        )
        if not create_triggers:
            return
        insert = f"  INSERT INTO {fts} (rowid, {cols}) VALUES (new.rowid, {new});"
        delete = f"  INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES('delete', old.rowid, {old});"
        both = f"{delete}\n{insert}"
        for suffix, event, body in (
            ("_ai", "INSERT", insert), ("_ad", "DELETE", delete), ("_au", "UPDATE", both),
        ):  # fmt: skip
            trigger = _quoted(self.name + suffix)
            self.conn.execute(
                f"CREATE TRIGGER {trigger} AFTER {event} ON {table} BEGIN\n{body}\nEND"
            )


class Database:
    """What a migration is handed: sqlite-utils' Database as far as migrations use it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        """Run on conn, inside the transaction the store holds around the whole set."""
        self.conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> sqlite3.Cursor:
        """One statement, as conn.execute."""
        return self.conn.execute(sql) if parameters is None else self.conn.execute(sql, parameters)

    def table(self, name: str) -> _Table:
        """A table, to enable full-text search on."""
        return _Table(self.conn, name)


class _Step(Protocol):
    __name__: str

    def __call__(self, db: Database, /) -> None: ...


F = TypeVar("F", bound=_Step)


@dataclass(frozen=True)
class _Migration:
    name: str
    fn: _Step
    transactional: bool


class Migrations:
    """A named, ordered set of migrations, declared as with sqlite_utils.migrations.Migrations."""

    def __init__(self, name: str) -> None:
        """A set called name (unique across the store: its records are keyed on it)."""
        self.name = name
        self._migrations: list[_Migration] = []

    def __call__(self, *, name: str | None = None, transactional: bool = True) -> Callable[[F], F]:
        """Register the decorated function as the set's next migration."""

        def register(fn: F) -> F:
            step = name or fn.__name__
            if step in self.names:
                raise ValueError(f"migration {step!r} is already in the set {self.name!r}")
            self._migrations.append(_Migration(step, fn, transactional))
            return fn

        return register

    @property
    def names(self) -> tuple[str, ...]:
        """The migrations' names, in the order they apply."""
        return tuple(m.name for m in self._migrations)

    def apply(self, db: Database, *, stop_before: str | None = None) -> None:
        """Apply what is pending in order, recording each (stop_before: a store as an older
        version left it, for tests). The caller holds one transaction around the whole set."""
        conn = db.conn
        if not _has_records(conn):
            conn.execute(_CREATE_TABLE)
            conn.execute(_CREATE_INDEX)
        elif _record_keys(conn) != ["id"]:  # an older sqlite-utils' layout: it converts it
            self._apply_with_sqlite_utils(conn, stop_before)
            return
        pending = pending_names(conn, self)
        if stop_before is not None and stop_before in self.names and stop_before not in pending:
            raise ValueError(f"cannot stop before {stop_before!r}: it is applied already")
        for m in self._migrations:
            if m.name == stop_before:
                return
            if m.name in pending:
                m.fn(db)
                conn.execute(_RECORD, (self.name, m.name, str(datetime.now(UTC))))

    def _apply_with_sqlite_utils(self, conn: sqlite3.Connection, stop_before: str | None) -> None:
        """Apply through sqlite-utils itself (it converts an old records table first)."""
        from sqlite_utils import Database as SqliteUtilsDatabase
        from sqlite_utils.migrations import Migrations as SqliteUtilsMigrations

        real = SqliteUtilsMigrations(self.name)
        for m in self._migrations:
            # sqlite-utils' Database has every method a migration calls on ours.
            real(name=m.name, transactional=m.transactional)(m.fn)  # type: ignore[type-var]
        real.apply(SqliteUtilsDatabase(conn), stop_before=stop_before)


def _has_records(conn: sqlite3.Connection) -> bool:
    """Whether the store has a migrations table yet."""
    return conn.execute(_TABLE_EXISTS, (MIGRATIONS_TABLE,)).fetchone() is not None


def _record_keys(conn: sqlite3.Connection) -> list[str]:
    """The records table's primary key columns, in order."""
    info = conn.execute(f'PRAGMA table_info("{MIGRATIONS_TABLE}")').fetchall()
    return [row[1] for row in sorted(info, key=lambda row: row[5]) if row[5]]


def pending_names(conn: sqlite3.Connection, migrations: Migrations) -> list[str]:
    """The set's migrations not yet recorded in the store, read as sqlite-utils reads them."""
    if not _has_records(conn):
        return list(migrations.names)
    applied = {row[0] for row in conn.execute(APPLIED, {"set": migrations.name})}
    return [name for name in migrations.names if name not in applied]
