"""Subscriptions: validation with clear messages, settings text, persistence."""

from __future__ import annotations

import pytest

from bot.store import Store
from bot.subscriptions import (
    WEEKDAYS,
    InvalidSettingError,
    Subscription,
    Subscriptions,
    parse_settings,
    parse_weekdays,
)
from tests.factories import NOW


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon-fri", ("mon", "tue", "wed", "thu", "fri")),
        ("sun-thu", ("mon", "tue", "wed", "thu", "sun")),
        ("fri-mon", ("mon", "fri", "sat", "sun")),
        ("mon,wed,friday", ("mon", "wed", "fri")),
        ("daily", WEEKDAYS),
    ],
)
def test_weekday_specs_parse_to_ordered_days(text: str, days: tuple[str, ...]) -> None:
    assert parse_weekdays(text) == days


def test_settings_text_parses_aliases_and_lists() -> None:
    assert parse_settings(
        'time=9:30 tz=Europe/Berlin days=mon-fri top=3 cats=cs.LG,cs.CL keywords="llm agents"'
    ) == {
        "time": "09:30",
        "timezone": "Europe/Berlin",
        "days": ("mon", "tue", "wed", "thu", "fri"),
        "top": 3,
        "categories": ("cs.LG", "cs.CL"),
        "keywords": ("llm", "agents"),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour=blue", "unknown setting 'colour'"),
        ("top=many", "top: 'many' is not a whole number"),
        ("days=someday", "days: 'someday' is not a weekday range"),
        ("just words", "expected key=value pairs"),
    ],
)
def test_bad_settings_text_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidSettingError, match=message):
        parse_settings(text)


@pytest.mark.parametrize(
    ("sub", "message"),
    [
        (Subscription("discord:1", time="25:00"), "time: '25:00'"),
        (Subscription("discord:1", timezone="Mars/Olympus"), "timezone: 'Mars/Olympus'"),
        (Subscription("discord:1", top=26), "top: 26"),
        (Subscription("irc:#ml"), "channel: 'irc:#ml'"),
        (Subscription("discord:1", categories=("CS LG",)), "categories: 'CS LG'"),
    ],
)
def test_invalid_subscriptions_are_refused(sub: Subscription, message: str) -> None:
    with pytest.raises(InvalidSettingError, match=message):
        Subscriptions(Store()).save(sub, NOW)


def test_subscriptions_persist_update_pause_and_remove() -> None:
    subs = Subscriptions(Store())
    subs.save(
        Subscription("slack:C1", time="7:05", timezone="America/New_York", workspace="T1"), NOW
    )
    assert subs.get("slack:C1") == Subscription(
        "slack:C1", time="07:05", timezone="America/New_York", workspace="T1"
    )
    subs.update("slack:C1", {"top": 3}, NOW)
    subs.pause("slack:C1", "channel_not_found", NOW)
    sub = subs.get("slack:C1")
    assert sub is not None and sub.top == 3 and sub.paused and "channel_not_found" in sub.describe()
    assert subs.resume("slack:C1", NOW).paused is False
    assert subs.remove("slack:C1") and not subs.remove("slack:C1")
    assert subs.all() == []
