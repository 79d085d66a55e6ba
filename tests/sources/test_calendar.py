"""arXiv's calendar: Sunday to Thursday 20:00 US Eastern, listings dated the next day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sources.calendar import (
    announcement_time,
    feed_time,
    is_listing_day,
    latest_listing,
    next_listing,
    no_listing_reason,
    previous_listing,
)

MONDAY = date(2024, 2, 5)


def test_listing_days_are_monday_to_friday() -> None:
    week = [date(2024, 2, d) for d in range(5, 12)]  # Monday .. Sunday
    assert [is_listing_day(d) for d in week] == [True] * 5 + [False, False]


def test_weekend_reason_names_the_missing_evening() -> None:
    assert no_listing_reason(date(2024, 2, 10)) == "arXiv does not announce on Friday evenings"
    assert no_listing_reason(date(2024, 2, 11)) == "arXiv does not announce on Saturday evenings"


def test_holiday_evening_cancels_the_next_listing() -> None:
    holidays = {date(2024, 12, 24)}
    assert not is_listing_day(date(2024, 12, 25), holidays)
    assert "holiday" in (no_listing_reason(date(2024, 12, 25), holidays) or "")
    assert is_listing_day(date(2024, 12, 26), holidays)


def test_announcement_is_eight_pm_eastern_the_evening_before_in_winter_and_summer() -> None:
    assert announcement_time(MONDAY) == datetime(2024, 2, 5, 1, 0, tzinfo=UTC)  # EST
    assert announcement_time(date(2024, 7, 1)) == datetime(2024, 7, 1, 0, 0, tzinfo=UTC)  # EDT


def test_feed_switches_at_midnight_eastern() -> None:
    assert feed_time(MONDAY) == datetime(2024, 2, 5, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2024, 2, 5, 0, 59, tzinfo=UTC), date(2024, 2, 2)),  # Sunday 19:59 ET
        (datetime(2024, 2, 5, 1, 0, tzinfo=UTC), date(2024, 2, 5)),  # Sunday 20:00 ET
        (datetime(2024, 2, 9, 12, 0, tzinfo=UTC), date(2024, 2, 9)),  # Friday noon
        (datetime(2024, 2, 10, 12, 0, tzinfo=UTC), date(2024, 2, 9)),  # Saturday
        (datetime(2024, 2, 10, 2, 0, tzinfo=UTC), date(2024, 2, 9)),  # Friday 21:00 ET
    ],
)
def test_latest_listing(now: datetime, expected: date) -> None:
    assert latest_listing(now) == expected


def test_latest_listing_skips_holidays() -> None:
    # Tuesday evening 2024-12-24 is a holiday: on Wednesday the latest listing is Tuesday's.
    holidays = {date(2024, 12, 24)}
    assert latest_listing(datetime(2024, 12, 25, 15, 0, tzinfo=UTC), holidays) == date(2024, 12, 24)


def test_next_and_previous_listing_jump_the_weekend() -> None:
    friday_night = datetime(2024, 2, 10, 2, 0, tzinfo=UTC)
    assert next_listing(friday_night) == date(2024, 2, 12)
    assert previous_listing(date(2024, 2, 12)) == date(2024, 2, 9)


@given(st.datetimes(min_value=datetime(2008, 1, 1), max_value=datetime(2035, 1, 1)))
def test_latest_listing_is_a_listing_announced_at_or_before_now(moment: datetime) -> None:
    now = moment.replace(tzinfo=UTC)
    listing = latest_listing(now)
    assert is_listing_day(listing)
    assert announcement_time(listing) <= now < announcement_time(next_listing(now))
