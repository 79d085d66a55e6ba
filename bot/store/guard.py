"""Before the store opens a file: refuse, without writing a byte, anything that is not ours.

SQLite happily opens any file and would add our tables to another program's database, or fail
half-way through a migration on a file that is not a database at all.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from bot.errors import StoreError

__all__ = ["check_store_file"]

_OURS = "hotpapers-core"  # the migration set every hotpapers store has applied first
_HINT = "set HOTPAPERS_DB to a hotpapers store, or to a new file"


def _tables(path: Path) -> tuple[set[str], bool]:
    """The file's table names, and whether hotpapers' core migrations were applied (reads only).

    Only SQLite opens the file: closing any other descriptor on it would drop the POSIX locks
    that this process's open connections hold (see "How To Corrupt An SQLite Database File").
    """
    try:
        with closing(sqlite3.connect(str(path), timeout=30)) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables = {name for (name,) in rows}
            ours = "_sqlite_migrations" in tables and bool(
                conn.execute(
                    "SELECT 1 FROM _sqlite_migrations WHERE migration_set = ? LIMIT 1", [_OURS]
                ).fetchone()
            )
            return tables, ours
    except sqlite3.DatabaseError as error:
        if "not a database" in str(error):
            raise StoreError(f"{path} is not an SQLite database; {_HINT}") from None
        raise StoreError(f"{path} is damaged or unreadable ({error}); {_HINT}") from None
    except sqlite3.Error as error:
        raise StoreError(f"cannot open {path}: {error}") from None


def check_store_file(path: str | Path) -> None:
    """Raise StoreError unless path is new, empty, or a hotpapers store; never writes."""
    if str(path) in ("", ":memory:"):
        return
    path = Path(path)
    if not path.parent.is_dir():
        raise StoreError(
            f"the folder {path.parent} does not exist; create it first, or fix HOTPAPERS_DB"
        )
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a database file; {_HINT}")
    if not path.exists() or path.stat().st_size == 0:
        return  # SQLite makes a new database of a missing or empty file
    tables, ours = _tables(path)
    if tables and not ours:
        raise StoreError(f"{path} is an SQLite database but not a hotpapers store; {_HINT}")
