"""When digests are due: local times in IANA zones, DST-correct, and arXiv's calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.delivery.ledger import Kind
from bot.subscriptions import WEEKDAYS, Subscription

__all__ = [
    "ARXIV_ZONE",
    "DigestTrigger",
    "Run",
    "digest_trigger",
    "listing_trigger",
    "local_day",
    "next_run",
    "previous_run",
    "run_on",
    "runs_between",
    "weekdays_of",
]

# arXiv's listings switch at midnight US Eastern, Monday to Friday (announced Sun-Thu 20:00).
ARXIV_ZONE = "America/New_York"


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


def _hm(text: str) -> tuple[int, int]:
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
    local = datetime.combine(day, time(*_hm(sub.time)), tzinfo=zone)  # fold=0: first occurrence
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


class DigestTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires at a subscription's runs exactly as `run_on` places them: once per local day.

    APScheduler 3.11's CronTrigger gets DST wrong both ways: asked for the time after the second
    occurrence of a repeated wall time it returns that time again (the job fires twice, then the
    scheduler spins), and across a spring-forward it can skip a day (a Monday 00:00
    America/New_York digest fired on 2 March 2020, then not until 16 March). The schedule's own
    functions decide instead, so the trigger and the catch-up sweep agree by construction.
    """

    def __init__(self, sub: Subscription, kind: Kind = "daily") -> None:
        """Fire for this subscription's time, timezone and weekdays (of its digest's kind)."""
        self.sub = sub
        self.kind: Kind = kind
        self.timezone = ZoneInfo(sub.timezone)

    def __str__(self) -> str:
        """How APScheduler names the trigger in its logs."""
        days = ",".join(weekdays_of(self.sub, self.kind))
        return f"{self.kind}[{self.sub.time} {self.sub.timezone} {days}]"

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The first run after the previous fire time (never that one again), else from now.

        On the first call a run due at this very moment counts (inclusive): the job was added
        as its time came, and it is due.
        """
        if previous_fire_time is None:
            run = next_run(self.sub, now, self.kind, inclusive=True)
        else:
            run = next_run(self.sub, min(previous_fire_time, now), self.kind)
        return run.at.astimezone(self.timezone) if run is not None else None


def digest_trigger(sub: Subscription, kind: Kind = "daily") -> DigestTrigger:
    """The trigger of a subscription's digest (daily or weekly), in its own timezone."""
    return DigestTrigger(sub, kind)


def listing_trigger(at: str) -> CronTrigger:
    """The fetch after arXiv's listing switches, Monday to Friday in US Eastern time."""
    hour, minute = _hm(at)
    return CronTrigger(day_of_week="mon-fri", hour=hour, minute=minute, timezone=ARXIV_ZONE)
