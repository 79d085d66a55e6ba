"""The delivery CLI: subscribe, unsubscribe, channels, status and post, with one-line errors."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.delivery.cli import add_commands
from bot.delivery.ledger import Ledger
from bot.errors import EXIT_PARTIAL, HotpapersError
from bot.store import Store
from bot.subscriptions import Subscriptions
from bot.timeutil import utcnow
from tests.delivery.support import LONG_AGO, make_settings, seed

DISCORD = "discord:424242424242424242"  # channel ids as the platforms shape them
MISSING = "discord:404404404404404404"
SLACK = "slack:C0123456789"


def cli(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="hotpapers")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.handler(args, settings))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = make_settings(tmp_path)
    store = Store(settings.env.hotpapers_db)
    seed(store)
    store.close()
    return settings


def subscriptions(settings: Settings) -> Subscriptions:
    return Subscriptions(Store(settings.env.hotpapers_db))


def test_subscribe_then_change_one_setting_keeps_the_others(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(settings, "subscribe", DISCORD, "--time", "07:30", "--tz", "Europe/Berlin",
               "--days", "mon-fri", "--top", "3", "--category", "cs.LG", "--category",
               "cs.CL", "--empty", "skip") == 0  # fmt: skip
    assert f"Subscribed: {DISCORD}: 07:30 Europe/Berlin" in capsys.readouterr().out
    assert cli(settings, "subscribe", DISCORD, "--top", "8") == 0
    sub = subscriptions(settings).get(DISCORD)
    assert (sub.time, sub.timezone, sub.top, sub.categories, sub.empty_day) == (
        "07:30", "Europe/Berlin", 8, ("cs.LG", "cs.CL"), "skip",
    )  # fmt: skip


def test_subscribe_sets_the_channel_weight_layout_and_weekly_day(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(settings, "subscribe", DISCORD, "--channel-weight", "2.5", "--layout", "per-paper",
               "--weekly", "Friday") == 0  # fmt: skip
    assert "channel weight 2.5, per-paper layout, weekly on fri" in capsys.readouterr().out
    cli(settings, "subscribe", DISCORD, "--weekly", "off", "--channel-weight", "0")
    sub = subscriptions(settings).get(DISCORD)
    assert (sub.channel_weight, sub.layout, sub.weekly) == (0.0, "per-paper", "")


def test_subscribing_again_resumes_a_paused_channel(settings: Settings) -> None:
    cli(settings, "subscribe", DISCORD)
    subscriptions(settings).pause(DISCORD, "403: missing access", LONG_AGO)
    cli(settings, "subscribe", DISCORD)
    assert not subscriptions(settings).get(DISCORD).paused


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["subscribe", DISCORD, "--tz", "Mars/Olympus"],
            "timezone: 'Mars/Olympus' is not",
        ),
        (
            ["subscribe", DISCORD, "--days", "someday"],
            "days: 'someday' is not a weekday",
        ),
        (["subscribe", "telegram:1"], "channel: 'telegram:1': use discord:<channel id>"),
        (["subscribe", "discord:abc"], "a Discord channel id is 17 to 20 digits"),
        (["subscribe", "slack:#general"], "a Slack channel id looks like C0123456789"),
        (["subscribe", "markdown:/etc/passwd"], "/etc/passwd is a file, not a folder"),
        (["subscribe", DISCORD, "--category", "cs.XX"], "did you mean"),
        (["subscribe", DISCORD, "--channel-weight", "1e6"], "channel_weight: 1e+06 must be"),
        (["subscribe", DISCORD, "--weekly", "someday"], "weekly: 'someday' is not a weekday"),
        (["subscribe", DISCORD, "--ranking", "seed", "--channel-weight", "3"], "hot ranking"),
        (
            ["unsubscribe", MISSING],
            f"{MISSING} has no subscription",
        ),
        (
            ["status", "--channel", MISSING],
            f"{MISSING} has no subscription",
        ),
        (
            ["post", "--channel", DISCORD],
            f"cannot post to {DISCORD}: no discord adapter",
        ),
    ],
)
def test_user_errors_are_one_clear_line(settings: Settings, argv: list[str], message: str) -> None:
    with pytest.raises(HotpapersError) as caught:
        cli(settings, *argv)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_channels_and_status_show_settings_last_and_next_digest(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(settings, "channels")
    assert "No subscriptions" in capsys.readouterr().out
    cli(settings, "subscribe", DISCORD, "--time", "09:00")
    cli(settings, "subscribe", SLACK)
    subscriptions(settings).pause(SLACK, "channel_not_found", LONG_AGO)
    capsys.readouterr()
    cli(settings, "channels")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{DISCORD}: 09:00 UTC") and "paused: channel_not_found" in out[1]
    cli(settings, "status")
    out = capsys.readouterr().out
    assert "Runner: not running" in out
    assert "Last digest: none yet" in out
    assert "Next digest: not scheduled — no discord token is set" in out
    assert "Next digest: none, paused — channel_not_found" in out
    assert "Sources: never fetched" in out


def test_post_writes_the_markdown_digest_once(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = settings.config.markdown.folder
    assert cli(settings, "post", "--channel", f"markdown:{folder}", "--date", "2026-11-26") == 0
    assert capsys.readouterr().out.startswith("Posted: ")
    assert cli(settings, "post", "--channel", f"markdown:{folder}", "--date", "2026-11-26") == 0
    assert capsys.readouterr().out.startswith("Already done: ")
    assert [p.name for p in folder.iterdir()] == ["hot-papers-2026-11-26.md"]
    assert subscriptions(settings).all() == []  # a one-off post subscribes nothing


def _undated(post: str) -> str:
    """A Markdown post without its front matter's date line (the moment its run started)."""
    lines = post.splitlines(keepends=True)
    assert sum(1 for line in lines if line.startswith("date: ")) == 1
    return "".join(line for line in lines if not line.startswith("date: "))


