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
from tests.factories import DISCORD, NOW, SLACK


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
        (Subscription(DISCORD, time="25:00"), "time: '25:00'"),
        (Subscription(DISCORD, timezone="Mars/Olympus"), "timezone: 'Mars/Olympus'"),
        (Subscription(DISCORD, top=26), "top: 26"),
        (Subscription("irc:#ml"), "channel: 'irc:#ml'"),
        (Subscription(DISCORD, categories=("CS LG",)), "categories: 'CS LG'"),
        # The store takes only channels in their platform's shape, whoever builds them.
        (Subscription("discord:1"), "17 to 20 digits"),
        (Subscription("discord:abc"), "17 to 20 digits"),
        (Subscription("slack:#general"), "looks like C0123456789"),
        (Subscription("slack:c00000001"), "looks like C0123456789"),
        (Subscription("markdown:"), "give the folder"),
        (Subscription("markdown"), "use discord:<channel id>"),
        (
            Subscription(DISCORD, categories=("cs.LG",), exclude_categories=("cs",)),
            r"categories: cs.LG is also in exclude_categories \(as part of cs\)",
        ),
    ],
)
def test_invalid_subscriptions_are_refused_and_nothing_is_stored(
    sub: Subscription, message: str
) -> None:
    subs = Subscriptions(Store())
    with pytest.raises(InvalidSettingError, match=message):
        subs.save(sub, NOW)
    assert subs.all() == []


def test_a_channel_is_stored_as_its_platform_spells_it() -> None:
    subs = Subscriptions(Store())
    assert subs.save(Subscription(f" {DISCORD} "), NOW).channel == DISCORD
    assert [s.channel for s in subs.all()] == [DISCORD]


def test_a_row_stored_before_channels_were_checked_can_still_be_paused_and_removed() -> None:
    store = Store()
    subs = Subscriptions(store)
    subs.save(Subscription(DISCORD), NOW)
    with store.transaction() as tx:  # as an older version stored it
        tx.execute("UPDATE subscriptions SET channel = 'discord:abc'")
    subs.pause("discord:abc", "404: unknown channel", NOW)
    (legacy,) = subs.all()
    assert legacy.paused and legacy.paused_reason == "404: unknown channel"
    with pytest.raises(LookupError):
        subs.pause("discord:10000000000000009", "x", NOW)
    assert subs.remove("discord:abc")


def test_a_markdown_digest_whose_folder_went_away_can_still_be_paused(tmp_path: Path) -> None:
    # Writability is checked where a channel enters (subscribe, post), not on every save.
    subs = Subscriptions(Store())
    channel = f"markdown:{tmp_path / 'gone'}"
    subs.save(Subscription(channel), NOW)
    subs.pause(channel, "folder missing", NOW)
    sub = subs.get(channel)
    assert sub is not None and sub.paused


def test_subscriptions_persist_update_pause_and_remove() -> None:
    subs = Subscriptions(Store())
    subs.save(Subscription(SLACK, time="7:05", timezone="America/New_York", workspace="T1"), NOW)
    assert subs.get(SLACK) == Subscription(
        SLACK, time="07:05", timezone="America/New_York", workspace="T1"
    )
    subs.update(SLACK, {"top": 3}, NOW)
    subs.pause(SLACK, "channel_not_found", NOW)
    sub = subs.get(SLACK)
    assert sub is not None and sub.top == 3 and sub.paused and "channel_not_found" in sub.describe()
    assert subs.resume(SLACK, NOW).paused is False
    assert subs.remove(SLACK) and not subs.remove(SLACK)
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
        (Subscription(DISCORD, channel_weight=-1), "channel_weight: -1 must be between 0"),
        (Subscription(DISCORD, channel_weight=5000), "between 0 and 1000"),
        (Subscription(DISCORD, layout="stacked"), "layout: 'stacked' must be grouped or"),  # type: ignore[arg-type]
        (Subscription(DISCORD, channel_weight=2, ranking="seed"), "only the hot ranking"),
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
    sub = Subscription(SLACK, channel_weight=3, layout="per-paper", weekly="fri")
    subs.save(sub, NOW)
    stored = subs.get(SLACK)
    assert stored == sub
    assert stored is not None and stored.describe().endswith(
        ", channel weight 3, per-paper layout, weekly on fri"
    )
