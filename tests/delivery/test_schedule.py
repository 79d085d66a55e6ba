"""Schedules: local times in IANA zones across DST, weekdays, and the APScheduler trigger."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.delivery.schedule import (
    next_run,
    previous_run,
    run_on,
    runs_between,
)
from bot.delivery.triggers import digest_trigger, listing_trigger
from bot.subscriptions import WEEKDAYS, Subscription
from tests.factories import DISCORD


def sub(
    time: str = "09:00", tz: str = "Europe/Berlin", days: tuple[str, ...] = WEEKDAYS
) -> Subscription:
    return Subscription(DISCORD, time=time, timezone=tz, days=days)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fires(trigger: CronTrigger, start: datetime, count: int) -> list[datetime]:
    """The trigger's next fire times, as APScheduler asks for them."""
    found, previous, now = [], None, start
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        found.append(fire.astimezone(UTC))
        previous, now = fire, fire
    return found


def test_berlin_morning_digest_moves_in_utc_when_summer_time_starts_and_ends() -> None:
    s = sub("09:00")
    assert run_on(s, date(2024, 3, 30)).at == utc(2024, 3, 30, 8)
    assert run_on(s, date(2024, 3, 31)).at == utc(2024, 3, 31, 7)
    assert run_on(s, date(2024, 10, 26)).at == utc(2024, 10, 26, 7)
    assert run_on(s, date(2024, 10, 27)).at == utc(2024, 10, 27, 8)


def test_a_time_skipped_by_spring_forward_fires_once_an_hour_later() -> None:
    berlin = sub("02:30")
    runs = runs_between(berlin, utc(2024, 3, 30, 12), utc(2024, 4, 1, 12))
    assert [r.at for r in runs] == [utc(2024, 3, 31, 1, 30), utc(2024, 4, 1, 0, 30)]
    new_york = sub("02:30", "America/New_York")
    assert run_on(new_york, date(2024, 3, 10)).at == utc(2024, 3, 10, 7, 30)  # 03:30 EDT


def test_a_time_repeated_by_fall_back_fires_once_at_its_first_occurrence() -> None:
    berlin = sub("02:30")
    runs = runs_between(berlin, utc(2024, 10, 26, 12), utc(2024, 10, 28, 12))
    assert [r.at for r in runs] == [utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30)]
    new_york = sub("01:30", "America/New_York")
    runs = runs_between(new_york, utc(2024, 11, 2, 12), utc(2024, 11, 4, 12))
    assert [r.at for r in runs] == [utc(2024, 11, 3, 5, 30), utc(2024, 11, 4, 6, 30)]


def test_digest_trigger_fires_once_on_fall_back_where_plain_crontrigger_repeats() -> None:
    zone = ZoneInfo("Europe/Berlin")
    plain = CronTrigger(hour=2, minute=30, timezone=zone)
    # APScheduler 3.11 alone fires at both 02:30s (and then returns the second one forever).
    assert fires(plain, utc(2024, 10, 26, 12), 2) == [
        utc(2024, 10, 27, 0, 30),
        utc(2024, 10, 27, 1, 30),
    ]
    ours = fires(digest_trigger(sub("02:30")), utc(2024, 10, 26, 12), 3)
    assert ours == [utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30), utc(2024, 10, 29, 1, 30)]


def test_digest_trigger_keeps_the_day_after_spring_forward_where_plain_crontrigger_skips_it() -> (
    None
):
    monday = sub("00:00", "America/New_York", ("mon",))
    plain = CronTrigger(day_of_week="mon", hour=0, minute=0, timezone=ZoneInfo(monday.timezone))
    # APScheduler 3.11 alone goes from 2 March 2020 to 16 March: Monday the 9th is lost.
    assert fires(plain, utc(2020, 3, 1), 2) == [utc(2020, 3, 2, 5), utc(2020, 3, 16, 4)]
    ours = fires(digest_trigger(monday), utc(2020, 3, 1), 3)
    assert ours == [utc(2020, 3, 2, 5), utc(2020, 3, 9, 4), utc(2020, 3, 16, 4)]


def test_a_run_due_this_very_moment_fires_and_is_not_fired_twice() -> None:
    trigger = digest_trigger(sub("09:00"))
    nine = utc(2024, 5, 6, 7)  # 09:00 in Berlin
    assert trigger.get_next_fire_time(None, nine) == nine
    assert trigger.get_next_fire_time(nine, nine) == nine + timedelta(days=1)


def test_a_start_exactly_on_a_fire_time_is_excluded_unless_inclusive() -> None:
    kolkata = sub("05:30", "Asia/Kolkata")  # 05:30 IST is 00:00 UTC
    midnight = utc(2020, 1, 1)
    week = midnight + timedelta(days=7)
    assert runs_between(kolkata, midnight, week)[0].at == utc(2020, 1, 2)
    assert runs_between(kolkata, midnight, week, inclusive=True)[0].at == midnight
    assert next_run(kolkata, midnight).at == utc(2020, 1, 2)
    assert next_run(kolkata, midnight, inclusive=True).at == midnight
    assert previous_run(kolkata, midnight).at == midnight  # "at or before now"
    # Added at that very moment, the job fires at once, then daily.
    assert fires(digest_trigger(kolkata), midnight, 3) == [
        midnight,
        utc(2020, 1, 2),
        utc(2020, 1, 3),
    ]


def test_weekdays_are_respected_and_previous_and_next_run_bracket_now() -> None:
    weekdays = sub("09:00", days=("mon", "tue", "wed", "thu", "fri"))
    saturday_noon = utc(2024, 5, 4, 10)
    assert previous_run(weekdays, saturday_noon).day == date(2024, 5, 3)  # Friday
    assert next_run(weekdays, saturday_noon).day == date(2024, 5, 6)  # Monday
    assert previous_run(sub(days=()), saturday_noon) is None


def test_listing_fetch_runs_after_midnight_eastern_on_weekdays_only() -> None:
    trigger = listing_trigger("00:10")
    found = fires(trigger, utc(2024, 5, 3, 12), 3)  # from Friday noon UTC
    assert found == [utc(2024, 5, 6, 4, 10), utc(2024, 5, 7, 4, 10), utc(2024, 5, 8, 4, 10)]


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
         "America/Sao_Paulo", "Pacific/Auckland", "UTC"]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    days=st.sets(st.sampled_from(WEEKDAYS), min_size=1),
    start=st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)),
)
@example(  # a start exactly on a fire time: the trigger's first fire is that very moment
    zone="Asia/Kolkata", hour=5, minute=30, days=set(WEEKDAYS), start=datetime(2020, 1, 1)
)
def test_digest_trigger_and_schedule_agree_on_every_fire_time(
    zone: str, hour: int, minute: int, days: set[str], start: datetime
) -> None:
    s = sub(f"{hour:02d}:{minute:02d}", zone, tuple(d for d in WEEKDAYS if d in days))
    begin = start.replace(tzinfo=UTC)
    # The trigger's first call counts a run due at that very moment, so the start is inclusive.
    runs = runs_between(s, begin, begin + timedelta(days=40), inclusive=True)
    assert len({run.day for run in runs}) == len(runs)  # never two runs for one local day
    expected = [r.at for r in runs][:8]
    assert fires(digest_trigger(s), begin, len(expected)) == expected
