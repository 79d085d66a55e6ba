"""Human-readable delivery status: last and next run per channel, sources, the runner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.delivery.health import SourceStatus
from bot.delivery.ledger import Delivery, Kind, Ledger, ledger_day
from bot.delivery.schedule import next_run
from bot.subscriptions import Subscription, Subscriptions
from bot.timeutil import Clock

__all__ = ["ChannelStatus", "channel_status", "source_lines"]


def _local(moment: datetime, zone: str) -> str:
    """A moment in a subscription's timezone, e.g. 'Tue 2024-05-07 09:00 CEST'."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z")


def _ago(moment: datetime, now: datetime) -> str:
    """'3 h ago', 'in 20 min'."""
    seconds = (now - moment).total_seconds()
    amount = abs(seconds)
    text = f"{amount / 3600:.0f} h" if amount >= 5400 else f"{amount / 60:.0f} min"
    return f"{text} ago" if seconds >= 0 else f"in {text}"


def _day(delivery: Delivery) -> str:
    """A delivery's day, or a weekly one's week: '2026-11-26', 'weekly, week of 2026-11-23'."""
    return f"weekly, week of {delivery.day}" if delivery.kind == "weekly" else f"{delivery.day}"


def describe(delivery: Delivery, zone: str) -> str:
    """One delivery in a line: day, outcome and why."""
    when = _local(delivery.finished_at or delivery.updated_at, zone)
    day = _day(delivery)
    if delivery.state == "sent":
        text = f"{day}: posted {when} ({len(delivery.message_ids)} message(s))"
    elif delivery.state == "planned":
        text = f"{day}: being posted, {delivery.attempts} failed attempt(s)"
    else:
        text = f"{day}: {delivery.state} {when}"
    return text + (f" — {delivery.reason}" if delivery.reason else "")


def channel_status(
    sub: Subscription, ledger: Ledger, now: datetime, *, waiting_for: str = ""
) -> str:
    """Last digest, next digest and last error of a subscription, a line each."""
    last = ledger.latest(sub.channel)
    lines = [f"Last digest: {describe(last, sub.timezone) if last else 'none yet'}"]
    if sub.paused:
        lines.append(f"Next digest: none, paused — {sub.paused_reason or 'by request'}")
    elif waiting_for:
        lines.append(f"Next digest: not scheduled — {waiting_for}")
    else:
        lines.append(f"Next digest: {_next(sub, ledger, now, 'daily')}")
        if sub.weekly:
            lines.append(f"Next weekly digest: {_next(sub, ledger, now, 'weekly')}")
    failed = ledger.last_error(sub.channel)
    if failed is not None:
        lines.append(f"Last error: {_day(failed)}: {failed.last_error}")
    return "\n".join(lines)


def _next(sub: Subscription, ledger: Ledger, now: datetime, kind: Kind) -> str:
    """When the subscription's next digest of a kind is due, not counting days already done.

    A weekly digest's week is done once it was posted on any weekday.
    """
    run = next_run(sub, now, kind)
    done = ledger.days(sub.channel, run.day, kind) if run else set()
    while run is not None and ledger_day(run.day, kind) in done:  # e.g. moved after it was posted
        run = next_run(sub, run.at, kind)
    return f"{_local(run.at, sub.timezone)} ({_ago(run.at, now)})" if run else "none"


class ChannelStatus:
    """`/digest status` beyond the settings: last and next digest, and why none is scheduled."""

    def __init__(
        self,
        subscriptions: Subscriptions,
        ledger: Ledger,
        clock: Clock,
        waiting_for: Callable[[str], str],
    ) -> None:
        """waiting_for(platform) says why a platform is not posted to here ('' when it is)."""
        self.subscriptions = subscriptions
        self.ledger = ledger
        self.clock = clock
        self.waiting_for = waiting_for

    def __call__(self, channel: str) -> str:
        """The channel's delivery status, a line each."""
        sub = self.subscriptions.get(channel)
        if sub is None:
            return "No digest subscription."
        waiting = self.waiting_for(sub.platform)
        return channel_status(sub, self.ledger, self.clock(), waiting_for=waiting)


def source_lines(sources: SourceStatus, now: datetime) -> list[str]:
    """One line per source: its last status and when it last worked."""
    lines = []
    for health in sources.all().values():
        text = f"{health.source}: {health.last_status}"
        if health.last_success:
            text += f", last success {_ago(health.last_success, now)}"
        if health.last_status == "failed" and health.last_error:
            text += f" — {health.last_error}"
        lines.append(text)
    return lines
