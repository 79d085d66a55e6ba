"""Run `python -m bot` many times, fast: one warm interpreter forks a fresh process per run.

Starting Python and importing hotpapers takes most of a second; a battery of a hundred runs would
spend a minute on it. This server pays it once: for each request (one JSON line on stdin) it
forks, and the child sets up the environment, working folder and standard streams, then runs
the `bot` package exactly as `python -m bot` does (runpy), including what the interpreter does
with an uncaught exception (print the traceback, exit 1). The parent answers with the exit
status. Each run is its own process: nothing it does reaches the next one.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import signal
import sys
import time
import traceback
from typing import Any

# What the commands import, loaded once here: discord.py and slack-bolt alone take a second.
import bot.adapters.discord.cli
import bot.adapters.slack.manifest
import bot.cli
import bot.delivery.cli
import bot.sources.cli

__all__ = ["serve"]

_ = (bot.cli, bot.delivery.cli, bot.sources.cli, bot.adapters.discord.cli, bot.adapters.slack)


def _streams(request: dict[str, Any]) -> None:
    """Point fds 0-2 at the request's files and give Python fresh stream objects over them."""
    stdin = os.open(request.get("stdin") or os.devnull, os.O_RDONLY)
    stdout = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    stderr = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
        os.dup2(fd, target)
        os.close(fd)
    # New objects: the parent's may hold buffered protocol bytes. Same settings as Python's own.
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
        line_buffering=True,
    )  # fmt: skip


def _child(request: dict[str, Any]) -> int:
    """Everything `python -m bot ARGS` does after start-up; returns the exit status."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    _streams(request)
    sys.argv = ["hotpapers", *request["argv"]]
    try:
        runpy.run_module("bot", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            code = done.code or 0
        else:
            print(done.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):
            stream.flush()
    return code


def _wait(pid: int, timeout: float) -> int | None:
    """The child's exit status, or None if it ran out of time (it is then killed)."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.005)


def serve() -> None:
    """Answer each request line with {"code": status or null on timeout}."""
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os._exit(_child(request))
        code = _wait(pid, float(request.get("timeout", 60)))
        print(json.dumps({"code": code}), flush=True)


if __name__ == "__main__":
    serve()
