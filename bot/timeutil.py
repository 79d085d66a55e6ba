"""Time: the one clock type, and UTC timestamps as ISO 8601 text for the store and renderers."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Protocol

__all__ = [
    "Clock",
    "SystemTimer",
    "Timer",
    "opt_time",
    "parse_time",
    "to_iso",
    "utc",
    "utcnow",
]

# The wall clock: what time it is now, in UTC. Every part takes one, so tests set the time.
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time in UTC: the system's Clock."""
    return datetime.now(UTC)


class Timer(Protocol):
    """A Clock that also measures and waits (the HTTP layer's pacing and backoff).

    Tests pass a fake whose sleeps return at once and move its time forward.
    """

    def now(self) -> datetime:
        """The current UTC time."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait this long."""
        ...


class SystemTimer:
    """The real Timer."""

    def now(self) -> datetime:
        """utcnow()."""
        return utcnow()

    def monotonic(self) -> float:
        """time.monotonic()."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """asyncio.sleep()."""
        import asyncio  # here: every command reads the time, few of them sleep

        await asyncio.sleep(seconds)


def utc(moment: datetime) -> datetime:
    """Return moment in UTC; naive datetimes are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_iso(moment: datetime) -> str:
    """Format a moment as sortable ISO 8601 UTC text with a Z suffix, e.g. 2021-06-26T08:14:47Z."""
    # Whole seconds keep the text sortable: "…47.5Z" would sort before "…47Z".
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Parse ISO 8601 text (a date alone means midnight UTC) into an aware UTC datetime."""
    value = text.strip()
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def opt_time(text: str | None) -> datetime | None:
    """Parse optional stored time text: None or empty stays None."""
    return parse_time(text) if text else None
