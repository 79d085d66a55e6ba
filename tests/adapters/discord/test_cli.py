"""The Discord CLI commands, run as the lead's CLI runs them: synchronously, with settings."""

from __future__ import annotations

import argparse
import asyncio
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.adapters.discord import add_commands
from bot.adapters.discord.cli import PERMISSIONS, discord_invite, discord_sync
from bot.config import Settings
from bot.delivery.cli import add_commands as add_delivery_commands
from bot.errors import ConfigError, NetworkError, UsageError
from bot.store import Store
from bot.subscriptions import Subscription, Subscriptions
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.support import NOW, seed, settings


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    """A fake Discord on its own loop in a thread, since the CLI runs asyncio.run itself."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = FakeDiscord()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    yield server
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def parse(*argv: str) -> argparse.Namespace:
    """Parse argv with a parser that has only the Discord commands, as the lead wires them."""
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_discord_sync_uploads_the_commands_and_if_changed_skips_an_unchanged_tree(
    fake: FakeDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = settings(fake, db=tmp_path / "hotpapers.db")
    args = parse("discord-sync")
    assert args.handler is discord_sync
    assert args.handler(args, config) == 0
    assert {c["name"] for c in fake.commands} == {"hot", "paper", "search", "digest"}
    args = parse("discord-sync", "--if-changed")
    assert args.handler(args, config) == 0
    assert len(fake.calls("PUT", r"/commands$")) == 1
    assert capsys.readouterr().out.splitlines() == [
        "Synced the slash commands.", "The slash commands are unchanged.",
    ]  # fmt: skip
    assert not fake.ops(2), "syncing needs no gateway session"


def test_discord_invite_prints_the_oauth_link_with_scopes_and_permissions(
    fake: FakeDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse("discord-invite")
    assert args.handler is discord_invite
    assert args.handler(args, settings(fake, db=tmp_path / "hotpapers.db")) == 0
    query = parse_qs(urlsplit(capsys.readouterr().out.strip()).query)
    assert query["client_id"] == [str(fake.app_id)]
    assert query["scope"] == ["bot applications.commands"]
    assert query["permissions"] == [str(PERMISSIONS.value)]
    assert PERMISSIONS.value == 274877991936  # view, send, send in threads, embed, history


def test_a_refused_token_is_a_configuration_error(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tests.adapters.discord.fake_discord.TOKEN", "another-token")
    args = parse("discord-sync")
    with pytest.raises(ConfigError, match="Discord refused DISCORD_TOKEN") as caught:
        args.handler(args, settings(fake, db=tmp_path / "hotpapers.db"))
    assert caught.value.exit_code == 2


def test_an_unreachable_discord_is_a_network_error(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nobody listens on once this socket is closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    config = settings(FakeDiscord(), db=tmp_path / "hotpapers.db")
    env = config.env.model_copy(update={"discord_api_base": f"http://127.0.0.1:{port}/api/v10"})
    args = parse("discord-invite")
    with pytest.raises(NetworkError, match=f"cannot reach http://127.0.0.1:{port}"):
        args.handler(args, replace(config, env=env))


def post(config: Settings, *argv: str) -> int:
    """`hotpapers post …` as the lead's CLI runs it."""
    parser = argparse.ArgumentParser(prog="hotpapers")
    add_delivery_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["post", *argv])
    return int(args.handler(args, config))


def test_post_weekly_posts_the_week_once_whatever_day_of_it_is_asked(
    fake: FakeDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = settings(fake, db=tmp_path / "hotpapers.db")
    channel = f"discord:{fake.channel_id}"
    store = Store(config.env.hotpapers_db)
    ids = seed(store)
    Subscriptions(store).save(Subscription(channel, weekly="fri", top=3), NOW)
    store.close()
    # Thursday 26 November (a past day: nothing is fetched), then Tuesday of the same week.
    assert post(config, "--channel", channel, "--weekly", "--date", "2026-11-26") == 0
    assert post(config, "--channel", channel, "--weekly", "--date", "2026-11-24") == 0
    first, again = capsys.readouterr().out.splitlines()
    assert first.startswith(f"Posted: {channel} weekly, week of 2026-11-23: ")
    assert again.startswith(f"Already done: {channel} weekly, week of 2026-11-23: sent before")
    posted = fake.messages[fake.channel_id]
    assert len(posted) == 1  # nobody reacted here: the week's top alone, once
    assert posted[0]["content"].startswith("**The week's top papers — Thursday 26 November")
    assert [e["url"] for e in posted[0]["embeds"]] == [
        f"https://arxiv.org/abs/{i}" for i in ids[:3]
    ]
    assert post(config, "--channel", channel, "--date", "2026-11-26") == 0  # the daily: its own
    assert capsys.readouterr().out.startswith(f"Posted: {channel} 2026-11-26: ")
    store = Store(config.env.hotpapers_db)
    rows = store.query("SELECT kind, day, state FROM deliveries ORDER BY kind")
    store.close()
    assert [tuple(r.values()) for r in rows] == [
        ("daily", "2026-11-26", "sent"), ("weekly", "2026-11-23", "sent"),
    ]  # fmt: skip


def test_post_weekly_to_a_markdown_folder_is_refused(tmp_path: Path) -> None:
    config = settings(FakeDiscord(), db=tmp_path / "hotpapers.db")
    with pytest.raises(UsageError, match="--weekly: a weekly digest is for Discord and Slack"):
        post(config, "--channel", f"markdown:{tmp_path}", "--weekly")
