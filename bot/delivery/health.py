"""Source health as delivery sees it: which sources failed, for missing-source notes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from bot.sources.health import SourceHealth, read_health, read_refreshes, source_migrations
from bot.store import Store

__all__ = ["LISTING", "Fetch", "FetchReport", "SourceStatus"]

LISTING = "arxiv"  # the source whose failure means "no fresh listing"


class FetchReport(Protocol):
    """What delivery needs from a fetch run's report: a line for the log."""

    def headline(self) -> str:
        """Who contributed and who failed, in one line."""
        ...


Fetch = Callable[[], Awaitable[FetchReport]]


class SourceStatus:
    """Reads the sources' health table (written by the fetch itself)."""

    def __init__(self, store: Store) -> None:
        """Use the store; the table is created here too if no fetch ever ran."""
        self.store = store
        store.migrate(source_migrations)

    def all(self) -> dict[str, SourceHealth]:
        """Every recorded source's health."""
        return read_health(self.store)

    def failing(self) -> dict[str, str]:
        """Sources whose latest run failed, with the reason."""
        return {s.source: s.last_error for s in self.all().values() if s.last_status == "failed"}

    def last_fetch(self) -> datetime | None:
        """When a source last fetched data: runs skipped (not configured) or failed do not count.

        The start-up fetch is decided on this: a restart right after a start whose only
        "runs" were instant skips of unconfigured sources still fetches.
        """
        return max((s.last_success for s in self.all().values() if s.last_success), default=None)

    def summary(self) -> dict[str, dict[str, str | None]]:
        """Per source: status, last success and last error, for /healthz."""
        return {
            s.source: {
                "status": s.last_status,
                "last_success": s.last_success.isoformat() if s.last_success else None,
                "last_error": s.last_error or None,
            }
            for s in self.all().values()
        }

    def refreshes(self) -> dict[str, Any]:
        """The scheduled refresh for /healthz: its last run, and runs skipped behind a slow one."""
        seen = read_refreshes(self.store)

        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "last_started": iso(seen.last_started),
            "last_finished": iso(seen.last_finished),
            "skipped": seen.skipped,
            "last_skipped": iso(seen.last_skipped),
            "last_skip_reason": seen.last_skip_reason or None,
        }
