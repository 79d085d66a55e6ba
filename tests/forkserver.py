"""Start many Python processes fast: one warm interpreter forks each as `python -m MODULE ARGS`.

Starting Python and importing hotpapers (discord.py, slack-bolt, pydantic...) takes most of a
second; the suite would spend a minute on it. The server (`python -m tests.forkserver`) pays it
once: for each request (a JSON line on stdin) it forks, and the child sets up the environment,
working folder and standard streams, then runs MODULE exactly as `python -m MODULE` does
(runpy), including what the interpreter does with an uncaught exception (print the traceback,
exit 1). Each child is a real process of its own: it can be signalled and killed (-9), and
nothing it does reaches the next one. The server answers {"pid": N} at once and
{"exit": N, "code": C} when the child ends; it reaps children at once, since a zombie would
still look alive to a lease check.

`ForkServer` is the test side: `spawn()` returns a `Child` to signal and wait for, from plain or
async code.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import io
import json
import os
import runpy
import selectors
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]

# What the children import, loaded once: the CLI's command modules and the runner test process.
# (A child's own __main__ module is run afresh, as `python -m` would.)
PRELOAD = (
    "bot.adapters.discord.cli",
    "bot.adapters.slack.manifest",
    "bot.cli",
    "bot.delivery.cli",
    "bot.sources.cli",
    "tests.delivery.proc",
)


# The server


def _open(request: Mapping[str, Any]) -> tuple[int, int, int]:
    """The request's stdin, stdout and stderr, opened before the fork (as Popen does)."""
    stdin = os.open(request.get("stdin") or os.devnull, os.O_RDONLY)
    stdout = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    if request["stderr"] == request["stdout"]:
        return stdin, stdout, os.dup(stdout)
    return stdin, stdout, os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)


def _streams(fds: tuple[int, int, int]) -> None:
    """Point fds 0-2 at the request's files and give Python fresh stream objects over them."""
    for fd, target in zip(fds, (0, 1, 2), strict=True):
        os.dup2(fd, target)
        os.close(fd)
    # New objects: the server's may hold buffered protocol bytes. Same settings as Python's own.
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
        line_buffering=True,
    )  # fmt: skip


def _child(request: Mapping[str, Any], fds: tuple[int, int, int], inherited: Sequence[int]) -> int:
    """Everything `python -m MODULE ARGV` does after start-up; returns the exit status."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for fd in inherited:
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    _streams(fds)
    module = request["module"]
    sys.argv = [module, *request["argv"]]
    sys.modules.pop(module, None)  # `python -m` runs it as __main__ only, never imported
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
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


def _say(message: Mapping[str, int | None]) -> None:
    os.write(1, (json.dumps(message) + "\n").encode())


def _reap(children: set[int]) -> None:
    """Report every child that has ended."""
    while children:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        children.discard(pid)
        _say({"exit": pid, "code": os.waitstatus_to_exitcode(status)})


def serve(modules: Sequence[str]) -> None:
    """Fork a child per request line until stdin closes; then end the children left, and exit."""
    for name in modules:
        importlib.import_module(name)
    # SIGCHLD wakes the selector through a pipe: reaping is event-driven, never polled.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    children: set[int] = set()
    pending, reading = b"", True
    while reading or children:
        for key, _ in selector.select():
            if key.fd == wake_r:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_r, 4096)
                continue
            data = os.read(0, 1 << 16)
            if not data:  # the test session is over: nothing it started outlives it
                reading = False
                selector.unregister(0)
                for pid in children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            request = json.loads(line)
            fds = _open(request)
            pid = os.fork()
            if pid == 0:
                os._exit(_child(request, fds, (wake_r, wake_w)))
            for fd in fds:
                os.close(fd)
            children.add(pid)
            _say({"pid": pid})
        _reap(children)


# The test side


@dataclass(eq=False)
class Child:
    """A process forked by the server."""

    pid: int
    exited: concurrent.futures.Future[int]

    @property
    def returncode(self) -> int | None:
        """The exit status (-N for signal N), or None while it runs."""
        return self.exited.result() if self.exited.done() else None

    def signal(self, number: int) -> None:
        """Send a signal, unless it has already ended."""
        if not self.exited.done():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, number)

    def result(self, timeout: float) -> int | None:
        """Block for the exit status; None after `timeout` seconds (it is then killed)."""
        try:
            return self.exited.result(timeout)
        except concurrent.futures.TimeoutError:
            self.signal(signal.SIGKILL)
            self.exited.result(30)
            return None

    async def wait(self) -> int:
        """The exit status, once the process has ended (and been reaped)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[int] = loop.create_future()

        def settle(code: int) -> None:
            if not waiter.done():
                waiter.set_result(code)

        def done(exited: concurrent.futures.Future[int]) -> None:
            # Called in the reader thread; a test that gave up may have closed its loop.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, exited.result())

        self.exited.add_done_callback(done)
        return await waiter


class ForkServer:
    """One warm server process and a thread that reads its reports."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.forkserver", *PRELOAD], cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )  # fmt: skip
        self._lock = threading.Lock()  # one request, and its pid answer, at a time
        self._started: concurrent.futures.Future[Child] | None = None
        self._running: dict[int, concurrent.futures.Future[int]] = {}
        self._reader = threading.Thread(target=self._read, name="forkserver", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        out: IO[bytes] = self._process.stdout  # type: ignore[assignment]
        for line in out:
            message = json.loads(line)
            if "pid" in message:
                child = Child(message["pid"], concurrent.futures.Future())
                self._running[child.pid] = child.exited
                assert self._started is not None
                self._started.set_result(child)
            else:
                self._running.pop(message["exit"]).set_result(message["code"])

    def spawn(
        self, module: str, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path,
        stdout: Path, stderr: Path | None = None, stdin: Path | None = None,
    ) -> Child:  # fmt: skip
        """Start `python -m module *argv`; stderr goes with stdout unless given its own file."""
        request = {
            "module": module, "argv": list(argv), "env": dict(env), "cwd": str(cwd),
            "stdout": str(stdout), "stderr": str(stderr or stdout),
            "stdin": str(stdin) if stdin else None,
        }  # fmt: skip
        pipe: IO[bytes] = self._process.stdin  # type: ignore[assignment]
        with self._lock:
            self._started = concurrent.futures.Future()
            pipe.write(json.dumps(request).encode() + b"\n")
            pipe.flush()
            return self._started.result(60)

    def close(self) -> None:
        """End the server (and kill any child still running)."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(30)
        self._reader.join(30)


if __name__ == "__main__":
    serve(sys.argv[1:])
