"""Subscriptions: validation with clear messages, settings text, persistence."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.store import Store
from bot.subscriptions import (
    WEEKDAYS,
    InvalidSettingError,
    Subscription,
    Subscriptions,
    parse_settings,
    parse_weekdays,
    settings_pairs,
)
from bot.subscriptions import _tokens as settings_tokens
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


def test_a_32000_character_settings_text_is_refused_at_once() -> None:
    with pytest.raises(InvalidSettingError, match="at most 2,000 characters, not 32,000"):
        parse_settings("a" * 32_000)


def test_quoted_values_keep_their_spaces_and_an_open_quote_is_an_error() -> None:
    assert settings_pairs('keywords="large language" tz=UTC') == {
        "keywords": "large language", "tz": "UTC",
    }  # fmt: skip
    with pytest.raises(InvalidSettingError, match="not closed"):
        settings_pairs('keywords="open')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tz=America", "'America' is not an IANA timezone"),
        ("tz=posixrules", "'posixrules' is not an IANA timezone"),
        ("min_score=nan", "min_score: nan is not a number"),
        ("top=²", "top: '²' is not a whole number"),
        ("categories=cs.lgg", "did you mean cs.LG"),
        ("=5", "expected key=value pairs"),
    ],
)
def test_chat_settings_are_checked_where_they_enter(text: str, message: str) -> None:
    with pytest.raises(InvalidSettingError, match=message):
        parse_settings(text)


def test_categories_from_chat_are_spelled_as_arxiv_does() -> None:
    assert parse_settings("categories=cs.lg,STAT.ML exclude=none") == {
        "categories": ("cs.LG", "stat.ML"), "exclude_categories": (),
    }  # fmt: skip


@given(st.text(max_size=500))
@settings(max_examples=300)
def test_any_settings_text_parses_or_says_what_is_wrong(text: str) -> None:
    try:
        parse_settings(text)
    except InvalidSettingError as error:
        assert str(error) and "\n" not in str(error)


@given(st.lists(st.text(alphabet="abc= \t", max_size=20), max_size=30))
def test_tokens_split_on_spaces_outside_quotes(words: list[str]) -> None:
    text = " ".join(words)
    assert settings_tokens(text) == text.split()


def test_a_table_from_before_created_by_gets_the_column_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    first = Store(path)
    Subscriptions(first).save(Subscription("slack:C0123456789", days=("mon",)), NOW)
    first.close()
    db = sqlite3.connect(path)  # as a database from before the column was
    db.execute("ALTER TABLE subscriptions DROP COLUMN created_by")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm002_created_by'")
    db.commit()
    db.close()
    store = Store(path)
    subs = Subscriptions(store)
    old = subs.get("slack:C0123456789")
    assert old is not None and old.created_by == "" and old.days == ("mon",)
    subs.save(Subscription("slack:C0123456789", created_by="U1"), NOW)
    new = subs.get("slack:C0123456789")
    assert new is not None and new.created_by == "U1"
    store.close()


def test_channel_settings_parse_from_chat_text() -> None:
    assert parse_settings("channel_weight=2.5 layout=per_paper weekly=Friday") == {
        "channel_weight": 2.5, "layout": "per-paper", "weekly": "fri",
    }  # fmt: skip
    assert parse_settings("channel_weight=off week=none") == {"channel_weight": 0.0, "weekly": ""}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("channel_weight=lots", "channel_weight: 'lots' is not a number"),
        ("channel_weight=inf", "channel_weight: inf is not a number"),
        ("weekly=someday", "weekly: 'someday' is not a weekday"),
        ("weekly=mon-fri", "weekly: 'mon-fri' is not a weekday"),
        ("weekly=fr", "weekly: 'fr' is not a weekday"),
    ],
)
def test_bad_channel_settings_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidSettingError, match=message):
        parse_settings(text)


@pytest.mark.parametrize(
    ("sub", "message"),
    [
        (Subscription("discord:1", channel_weight=-1), "channel_weight: -1 must be between 0"),
        (Subscription("discord:1", channel_weight=5000), "between 0 and 1000"),
        (Subscription("discord:1", layout="stacked"), "layout: 'stacked' must be grouped or"),  # type: ignore[arg-type]
        (Subscription("discord:1", channel_weight=2, ranking="seed"), "only the hot ranking"),
        (Subscription("markdown:posts", channel_weight=2), "a Markdown folder has no reactions"),
        (Subscription("markdown:posts", layout="per-paper"), "layout: a Markdown folder"),
        (Subscription("markdown:posts", weekly="fri"), "weekly: a Markdown folder"),
    ],
)
def test_channel_settings_are_refused_where_they_cannot_mean_anything(
    sub: Subscription, message: str
) -> None:
    with pytest.raises(InvalidSettingError, match=message):
        Subscriptions(Store()).save(sub, NOW)


def test_channel_settings_persist_and_are_described() -> None:
    subs = Subscriptions(Store())
    sub = Subscription("slack:C1", channel_weight=3, layout="per-paper", weekly="fri")
    subs.save(sub, NOW)
    stored = subs.get("slack:C1")
    assert stored == sub
    assert stored is not None and stored.describe().endswith(
        ", channel weight 3, per-paper layout, weekly on fri"
    )
