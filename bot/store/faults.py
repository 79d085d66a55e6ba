"""What an SQLite failure means for the person running hotpapers, in one line.

SQLite says "attempt to write a readonly database" or "disk I/O error"; a user needs to hear
which file, what it means for what they asked, and what to do. Every failure of the store's
public API becomes a StoreError carrying such a line (the SQLite error stays its __cause__).
"""

from __future__ import annotations

import sqlite3

from bot.errors import StoreError

__all__ = ["is_busy", "is_read_only", "store_error"]

_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
_FULL = ("SQLITE_FULL", "SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC", "SQLITE_IOERR_TRUNCATE")


def _name(error: sqlite3.Error) -> str:
    """SQLite's extended error name (SQLITE_BUSY_SNAPSHOT...), or '' when unknown."""
    return str(getattr(error, "sqlite_errorname", "") or "")


def is_busy(error: BaseException) -> bool:
    """True when another connection holds the lock the statement needed."""
    if isinstance(error, StoreError):
        error = error.__cause__ or error
    if not isinstance(error, sqlite3.OperationalError):
        return False
    return _name(error).startswith(_BUSY) or "locked" in str(error)


def is_read_only(error: BaseException) -> bool:
    """True when the store's file (or its folder, or the disk) cannot be written."""
    if isinstance(error, StoreError):
        error = error.__cause__ or error
    return isinstance(error, sqlite3.Error) and _name(error).startswith("SQLITE_READONLY")


def store_error(error: sqlite3.Error, path: str, *, waited: float | None = None) -> StoreError:
    """The StoreError to raise for an SQLite error on the store at path."""
    name = _name(error)
    if is_busy(error):
        after = f" after waiting {waited:g} s" if waited else ""
        return StoreError(
            f"the store {path} is locked by another process{after}; nothing was written:"
            " try again once that process is done"
        )
    if name.startswith("SQLITE_READONLY"):
        return StoreError(
            f"the store {path} is read-only: reading works, but this needs write access to"
            " the file and its folder; nothing was written"
        )
    if name.startswith(_FULL):
        return StoreError(
            f"could not write to the store {path}: the disk is full, a file-size limit was"
            f" reached or the disk failed ({error}); nothing was written"
        )
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StoreError(f"the store {path} is damaged ({error}); restore it from a backup")
    if name.startswith("SQLITE_CANTOPEN"):
        return StoreError(f"cannot open the store {path} ({error}): check the file and its folder")
    return StoreError(f"the store {path} failed: {error}")
