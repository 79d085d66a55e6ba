"""What a channel's digest for a day is: the empty-day and source-failure policies applied."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal

from bot.channels import Channel, OutboundMessage
from bot.delivery.health import LISTING
from bot.models import SOURCE_LABELS, Digest
from bot.service import HotPapersService
from bot.sources.calendar import no_listing_reason
from bot.subscriptions import Subscription
from bot.weekly import WeeklyDigests

__all__ = ["Plan", "Skip", "plan_digest", "plan_weekly"]


@dataclass(frozen=True)
class Plan:
    """The messages to post and the papers they show."""

    messages: tuple[OutboundMessage, ...]
    arxiv_ids: tuple[str, ...]
    note: str = ""  # what the digest had to do without, for the ledger
    digest: Digest | None = None  # what the messages show (the site may publish the day)


@dataclass(frozen=True)
class Skip:
    """No digest this day, and why."""

    reason: str


def _label(source: str) -> str:
    """A source's display name."""
    return "arXiv" if source == LISTING else SOURCE_LABELS.get(source, source)


def missing_note(failing: Mapping[str, str]) -> str:
    """'without HN (timeout), Bluesky (401)' for the ledger and logs."""
    if not failing:
        return ""
    parts = ", ".join(f"{_label(s)} ({reason})" for s, reason in sorted(failing.items()))
    return f"posted without {parts}"


def plan_digest(
    service: HotPapersService,
    sub: Subscription,
    day: date,
    channel: Channel,
    failing: Mapping[str, str],
    on_listing_failure: Literal["post", "skip"],
    holidays: Collection[date] = (),
) -> Plan | Skip:
    """Rank and render a subscription's digest for a day, or say why there is none."""
    # Weekdays are the subscription's own choice; arXiv holidays are not announced days.
    if day - timedelta(days=1) in holidays:
        return Skip(f"no new papers today: {no_listing_reason(day, holidays)}")
    if LISTING in failing and on_listing_failure == "skip":
        return Skip(
            f"arXiv listing failed ({failing[LISTING]}) and delivery.on_listing_failure is skip"
        )
    digest = service.digest(
        day=day,
        ranking=sub.ranking,
        selection=sub.selection(),
        channel=sub.channel,
        repeat_days=sub.repeat_days,
        channel_weight=sub.channel_weight,
    )
    missing = tuple(sorted(set(digest.missing_sources) | set(failing)))
    digest = replace(digest, missing_sources=missing)
    if not digest.papers and sub.empty_day == "skip":
        reason = "empty day: no paper qualified"
        return Skip(f"{reason}; {missing_note(failing)}" if failing else reason)
    messages = tuple(channel.render(digest, sub.layout))
    if not messages:
        return Skip(f"the {channel.platform} renderer produced no message")
    ids = tuple(p.paper.arxiv_id for p in digest.papers)
    return Plan(messages, ids, missing_note(failing), digest)


def plan_weekly(
    weekly: WeeklyDigests, sub: Subscription, day: date, at: datetime, channel: Channel
) -> Plan | Skip:
    """Make and render a subscription's weekly digest of the week up to at, or say why not.

    Weekly digests are not published on the site (they are the channel's), nor tied to
    arXiv's calendar: the week's papers are there whatever today's listing did.
    """
    week = weekly.week(sub.channel, sub.selection(), day=day, end=at)
    if not week.arxiv_ids and sub.empty_day == "skip":
        return Skip("empty week: nobody reacted here and no paper qualified")
    messages = tuple(m for d in week.digests for m in channel.render(d, sub.layout))
    if not messages:
        return Skip(f"the {channel.platform} renderer produced no message")
    return Plan(messages, week.arxiv_ids)
