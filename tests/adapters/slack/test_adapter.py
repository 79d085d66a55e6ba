"""Building, starting, stopping and reporting on the adapter; the manifest and the CLI."""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from pydantic import SecretStr

from bot.adapters.slack import SlackAdapter, add_commands
from bot.adapters.slack.adapter import SORRY
from bot.adapters.slack.manifest import BOT_EVENTS, BOT_SCOPES, build_manifest
from bot.app import slack_adapter
from bot.config import ConfigError
from bot.delivery.platforms import chat_platforms
from tests.adapters.slack.conftest import MakeApp
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.support import SlackSim, settings


async def test_slack_is_configured_by_a_bot_token_or_oauth_credentials(fake: FakeSlack) -> None:
    assert "slack" in chat_platforms(settings(fake).env)
    assert "slack" not in chat_platforms(settings(fake, slack_bot_token=None).env)
    oauth = settings(fake, slack_bot_token=None, slack_client_id="1.2", slack_client_secret="s")
    assert "slack" in chat_platforms(oauth.env)


async def test_building_without_any_token_explains_what_is_missing(make_app: MakeApp) -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        slack_adapter(await make_app(slack_bot_token=None))


async def test_http_mode_without_a_signing_secret_refuses_to_start(make_app: MakeApp) -> None:
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        slack_adapter(await make_app(slack_signing_secret=None))


async def test_a_refused_bot_token_stops_start_up(make_app: MakeApp) -> None:
    adapter = slack_adapter(await make_app(slack_bot_token=SecretStr("xoxb-revoked")))
    with pytest.raises(ConfigError, match="invalid_auth"):
        await adapter.start()


async def test_unreachable_slack_at_start_up_is_reported_not_fatal(make_app: MakeApp) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = slack_adapter(await make_app(slack_api_url=f"http://127.0.0.1:{port}/api"))
    await adapter.start()
    health = adapter.health()
    assert health["started"] and health["last_error"].startswith("auth.test")
    await adapter.close()


async def test_health_reports_mode_identity_and_workspaces(slack: SlackSim) -> None:
    health = slack.adapter.health()
    assert health == {
        "platform": "slack", "ok": True, "mode": "http", "oauth": False, "started": True,
        "connected": True, "workspaces": 1, "bot_user_id": "UBOT", "in_flight": 0,
        "last_error": None,
    }  # fmt: skip


async def test_single_token_http_mode_mounts_only_the_events_endpoint(slack: SlackSim) -> None:
    base = slack.url.removesuffix("/slack/events")
    async with slack.session.get(f"{base}/slack/install") as response:
        assert response.status == 404


async def test_close_lets_an_answer_in_flight_finish(
    fake: FakeSlack,
    make_app: MakeApp,
    ranked_ids: list[str],
    serve: Callable[[SlackAdapter], Awaitable[str]],
) -> None:
    fake.delays["chat.postMessage"] = 0.3
    app = await make_app()
    adapter = slack_adapter(app)
    base = await serve(adapter)
    async with aiohttp.ClientSession() as session:
        sim = SlackSim(f"{base}/slack/events", session, fake, adapter, app)
        _, body, _ = await sim.command("/hot", "1")
    assert body == ""
    await fake.wait_for(lambda: fake.calls_to("chat.postMessage"))
    await adapter.close()
    assert adapter.health()["in_flight"] == 0
    ts = fake.history["C00000001"][0]["ts"]
    assert adapter.reactions.paper_for("slack", f"C00000001/{ts}", "one") == ranked_ids[0]


async def test_an_unexpected_failure_is_logged_and_the_user_told(
    slack: SlackSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(slack.app.commands, "hot", broken)
    _, _, key = await slack.command("/hot", "3")
    await slack.fake.wait_for(lambda: slack.fake.calls_to(f"respond/{key}"))
    assert slack.fake.calls_to(f"respond/{key}")[0].args["text"] == SORRY
    assert "disk on fire" in slack.adapter.health()["last_error"]


def test_the_manifest_declares_every_command_scope_and_event_the_adapter_uses() -> None:
    manifest = build_manifest("https://bot.example.org/", socket_mode=False)
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/hot", "/paper", "/search", "/digest"}
    assert {c["url"] for c in commands.values()} == {"https://bot.example.org/slack/events"}
    assert manifest["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert {"chat:write", "commands", "reactions:read", "users:read", "channels:history"} <= set(
        BOT_SCOPES
    )
    events = manifest["settings"]["event_subscriptions"]
    assert events["bot_events"] == list(BOT_EVENTS)
    assert events["request_url"] == "https://bot.example.org/slack/events"
    assert manifest["oauth_config"]["redirect_urls"] == [
        "https://bot.example.org/slack/oauth_redirect"
    ]


def test_the_socket_mode_manifest_has_no_request_urls() -> None:
    manifest = build_manifest(None, socket_mode=True)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert all("url" not in c for c in manifest["features"]["slash_commands"])


def parse(*argv: str) -> argparse.Namespace:
    """Parse a command line with the Slack subcommands added, as bot.cli will."""
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command"))
    return parser.parse_args(list(argv))


async def test_the_cli_prints_the_manifest(
    fake: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse("slack", "manifest", "--url", "https://bot.example.org")
    assert args.handler(args, settings(fake)) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["features"]["slash_commands"][0]["command"] == "/hot"
    assert printed["settings"]["socket_mode_enabled"] is False


async def test_the_cli_check_says_whom_the_token_belongs_to(
    fake: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse("slack", "check")
    config = settings(fake, slack_bot_token=SecretStr("xoxb-test"))
    # The command runs its own event loop; this test's loop keeps serving the fake meanwhile.
    assert await asyncio.to_thread(args.handler, args, config) == 0
    assert capsys.readouterr().out.strip() == "bot hotpapers (UBOT) in One (T1)"


@pytest.mark.parametrize(
    ("token", "says"),
    [
        ("xoxb-revoked", "Slack rejected SLACK_BOT_TOKEN (invalid_auth)"),
        (None, "SLACK_BOT_TOKEN is not set"),
    ],
)
async def test_the_cli_check_with_a_bad_or_no_token_is_a_configuration_error(
    fake: FakeSlack, capsys: pytest.CaptureFixture[str], token: str | None, says: str
) -> None:
    args = parse("slack", "check")
    config = settings(fake, slack_bot_token=SecretStr(token) if token else None)
    with pytest.raises(ConfigError, match=says.replace("(", r"\(").replace(")", r"\)")):
        await asyncio.to_thread(args.handler, args, config)
    assert capsys.readouterr().out == ""
