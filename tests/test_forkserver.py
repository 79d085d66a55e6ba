"""The fork server the process tests rely on: its children behave as `python -m` processes do."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.forkserver import ForkServer


def test_a_child_gets_its_argv_folder_environment_and_streams_and_its_exit_status(
    forks: ForkServer, tmp_path: Path
) -> None:
    (tmp_path / "in").write_text("hello\n")
    child = forks.spawn(
        "tests.forkchild", ["7"], env={"WHO": "child"}, cwd=tmp_path, stdin=tmp_path / "in",
        stdout=tmp_path / "out", stderr=tmp_path / "err",
    )  # fmt: skip
    assert child.result(timeout=30) == 7
    assert (tmp_path / "out").read_text() == f"argv ['7'] cwd {tmp_path} env child\n"
    assert (tmp_path / "err").read_text() == "stdin hello\n"
    assert "WHO" not in os.environ  # nothing reaches the test process


def test_an_uncaught_exception_is_a_traceback_and_status_1_as_in_python(
    forks: ForkServer, tmp_path: Path
) -> None:
    child = forks.spawn("tests.forkchild", ["raise"], env={}, cwd=tmp_path, stdout=tmp_path / "log")
    assert child.result(timeout=30) == 1
    log = (tmp_path / "log").read_text()
    assert "Traceback" in log and log.endswith("ValueError: from the child\n")


async def test_a_killed_child_is_reaped_at_once_and_reports_the_signal(
    forks: ForkServer, tmp_path: Path
) -> None:
    child = forks.spawn("tests.forkchild", ["wait"], env={}, cwd=tmp_path, stdout=tmp_path / "log")
    assert child.returncode is None
    child.signal(signal.SIGKILL)
    assert await child.wait() == -signal.SIGKILL
    assert child.returncode == -signal.SIGKILL
    with pytest.raises(ProcessLookupError):  # reaped: a zombie would still take signal 0
        os.kill(child.pid, 0)
    child.signal(signal.SIGTERM)  # already ended: nothing to do, no error


def test_a_child_that_outlives_its_timeout_is_killed(forks: ForkServer, tmp_path: Path) -> None:
    child = forks.spawn("tests.forkchild", ["wait"], env={}, cwd=tmp_path, stdout=tmp_path / "log")
    assert child.result(timeout=0.2) is None
    assert child.returncode == -signal.SIGKILL