def test_post_dry_run_prints_what_post_then_posts_and_records_nothing(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = settings.config.markdown.folder
    channel = f"markdown:{folder}"
    assert cli(settings, "subscribe", channel, "--top", "2") == 0
    capsys.readouterr()
    assert cli(settings, "post", "--channel", channel, "--date", "2026-11-26", "--dry-run") == 0
    printed = capsys.readouterr()
    assert "would post 1 message(s)" in printed.err
    assert printed.out.startswith("---\n") and "2026-11-26" in printed.out
    assert not folder.exists() or not any(folder.iterdir())  # nothing posted
    store = Store(settings.env.hotpapers_db)
    assert Ledger(store, utcnow).get(channel, date(2026, 11, 26)) is None  # nothing recorded
    assert (
        store.query("SELECT * FROM shown") == []
        and store.query("SELECT * FROM delivery_leases") == []
    )
    assert cli(settings, "post", "--channel", channel, "--date", "2026-11-26") == 0
    (post,) = folder.iterdir()
    # The very same text, but for the front matter's date: each run is dated by its own start.
    assert _undated(post.read_text()).startswith(_undated(printed.out).rstrip("\n"))
    assert Ledger(store, utcnow).get(channel, date(2026, 11, 26)).state == "sent"
    capsys.readouterr()
    assert cli(settings, "post", "--channel", channel, "--date", "2026-11-26", "--dry-run") == 0
    again = capsys.readouterr()
    assert again.out == "" and "nothing: sent before" in again.err


def test_post_fetches_first_when_the_store_holds_nothing_fresh(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[date | None] = []

    def fetch(store: Store, settings: Settings, now: datetime, day: date | None) -> bool:
        fetched.append(day)
        return True  # fetched, and some source failed

    monkeypatch.setattr("bot.freshness.ensure_fresh", fetch)
    folder = settings.config.markdown.folder
    assert cli(settings, "post", "--channel", f"markdown:{folder}", "--dry-run") == EXIT_PARTIAL
    assert fetched == [None]
