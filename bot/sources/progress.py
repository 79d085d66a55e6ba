"""Fetch progress for people: a rich progress bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn
from rich.table import Column

__all__ = ["BarListener", "LineListener", "listener_for"]


class LineListener:
    """Writes one plain line per event, for logs and pipes."""

    def __init__(self, stream: TextIO) -> None:
        """Write to stream (standard error: standard output carries results only)."""
        self._stream = stream

    def _write(self, text: str) -> None:
        """One line, flushed so it shows up in logs at once."""
        print(f"hotpapers fetch: {text}", file=self._stream, flush=True)

    def started(self, source: str) -> None:
        """A source began."""
        self._write(f"{source}: started")

    def step(self, source: str, message: str, done: int | None, total: int | None) -> None:
        """A source made progress."""
        count = f" ({done + 1}/{total})" if done is not None and total else ""
        self._write(f"{source}: {message}{count}")

    def finished(self, source: str, status: str, detail: str) -> None:
        """A source ended."""
        self._write(f"{source}: {detail}")


class BarListener:
    """Draws one progress line per source on a terminal."""

    def __init__(self, progress: Progress) -> None:
        """Draw into a running rich Progress."""
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def _task(self, source: str) -> TaskID:
        """The source's line, created on first use."""
        if source not in self._tasks:
            self._tasks[source] = self._progress.add_task(source, total=None, status="")
        return self._tasks[source]

    def started(self, source: str) -> None:
        """A source began."""
        self._progress.update(self._task(source), status="starting")

    def step(self, source: str, message: str, done: int | None, total: int | None) -> None:
        """A source made progress."""
        task = self._task(source)
        self._progress.update(task, status=escape(message), completed=done or 0, total=total)

    def finished(self, source: str, status: str, detail: str) -> None:
        """A source ended: fill its bar and show the outcome."""
        mark = {"ok": "[green]ok[/]", "failed": "[red]failed[/]"}.get(status, "[yellow]skipped[/]")
        text = escape(detail.removeprefix(f"{status}: "))
        self._progress.update(self._task(source), total=1, completed=1, status=f"{mark} {text}")


@contextmanager
def listener_for(
    stream: TextIO, terminal: bool | None = None
) -> Iterator[LineListener | BarListener]:
    """A bar when stream is a terminal, else plain lines."""
    if not (stream.isatty() if terminal is None else terminal):
        yield LineListener(stream)
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", table_column=Column(min_width=12, no_wrap=True)),
        BarColumn(bar_width=20),
        TextColumn("{task.fields[status]}", table_column=Column(no_wrap=True, overflow="ellipsis")),
        console=Console(file=stream),
        transient=False,
    )
    with progress:
        yield BarListener(progress)
