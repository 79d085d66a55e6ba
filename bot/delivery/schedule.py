"""When digests are due: local times in IANA zones, DST-correct.

Pure functions: `hotpapers status` says when each digest is next due without importing
APScheduler; the scheduler's triggers (bot/delivery/triggers.py) fire at these same runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.delivery.ledger import Kind
from bot.subscriptions import WEEKDAYS, Subscription

__all__ = [
    "Run",
    "hm",
    "local_day",
    "next_run",
    "previous_run",
    "run_on",
    "runs_between",
    "weekdays_of",
]


@dataclass(frozen=True, order=True)
class Run:
    """One scheduled digest: the UTC moment, the local day it is for, and its kind."""

    at: datetime
    day: date
    kind: Kind = "daily"


def weekdays_of(sub: Subscription, kind: Kind) -> tuple[str, ...]:
    """The weekdays a subscription's digest of a kind runs on (the weekly one: its day, if any)."""
    if kind == "weekly":
        return (sub.weekly,) if sub.weekly else ()
    return sub.days


def hm(text: str) -> tuple[int, int]:
    """Hours and minutes of an HH:MM time."""
    hours, minutes = text.split(":")
    return int(hours), int(minutes)


def run_on(sub: Subscription, day: date, kind: Kind = "daily") -> Run:
    """The moment a subscription's digest for a local day is due (weekdays not checked).

    A wall time that does not exist (clocks spring forward) resolves to the same instant as
    CronTrigger picks, an hour later in the new offset; a repeated one (clocks fall back)
    resolves to its first occurrence.
    """
    zone = ZoneInfo(sub.timezone)
    local = datetime.combine(day, time(*hm(sub.time)), tzinfo=zone)  # fold=0: first occurrence
    return Run(at=local.astimezone(UTC), day=day, kind=kind)


def local_day(sub: Subscription, moment: datetime) -> date:
    """The date in the subscription's timezone at a moment."""
    return moment.astimezone(ZoneInfo(sub.timezone)).date()


def runs_between(
    sub: Subscription,
    start: datetime,
    end: datetime,
    kind: Kind = "daily",
    *,
    inclusive: bool = False,
) -> list[Run]:
    """The runs of a kind with start < at <= end (start <= at, inclusive), oldest first."""
    first = local_day(sub, start) - timedelta(days=1)
    last = local_day(sub, end) + timedelta(days=1)
    days = weekdays_of(sub, kind)
    runs = []
    day = first
    while day <= last:
        if WEEKDAYS[day.weekday()] in days:
            run = run_on(sub, day, kind)
            if (start <= run.at if inclusive else start < run.at) and run.at <= end:
                runs.append(run)
        day += timedelta(days=1)
    return runs


def previous_run(sub: Subscription, now: datetime, kind: Kind = "daily") -> Run | None:
    """The latest run at or before now (within a week; None if the subscription has no days)."""
    runs = runs_between(sub, now - timedelta(days=8), now, kind)
    return runs[-1] if runs else None


def next_run(
    sub: Subscription, now: datetime, kind: Kind = "daily", *, inclusive: bool = False
) -> Run | None:
    """The first run (of a kind) after now (at or after now, inclusive)."""
    runs = runs_between(sub, now, now + timedelta(days=8), kind, inclusive=inclusive)
    return runs[0] if runs else None
