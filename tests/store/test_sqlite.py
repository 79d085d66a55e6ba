"""The store's public API: queries, transactions, migrations, and a private database file."""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.errors import StoreError
from bot.store import SqliteStore, Store
from bot.store.migrations import Migrations

notes = Migrations("test-notes")


@notes()
def m001_notes(db: Database) -> None:
    """A table to write to."""
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")


def opened(path: Path | str = ":memory:") -> SqliteStore:
    """A store with the notes table."""
    store = SqliteStore(path)
    store.migrate(notes)
    return store


def texts(path: Path) -> list[str]:
    """The notes as another connection (another process) sees them."""
    other = sqlite3.connect(path)
    try:
        return [row[0] for row in other.execute("SELECT text FROM notes ORDER BY id")]
    finally:
        other.close()


def test_the_connection_and_lock_are_not_public() -> None:
    store = Store()
    assert not hasattr(store, "db") and not hasattr(store, "lock") and not hasattr(store, "conn")


def test_queries_return_rows_as_dicts_and_query_one_the_first_or_none() -> None:
    store = opened()
    with store.transaction() as tx:
        assert tx.executemany("INSERT INTO notes (text) VALUES (?)", [("a",), ("b",)]) == 2
    assert store.query("SELECT id, text FROM notes ORDER BY id") == [
        {"id": 1, "text": "a"},
        {"id": 2, "text": "b"},
    ]
    assert store.query_one("SELECT text FROM notes WHERE id = :id", {"id": 2}) == {"text": "b"}
    assert store.query_one("SELECT text FROM notes WHERE id = 3") is None


def test_a_transaction_is_committed_on_exit_for_other_connections(tmp_path: Path) -> None:
    store = opened(tmp_path / "h.db")
    with store.transaction() as tx:
        assert tx.execute("INSERT INTO notes (text) VALUES ('kept')") == 1
        assert tx.query_one("SELECT count(*) AS n FROM notes") == {"n": 1}  # its own writes
        assert texts(tmp_path / "h.db") == []  # not before the commit
    assert texts(tmp_path / "h.db") == ["kept"]


def test_an_error_rolls_the_whole_transaction_back(tmp_path: Path) -> None:
    store = opened(tmp_path / "h.db")
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.execute("INSERT INTO notes (text) VALUES ('lost')")
        raise RuntimeError("crash mid-write")
    assert store.query("SELECT * FROM notes") == [] and texts(tmp_path / "h.db") == []
    with store.transaction() as tx:  # the store is usable afterwards
        tx.execute("INSERT INTO notes (text) VALUES ('next')")
    assert texts(tmp_path / "h.db") == ["next"]


def test_a_nested_transaction_commits_with_the_outer_one_or_rolls_back_alone(
    tmp_path: Path,
) -> None:
    store = opened(tmp_path / "h.db")
    with store.transaction() as outer:
        outer.execute("INSERT INTO notes (text) VALUES ('outer')")
        with store.transaction() as inner:
            inner.execute("INSERT INTO notes (text) VALUES ('inner')")
        with pytest.raises(ValueError), store.transaction() as failed:
            failed.execute("INSERT INTO notes (text) VALUES ('undone')")
            raise ValueError("inner mistake")
        assert texts(tmp_path / "h.db") == []  # one commit, at the end
    assert texts(tmp_path / "h.db") == ["outer", "inner"]


def test_a_write_waits_for_another_threads_transaction() -> None:
    store = opened()
    inside, order = threading.Event(), []

    def other() -> None:
        inside.wait()
        with store.transaction() as tx:
            tx.execute("INSERT INTO notes (text) VALUES ('second')")
            order.append("second")

    thread = threading.Thread(target=other)
    thread.start()
    with store.transaction() as tx:
        inside.set()
        thread.join(0.2)  # the other thread is blocked, not interleaved
        tx.execute("INSERT INTO notes (text) VALUES ('first')")
        order.append("first")
    thread.join()
    assert order == ["first", "second"]
    assert [r["text"] for r in store.query("SELECT text FROM notes ORDER BY id")] == order


def test_migrations_apply_once_per_database(tmp_path: Path) -> None:
    opened(tmp_path / "h.db").close()
    store = opened(tmp_path / "h.db")  # a second open finds nothing pending
    rows = store.query("SELECT name FROM _sqlite_migrations WHERE migration_set = 'test-notes'")
    assert rows == [{"name": "m001_notes"}]


def test_pending_migrations_are_read_as_sqlite_utils_reads_them(tmp_path: Path) -> None:
    from sqlite_utils.migrations import Migrations as SqliteUtilsMigrations

    theirs = SqliteUtilsMigrations("test-notes")
    theirs()(m001_notes)
    database = Database(tmp_path / "h.db")
    assert [m.name for m in theirs.pending(database)] == ["m001_notes"]
    theirs.apply(database)  # a store whose records sqlite-utils wrote itself
    database.conn.close()
    store = opened(tmp_path / "h.db")  # finds nothing pending: nothing is created twice
    more = Migrations("test-notes")
    more()(m001_notes)

    @more()
    def m002_tags(db: Database) -> None:
        db.execute("CREATE TABLE tags (name TEXT PRIMARY KEY)")

    store.migrate(more)  # only the new one applies
    rows = store.query("SELECT name FROM _sqlite_migrations ORDER BY id")
    assert rows == [{"name": "m001_notes"}, {"name": "m002_tags"}]
    database = Database(tmp_path / "h.db")
    theirs()(m002_tags)
    assert theirs.pending(database) == []  # and sqlite-utils reads our records back


