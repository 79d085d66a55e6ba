"""Test-wide settings."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.forkserver import ForkServer

# CI machines are shared: a slow example is not a failing one. Property tests check behaviour,
# never speed (benchmarks in bench/ do that).
settings.register_profile("hotpapers", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("hotpapers")


ROOT = Path(__file__).resolve().parents[1]

# Files that take seconds each (real processes, a browser, deadlines, rate limits), longest first.
# xdist hands out whole files (--dist loadfile) in collection order (--no-loadscope-reorder):
# started first, they overlap the many short files, and no worker is left with one at the end
# while the others idle (that tail cost the suite 10 s).
FIRST = (
    "tests/test_cli_battery.py",
    "tests/delivery/test_processes.py",
    "tests/delivery/test_failover.py",
    "tests/site/test_browser.py",
    "tests/test_startup.py",
    "tests/sources/test_hostile.py",
    "tests/sources/test_fuzz.py",
    "tests/delivery/test_fanout.py",
    "tests/test_storage_faults.py",
    "tests/adapters/slack/test_security_endpoints.py",
    "tests/adapters/discord/test_commands.py",
    "tests/test_replay.py",
    "tests/delivery/test_runner.py",
    "tests/adapters/slack/test_http_commands.py",
)


# The files that fork processes from the warm server (the `forks` fixture) go to one worker as
# one unit, so that one server starts instead of one per worker (a second of CPU each).
FORKING = (
    "tests/test_cli_battery.py",
    "tests/delivery/test_processes.py",
    "tests/delivery/test_failover.py",
    "tests/test_forkserver.py",
)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """--dist loadfile, with the FORKING files handed out together."""
    if config.getoption("dist") != "loadfile":
        return None  # another mode asked for: xdist's own
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return "forking" if scope in FORKING else scope

    return Scheduling(config, log)  # type: ignore[arg-type]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files in FIRST first, in its order; the rest as collected."""
    rank = {path: i for i, path in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(FIRST)))


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: half again as many workers as cores (PYTEST_XDIST_AUTO_NUM_WORKERS overrides).

    A third of the suite's time is spent waiting (on real processes, sockets, rate limits and
    deadlines), not computing: one worker per core would leave a core idle meanwhile.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    cores = len(usable) if usable else os.cpu_count() or 1
    return max(2, cores * 3 // 2)


def pytest_configure(config: pytest.Config) -> None:
    """Temporary folders in RAM where the machine has a tmpfs, unless --basetemp says otherwise.

    Hundreds of tests create SQLite stores, and SQLite syncs every commit to disk: on a disk
    that costs the suite seconds of waiting (about 5 s of 60 here), in RAM nothing. The folder
    is made once by the controlling process (xdist's workers get a subfolder each) and removed
    at the end.
    """
    missing = [path for path in FIRST + FORKING if not (ROOT / path).is_file()]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py names files that do not exist: {missing}")
    shm = Path("/dev/shm")
    if hasattr(config, "workerinput") or config.option.basetemp or not os.access(shm, os.W_OK):
        return
    base = Path(tempfile.mkdtemp(prefix="hotpapers-tests-", dir=shm))
    config.option.basetemp = str(base)
    config.add_cleanup(lambda: shutil.rmtree(base, ignore_errors=True))


@pytest.fixture(scope="session")
def forks() -> Iterator[ForkServer]:
    """A warm fork server for tests that start many Python processes (one per test process)."""
    server = ForkServer()
    yield server
    server.close()
