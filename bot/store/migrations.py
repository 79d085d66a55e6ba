"""Migration sets that say what is pending without importing sqlite-utils.

Every command opens the store and asks each feature's set what is pending; importing
sqlite-utils for that (click, pluggy, dateutil: ~80 ms of CPU) would cost more than the whole
rest of a small command. So the question is answered with one query on sqlite-utils' own
`_sqlite_migrations` table, and sqlite-utils is imported only to apply what is pending, by the
same sqlite-utils code as before: the records on disk stay exactly sqlite-utils' own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from sqlite_utils import Database

__all__ = ["APPLIED", "MIGRATIONS_TABLE", "Migrations", "pending_names"]

MIGRATIONS_TABLE = "_sqlite_migrations"  # sqlite-utils' name (Migrations.migrations_table)
_TABLE_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
APPLIED = f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = :set"


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
        """Apply what is pending with sqlite-utils (which records each one as it applies it),
        up to the migration named stop_before (a store as an older version left it: tests)."""
        from sqlite_utils.migrations import Migrations as SqliteUtilsMigrations

        real = SqliteUtilsMigrations(self.name)
        for m in self._migrations:
            real(name=m.name, transactional=m.transactional)(m.fn)
        real.apply(db, stop_before=stop_before)


def pending_names(conn: sqlite3.Connection, migrations: Migrations) -> list[str]:
    """The set's migrations not yet recorded in the store, read as sqlite-utils reads them."""
    if conn.execute(_TABLE_EXISTS, (MIGRATIONS_TABLE,)).fetchone() is None:
        return list(migrations.names)
    applied = {row[0] for row in conn.execute(APPLIED, {"set": migrations.name})}
    return [name for name in migrations.names if name not in applied]
