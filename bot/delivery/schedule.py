"""When digests are due: local times in IANA zones, DST-correct, and arXiv's calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

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
]

# arXiv's listings switch at midnight US Eastern, Monday to Friday (announced Sun-Thu 20:00).
ARXIV_ZONE = "America/New_York"


@dataclass(frozen=True, order=True)
class Run:
    """One scheduled digest: the UTC moment and the local day it is for."""

    at: datetime
    day: date


def _hm(text: str) -> tuple[int, int]:
    """Hours and minutes of an HH:MM time."""
    hours, minutes = text.split(":")
    return int(hours), int(minutes)


def run_on(sub: Subscription, day: date) -> Run:
    """The moment a subscription's digest for a local day is due (weekdays not checked).

    A wall time that does not exist (clocks spring forward) resolves to the same instant as
    CronTrigger picks, an hour later in the new offset; a repeated one (clocks fall back)
    resolves to its first occurrence.
    """
    zone = ZoneInfo(sub.timezone)
    local = datetime.combine(day, time(*_hm(sub.time)), tzinfo=zone)  # fold=0: first occurrence
    return Run(at=local.astimezone(UTC), day=day)


def local_day(sub: Subscription, moment: datetime) -> date:
    """The date in the subscription's timezone at a moment."""
    return moment.astimezone(ZoneInfo(sub.timezone)).date()


def runs_between(sub: Subscription, start: datetime, end: datetime) -> list[Run]:
    """The subscription's runs with start < at <= end, oldest first."""
    first = local_day(sub, start) - timedelta(days=1)
    last = local_day(sub, end) + timedelta(days=1)
    runs = []
    day = first
    while day <= last:
        if WEEKDAYS[day.weekday()] in sub.days:
            run = run_on(sub, day)
            if start < run.at <= end:
                runs.append(run)
        day += timedelta(days=1)
    return runs


def previous_run(sub: Subscription, now: datetime) -> Run | None:
    """The latest run at or before now (within a week; None if the subscription has no days)."""
    runs = runs_between(sub, now - timedelta(days=8), now)
    return runs[-1] if runs else None


def next_run(sub: Subscription, now: datetime) -> Run | None:
    """The first run after now."""
    runs = runs_between(sub, now, now + timedelta(days=8))
    return runs[0] if runs else None


class DigestTrigger(CronTrigger):  # type: ignore[misc]
    """CronTrigger that fires once per local day, even when clocks fall back.

    APScheduler 3.11's CronTrigger, asked for the time after the second occurrence of a repeated
    wall time, returns that same time again: its scheduler would fire the job twice and then
    spin forever. This trigger never returns a second occurrence.
    """

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> Any:
        """The next fire time that is not the repeat of a wall time already passed."""
        fire = super().get_next_fire_time(previous_fire_time, now)
        for _ in range(3):
            if fire is None or fire.astimezone(self.timezone).fold == 0:
                return fire
            # Resume once the repeated hour is over, where the wall time is unambiguous again.
            local = fire.astimezone(self.timezone)
            repeated = local.replace(fold=0).utcoffset() - local.utcoffset()
            fire = super().get_next_fire_time(None, fire.astimezone(UTC) + repeated)
        return fire


def digest_trigger(sub: Subscription) -> DigestTrigger:
    """The cron trigger of a subscription's digest, in its own timezone."""
    hour, minute = _hm(sub.time)
    return DigestTrigger(
        day_of_week=",".join(sub.days),
        hour=hour,
        minute=minute,
        timezone=ZoneInfo(sub.timezone),
    )


def listing_trigger(at: str) -> CronTrigger:
    """The fetch after arXiv's listing switches, Monday to Friday in US Eastern time."""
    hour, minute = _hm(at)
    return CronTrigger(day_of_week="mon-fri", hour=hour, minute=minute, timezone=ARXIV_ZONE)
