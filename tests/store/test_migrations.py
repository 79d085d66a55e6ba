"""The store applies and records migrations exactly as sqlite-utils does, without importing it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.adapters.discord import sync
from bot.adapters.slack import deliveries, installations
from bot.channel_signal import migrations as channel_signal
from bot.delivery import notices
from bot.delivery.schema import migrations as delivery
from bot.reactions import migrations as reactions
from bot.sources.health import source_migrations
from bot.store import SqliteStore, Store
from bot.store.migrations import Migrations
from bot.store.schema import core_migrations
from bot.subscriptions import migrations as subscriptions
from bot.trending import migrations as trending
from tests.factories import NOW, paper

EVERY_SET = (core_migrations, delivery, notices.migrations, channel_signal, trending,
             subscriptions, reactions, source_migrations, sync.migrations,
             installations.migrations, deliveries.migrations)  # fmt: skip
SCHEMA = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
RECORDS = "SELECT id, migration_set, name FROM _sqlite_migrations ORDER BY id"


def _applied(path: Path, *, through_sqlite_utils: bool) -> sqlite3.Connection:
    """A store with every feature's migrations applied: by the store, or by sqlite-utils."""
    if through_sqlite_utils:
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA foreign_keys = ON")  # as the store's connection has it
        for migrations in EVERY_SET:
            migrations._apply_with_sqlite_utils(conn, None)
            conn.commit()
        return conn
    store = SqliteStore(path)
    for migrations in EVERY_SET:
        store.migrate(migrations)
    store.close()
    return sqlite3.connect(path)


def test_every_feature_migrates_to_the_schema_and_records_sqlite_utils_writes(
    tmp_path: Path,
) -> None:
    ours = _applied(tmp_path / "ours.db", through_sqlite_utils=False)
    theirs = _applied(tmp_path / "theirs.db", through_sqlite_utils=True)
    assert ours.execute(SCHEMA).fetchall() == theirs.execute(SCHEMA).fetchall()
    assert ours.execute(RECORDS).fetchall() == theirs.execute(RECORDS).fetchall() != []
    stamps = [row[0] for row in ours.execute("SELECT applied_at FROM _sqlite_migrations")]
    assert all(s.endswith("+00:00") and s[:4].isdigit() for s in stamps)  # str(datetime)


def test_full_text_search_works_on_a_store_migrated_without_sqlite_utils() -> None:
    store = Store()
    store.ingest([paper("2611.00001", title="Diffusion transformers")], seen_at=NOW)
    store.ingest([paper("2611.00001", title="Sparse attention")], seen_at=NOW)  # replaced
    assert [p.arxiv_id for p in store.search("sparse")] == ["2611.00001"]
    assert store.search("diffusion") == []  # the old title left the index


def test_an_older_records_table_is_handed_to_sqlite_utils_to_convert(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "h.db")
    conn.execute(  # the layout sqlite-migrate used before sqlite-utils took it in: no id
        "CREATE TABLE _sqlite_migrations (migration_set TEXT, name TEXT, applied_at TEXT,"
        " PRIMARY KEY (migration_set, name))"
    )
    conn.commit()
    conn.close()
    notes = Migrations("test-notes")

    @notes()
    def m001_notes(db: object) -> None:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")  # type: ignore[attr-defined]

    store = SqliteStore(tmp_path / "h.db")
    store.migrate(notes)
    assert store.query("SELECT name FROM _sqlite_migrations") == [{"name": "m001_notes"}]
    keys = store.query("SELECT name FROM pragma_table_info('_sqlite_migrations') WHERE pk > 0")
    assert keys == [{"name": "id"}]
