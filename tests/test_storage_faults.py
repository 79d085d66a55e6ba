"""Storage faults through the real CLI: a read-only store, a full disk, a file-size limit.

Each runs `python -m bot` in a process of its own. A read-only store must still serve every
command that only reads (no migration or pragma write on open); a write to it, or one the
disk cannot take, ends in one `hotpapers: error:` line, exit status 1, and changes nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import hashlib
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import load_settings
from bot.delivery.lease import Leases
from bot.store import Store
from bot.timeutil import utcnow
from tests.factories import paper, post

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples/hot-papers-2021-06-25.json"
DISCORD = "discord:123456789012345678"
BLOG = "markdown:posts"
_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _obey_file_modes() -> None:
    """In the child: make root obey file modes, as any other user does (a read-only file is)."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _limit_file_size(limit: int) -> Callable[[], None]:
    """In the child: no file may grow past limit bytes (`ulimit -f`)."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def hotpapers(
    tmp_path: Path, *argv: str, before: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI on tmp_path's store, offline (sources pointed at nowhere)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HOTPAPERS_DB": str(tmp_path / "hotpapers.db"),
        "HOTPAPERS_MARKDOWN__FOLDER": str(tmp_path / "posts"),
        "ARXIV_RSS_URL": "http://127.0.0.1:9/rss",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        preexec_fn=before,
    )  # fmt: skip


def digest_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_error_line(result: subprocess.CompletedProcess[str], says: str) -> None:
    """Exit status 1, one `hotpapers: error:` line saying this, and no traceback."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("hotpapers: error:")]
    assert result.returncode == 1, result.stderr
    assert len(errors) == 1 and says in errors[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def used(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store the bot has used (every feature's tables made), with fresh data and a subscription.

    Fresh data: `digest` needs no fetch. Closed cleanly, as a stopped bot leaves it. Made once
    for the module (it takes two runs of the CLI); each test gets its own copy (`stocked`).
    """
    folder = tmp_path_factory.mktemp("used")
    asyncio.run(_stock(folder))
    return folder


@pytest.fixture
def stocked(used: Path, tmp_path: Path) -> Path:
    """This test's own copy of the used store (and its posts folder), in tmp_path."""
    shutil.copytree(used, tmp_path, dirs_exist_ok=True)
    return tmp_path / "hotpapers.db"


async def _stock(folder: Path) -> None:
    now = utcnow()
    db = folder / "hotpapers.db"
    app = build_app(load_settings(None, environ={"HOTPAPERS_DB": str(db)}), store=Store(db))
    Leases(app.store)  # the runner's table too
    store = app.store
    store.ingest(
        papers=[paper(f"2611.0000{i}", announced=now.date()) for i in range(1, 4)],
        posts=[
            post(
                str(i),
                (f"2611.0000{i}",),
                source="hackernews",
                likes=100 * i,
                observed_at=now - timedelta(minutes=5),
                created_at=now - timedelta(hours=2),
            )
            for i in range(1, 4)
        ],
        seen_at=now,
    )
    await app.aclose()
    (folder / "posts").mkdir()
    assert hotpapers(folder, "subscribe", DISCORD, "--top", "2").returncode == 0
    assert hotpapers(folder, "subscribe", BLOG).returncode == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["status"],
        ["channels"],
        ["sources"],
        ["digest", "--top", "2"],
        ["export", "-"],
        ["post", "--channel", BLOG, "--dry-run"],
    ],
    ids=lambda argv: argv[0],
)
def test_a_read_only_store_serves_every_command_that_only_reads(
    stocked: Path, tmp_path: Path, argv: list[str]
) -> None:
    stocked.chmod(0o444)
    before = digest_of(stocked)
    result = hotpapers(tmp_path, *argv, before=_obey_file_modes)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "error" not in result.stderr
    assert digest_of(stocked) == before


@pytest.mark.parametrize(
    "argv",
    [
        ["subscribe", "discord:223456789012345678"],
        ["unsubscribe", DISCORD],
        ["import", str(EXAMPLE)],
    ],
    ids=lambda argv: argv[0],
)
def test_a_write_to_a_read_only_store_is_one_line_and_changes_nothing(
    stocked: Path, tmp_path: Path, argv: list[str]
) -> None:
    stocked.chmod(0o444)
    before = digest_of(stocked)
    result = hotpapers(tmp_path, *argv, before=_obey_file_modes)
    one_error_line(result, "is read-only: reading works, but this needs write access")
    assert digest_of(stocked) == before


def test_an_import_the_disk_cannot_take_is_one_line_and_writes_nothing(
    stocked: Path, tmp_path: Path
) -> None:
    # Opening needs SQLite's 32 KiB shared-memory file; the import's pages go to the
    # write-ahead log first, which may grow to a couple of pages.
    limit = 32768 + 2 * 4096
    result = hotpapers(tmp_path, "import", str(EXAMPLE), before=_limit_file_size(limit))
    one_error_line(result, "the disk is full, a file-size limit was reached")
    store = Store(stocked)
    try:
        assert store.counts()["papers"] == 3  # the snapshot's papers: none of them
    finally:
        store.close()


def test_a_read_only_store_this_version_must_add_to_says_so(tmp_path: Path) -> None:
    store = Store(tmp_path / "hotpapers.db")  # the core tables only: never subscribed
    store.close()
    (tmp_path / "hotpapers.db").chmod(0o444)
    result = hotpapers(tmp_path, "channels", before=_obey_file_modes)
    one_error_line(result, "is read-only, and this version of hotpapers must first add to it")