def test_a_migration_set_refuses_a_name_twice() -> None:
    twice = Migrations("twice")
    twice()(m001_notes)
    with pytest.raises(ValueError, match="already in the set"):
        twice()(m001_notes)


def test_the_write_connection_fires_delete_triggers_for_replaced_rows(tmp_path: Path) -> None:
    # FTS5's external-content triggers need this to see the row INSERT OR REPLACE deletes.
    store = SqliteStore(tmp_path / "h.db")
    with store.transaction() as tx:
        tx.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        tx.execute("CREATE TABLE log (v TEXT)")
        tx.execute(
            "CREATE TRIGGER t_del AFTER DELETE ON t BEGIN INSERT INTO log VALUES (old.v); END"
        )
        tx.execute("INSERT INTO t VALUES (1, 'old')")
        tx.execute("INSERT OR REPLACE INTO t VALUES (1, 'new')")
    assert store.query("SELECT v FROM log") == [{"v": "old"}]
    assert store.query_one("PRAGMA journal_mode") == {"journal_mode": "wal"}


def test_data_version_changes_when_another_connection_commits(tmp_path: Path) -> None:
    store = opened(tmp_path / "h.db")
    before = store.data_version()
    other = sqlite3.connect(tmp_path / "h.db")
    with other:
        other.execute("INSERT INTO notes (text) VALUES ('elsewhere')")
    other.close()
    assert store.data_version() != before


def test_the_database_and_its_wal_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    store = opened(path)
    with store.transaction() as tx:
        tx.execute("INSERT INTO notes (text) VALUES ('token')")
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    assert all(f.exists() for f in files)
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name


def test_a_missing_folder_is_not_created(tmp_path: Path) -> None:
    # A typo in HOTPAPERS_DB must not look like a new, empty store in a new folder.
    with pytest.raises(StoreError, match="cannot create the store"):
        SqliteStore(tmp_path / "new" / "h.db")
    assert not (tmp_path / "new").exists()


def test_an_existing_database_keeps_the_mode_its_owner_chose(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    opened(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


class LockHolder:
    """Another process's connection holding SQLite's write lock (BEGIN IMMEDIATE)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


def test_reads_go_on_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    store = opened(tmp_path / "h.db")
    with store.transaction() as tx:
        tx.execute("INSERT INTO notes (text) VALUES ('there')")
    holder = LockHolder(tmp_path / "h.db")
    try:
        assert store.query("SELECT text FROM notes") == [{"text": "there"}]
        assert store.writes().blocked_since is None
    finally:
        holder.release()


def test_a_write_blocked_by_another_process_fails_as_one_line_and_is_reported(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "h.db", timeout=0.05)
    store.migrate(notes)
    holder = LockHolder(tmp_path / "h.db")
    try:
        locked = pytest.raises(StoreError, match="is locked by another process")
        with locked as caught, store.transaction() as tx:
            tx.execute("INSERT INTO notes (text) VALUES ('lost')")
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
        state = store.writes()
        assert state.blocked_since is not None and "locked" in state.error
        with pytest.raises(StoreError):
            store.probe_write()
        assert store.writes().blocked_since == state.blocked_since  # since the first failure
    finally:
        holder.release()
    store.probe_write()
    assert store.writes().blocked_since is None and store.writes().error == ""
    assert texts(tmp_path / "h.db") == []


def test_a_write_waiting_for_the_lock_is_visible_while_it_waits(tmp_path: Path) -> None:
    store = opened(tmp_path / "h.db")
    holder = LockHolder(tmp_path / "h.db")
    writer = threading.Thread(target=store.probe_write)
    writer.start()
    try:
        for _ in range(500):  # until the writer is inside BEGIN IMMEDIATE
            if store.writes().blocked_since is not None:
                break
            writer.join(0.01)
        assert "waiting" in store.writes().error
        assert store.query("SELECT count(*) AS n FROM notes") == [{"n": 0}]  # reads go on
    finally:
        holder.release()
    writer.join()
    assert store.writes().blocked_since is None


def test_another_thread_reads_committed_rows_while_a_transaction_is_open(tmp_path: Path) -> None:
    store = opened(tmp_path / "h.db")
    with store.transaction() as tx:
        tx.execute("INSERT INTO notes (text) VALUES ('committed')")
    seen: list[list[dict[str, object]]] = []
    with store.transaction() as tx:
        tx.execute("INSERT INTO notes (text) VALUES ('pending')")
        reader = threading.Thread(target=lambda: seen.append(store.query("SELECT text FROM notes")))
        reader.start()
        reader.join()  # returns while this transaction still holds the store's write lock
        assert [r["text"] for r in store.query("SELECT text FROM notes")] == [
            "committed",
            "pending",
        ]  # the writing thread sees its own writes
    assert seen == [[{"text": "committed"}]]


def test_read_connections_refuse_writes(tmp_path: Path) -> None:
    store = opened(tmp_path / "h.db")
    with pytest.raises(StoreError, match="read-only"):
        store.query("INSERT INTO notes (text) VALUES ('sneaky')")
    assert texts(tmp_path / "h.db") == []
