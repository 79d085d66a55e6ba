"""SQLite storage: the core store and the small public API features use for their own tables."""

from __future__ import annotations

from bot.store.core import Store
from bot.store.sqlite import Params, Row, SqliteStore, Transaction

__all__ = ["Params", "Row", "SqliteStore", "Store", "Transaction"]
