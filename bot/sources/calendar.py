"""arXiv's announcement calendar as pure functions.

arXiv announces Sunday to Thursday at 20:00 US Eastern; each announcement is the listing dated the
next day (Monday to Friday). Nothing is announced on Friday and Saturday evenings, nor on the
evenings arXiv lists as holidays. The RSS feed switches to a new listing at midnight US Eastern.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "EASTERN",
    "announcement_time",
    "feed_time",
    "is_listing_day",
    "latest_listing",
    "next_listing",
    "no_listing_reason",
    "previous_listing",
]

EASTERN = ZoneInfo("America/New_York")
ANNOUNCE_AT = time(20, 0)
_DAY = timedelta(days=1)
# Guards the searches below; arXiv has never paused for more than a couple of weeks.
_MAX_GAP_DAYS = 60


def announcement_time(listing: date) -> datetime:
    """When the listing dated `listing` is announced: 20:00 US Eastern the evening before."""
    evening = datetime.combine(listing - _DAY, ANNOUNCE_AT, EASTERN)
    return evening.astimezone(UTC)


def feed_time(listing: date) -> datetime:
    """When the RSS feed switches to the listing dated `listing`: its midnight US Eastern."""
    return datetime.combine(listing, time(0, 0), EASTERN).astimezone(UTC)


def no_listing_reason(listing: date, holidays: Collection[date] = ()) -> str | None:
    """Why there is no listing dated `listing`, or None when there is one."""
    evening = listing - _DAY
    if evening.weekday() in (4, 5):  # Friday, Saturday
        return f"arXiv does not announce on {evening:%A} evenings"
    if evening in holidays:
        return f"arXiv holiday: no announcement on the evening of {evening.isoformat()}"
    return None


def is_listing_day(listing: date, holidays: Collection[date] = ()) -> bool:
    """True when arXiv publishes a listing dated `listing`."""
    return no_listing_reason(listing, holidays) is None


def previous_listing(listing: date, holidays: Collection[date] = ()) -> date:
    """The last listing day strictly before `listing`."""
    day = listing - _DAY
    for _ in range(_MAX_GAP_DAYS):
        if is_listing_day(day, holidays):
            return day
        day -= _DAY
    raise ValueError(f"no arXiv listing in the {_MAX_GAP_DAYS} days before {listing}")


def latest_listing(now: datetime, holidays: Collection[date] = ()) -> date:
    """The listing most recently announced at `now`."""
    local = now.astimezone(EASTERN)
    candidate = local.date() + (_DAY if local.time() >= ANNOUNCE_AT else timedelta(0))
    if is_listing_day(candidate, holidays):
        return candidate
    return previous_listing(candidate, holidays)


def next_listing(now: datetime, holidays: Collection[date] = ()) -> date:
    """The first listing announced after `now`."""
    day = latest_listing(now, holidays) + _DAY
    for _ in range(_MAX_GAP_DAYS):
        if is_listing_day(day, holidays):
            return day
        day += _DAY
    raise ValueError(f"no arXiv listing in the {_MAX_GAP_DAYS} days after {now}")
