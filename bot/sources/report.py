"""What a fetch run reports: which sources contributed, which failed and why."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import httpx

from bot.errors import StoreError
from bot.sources.base import NONE_DROPPED, Dropped, FetchResult, SourceError

__all__ = ["FetchReport", "SourceReport", "Status", "reason_for"]

Status = Literal["ok", "failed", "skipped"]


def reason_for(error: Exception) -> str:
    """One line saying why a source failed."""
    if isinstance(error, SourceError):
        return error.reason
    if isinstance(error, httpx.InvalidURL):
        return f"invalid URL: {error}"
    if isinstance(error, httpx.HTTPError):
        return f"HTTP error: {type(error).__name__}: {error}"
    if isinstance(error, sqlite3.Error | StoreError):
        return f"could not store the batch: {error}"
    return f"unexpected {type(error).__name__}: {error}"


@dataclass(frozen=True, slots=True)
class SourceReport:
    """How one source's run ended."""

    source: str
    status: Status
    detail: str  # the note of a success, the reason of a failure or skip
    papers: int = 0
    posts: int = 0
    signals: int = 0
    requests: int = 0
    seconds: float = 0.0
    dropped: Dropped = NONE_DROPPED  # malformed records left out of the stored batch

    @classmethod
    def ok(cls, source: str, result: FetchResult, requests: int, seconds: float) -> SourceReport:
        """A stored result."""
        batch = result.batch
        return cls(
            source,
            "ok",
            result.note,
            len(batch.papers),
            len(batch.posts),
            len(batch.signals),
            requests,
            seconds,
            batch.dropped,
        )

    @property
    def contributed(self) -> bool:
        """True when the source ran and delivered something."""
        return self.status == "ok" and (self.papers + self.posts + self.signals) > 0

    def summary(self) -> str:
        """Counts and detail, e.g. '1834 papers (21 requests, 63.2 s): listing of ...'."""
        if self.status == "skipped":
            return f"skipped: {self.detail}"
        if self.status == "failed":
            return f"failed: {self.detail}"
        counts = [
            f"{n} {what}"
            for n, what in (
                (self.papers, "papers"),
                (self.posts, "posts"),
                (self.signals, "signals"),
            )
            if n
        ]
        head = ", ".join(counts) or "nothing new"
        requests = "1 request" if self.requests == 1 else f"{self.requests} requests"
        tail = f" ({requests}, {self.seconds:.1f} s)"
        notes = "; ".join(n for n in (self.detail, self.dropped.summary()) if n)
        return f"{head}{tail}" + (f": {notes}" if notes else "")

    def line(self) -> str:
        """One log line."""
        return f"{self.source}: {self.summary()}"


@dataclass(frozen=True, slots=True)
class FetchReport:
    """The outcome of one fetch run."""

    started_at: datetime
    finished_at: datetime
    day: date | None
    sources: tuple[SourceReport, ...]
    skipped: str = ""  # why the run did not happen at all (a scheduled refresh still going)

    @property
    def contributed(self) -> tuple[str, ...]:
        """The sources that delivered data in this run."""
        return tuple(r.source for r in self.sources if r.contributed)

    @property
    def failed(self) -> tuple[SourceReport, ...]:
        """The sources that failed, with their reasons."""
        return tuple(r for r in self.sources if r.status == "failed")

    @property
    def ok(self) -> bool:
        """True when no source failed."""
        return not self.failed

    def headline(self) -> str:
        """One line: who contributed and who failed."""
        if self.skipped:
            return f"fetch: skipped: {self.skipped}"
        contributed = ", ".join(self.contributed) or "none"
        text = f"fetch: contributed: {contributed}"
        if self.failed:
            text += "; failed: " + "; ".join(f"{r.source} ({r.detail})" for r in self.failed)
        return text

    def lines(self) -> list[str]:
        """A line per source, then the headline."""
        return [r.line() for r in self.sources] + [self.headline()]
