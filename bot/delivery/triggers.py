"""APScheduler's triggers: the digests' runs as schedule.py places them, and arXiv's calendar."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.delivery.ledger import Kind
from bot.delivery.schedule import hm, next_run, weekdays_of
from bot.subscriptions import Subscription

__all__ = ["ARXIV_ZONE", "DigestTrigger", "digest_trigger", "listing_trigger"]

# arXiv's listings switch at midnight US Eastern, Monday to Friday (announced Sun-Thu 20:00).
ARXIV_ZONE = "America/New_York"


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
    hour, minute = hm(at)
    return CronTrigger(day_of_week="mon-fri", hour=hour, minute=minute, timezone=ARXIV_ZONE)
