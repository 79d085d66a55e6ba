"""UTC timestamps as ISO 8601 text: one spelling for the store, snapshots and renderers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

__all__ = ["Clock", "opt_time", "parse_time", "to_iso", "utc", "utcnow"]

Clock = Callable[[], datetime]  # "now", injected so tests can set it


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


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
