"""The store refuses, untouched, any file that is not a hotpapers store, and creates no folders."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.store import Store
from tests.factories import NOW, paper


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_new_or_empty_file_becomes_a_store(tmp_path: Path) -> None:
    Store(tmp_path / "new.db").close()
    (tmp_path / "empty.db").touch()
    Store(tmp_path / "empty.db").close()
    Store(tmp_path / "new.db").close()  # and opens again


def test_a_missing_folder_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "no" / "such" / "x.db")
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"hello, not a database\n", "is not an SQLite database"),
        (b"SQLite format 3\x00" + b"\xff" * 84, "is not an SQLite database"),
    ],
)
def test_a_file_that_is_not_a_database_is_refused_and_untouched(
    tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=says):
        Store(path)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.db"]


def test_a_truncated_store_is_one_error_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    store = Store(path)
    store.ingest([paper(f"2611.{i:05d}", abstract="words " * 200) for i in range(200)], seen_at=NOW)
    store.close()
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 3)
    before = digest(path)
    with pytest.raises(StoreError, match=r"damaged|malformed"):
        opened = Store(path)
        opened.papers_by_id(f"2611.{i:05d}" for i in range(200))
    assert digest(path) == before


def test_another_programs_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "theirs.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(StoreError, match="an SQLite database but not a hotpapers store"):
        Store(path)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["theirs.db"]


def test_a_folder_in_place_of_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        Store(tmp_path)


def test_opening_beside_an_open_store_keeps_its_locks(tmp_path: Path) -> None:
    """The check opens the file through SQLite only, so this process's locks stay held."""
    path = tmp_path / "h.db"
    first = Store(path)
    for _ in range(3):
        Store(path).close()
    assert first.latest_observation() is None
    first.close()
