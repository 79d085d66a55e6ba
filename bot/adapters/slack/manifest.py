"""The Slack app manifest, and the `hotpapers slack ...` CLI commands."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.slash import COMMANDS
from bot.argtypes import public_url
from bot.config import Settings
from bot.errors import ConfigError, NetworkError, PlatformError, network_reason

__all__ = ["BOT_EVENTS", "BOT_SCOPES", "add_commands", "api_base", "build_manifest"]

log = logging.getLogger("hotpapers.slack")
DEFAULT_API = "https://slack.com/api/"
PLACEHOLDER_URL = "https://hotpapers.example.org"
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
BOT_SCOPES = (
    "chat:write",  # digests, /hot answers, abstracts in threads
    "commands",  # the slash commands
    "reactions:read",  # reaction_added and reaction_removed in channels the bot is in
    "users:read",  # is the person changing a digest a workspace admin or owner?
    "channels:history",  # find a digest again after a crash (public channels)
    "groups:history",  # ... and in private channels
)
BOT_EVENTS = (
    "reaction_added", "reaction_removed", "app_home_opened", "app_uninstalled", "tokens_revoked",
)  # fmt: skip


def api_base(url: str | None) -> str:
    """The Web API base URL with the trailing slash the SDK expects."""
    return (url or DEFAULT_API).rstrip("/") + "/"


def build_manifest(
    public_url: str | None, *, socket_mode: bool, name: str = "hotpapers"
) -> dict[str, Any]:
    """An app manifest to paste at api.slack.com/apps (From an app manifest)."""
    base = (public_url or PLACEHOLDER_URL).rstrip("/")
    commands = []
    for command, (description, hint) in COMMANDS.items():
        entry = {"command": command, "description": description, "usage_hint": hint,
                 "should_escape": False}  # fmt: skip
        if not socket_mode:
            entry["url"] = base + EVENTS_PATH
        commands.append(entry)
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    # Buttons, the settings modal and its type-ahead menus reach the bot like everything else.
    interactivity: dict[str, Any] = {"is_enabled": True}
    if not socket_mode:
        events["request_url"] = base + EVENTS_PATH
        interactivity["request_url"] = base + EVENTS_PATH
        interactivity["message_menu_options_url"] = base + EVENTS_PATH
    return {
        "display_information": {
            "name": name,
            "description": "A daily digest of the arXiv papers people talk about",
        },
        "features": {
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": commands,
            # Home shows the hot list and the digests; Messages is where notices arrive.
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
        },
        "oauth_config": {
            "redirect_urls": [base + REDIRECT_PATH],
            "scopes": {"bot": list(BOT_SCOPES)},
        },
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def _manifest(args: argparse.Namespace, settings: Settings) -> int:
    """Print the manifest as JSON; say on stderr what was assumed for what was not given."""
    socket = args.socket or settings.env.slack_app_token is not None
    if not args.socket and socket:
        log.info("slack manifest: Socket Mode, because SLACK_APP_TOKEN is set")
    if not socket and not args.url:
        log.warning(
            "slack manifest: HTTP mode with the placeholder URL %s: pass --url with this bot's"
            " public address, or --socket for Socket Mode",
            PLACEHOLDER_URL,
        )
    print(json.dumps(build_manifest(args.url, socket_mode=socket), indent=2))
    return 0


async def _auth_test(token: str, base_url: str) -> str:
    """Who a bot token belongs to, as one line."""
    quiet = logging.getLogger("hotpapers.slack.check")  # the SDK logs its retries at INFO
    quiet.setLevel(logging.WARNING)
    info = await AsyncWebClient(token=token, base_url=base_url, logger=quiet).auth_test()
    bot, team = (
        f"{info.get('user')} ({info.get('user_id')})",
        f"{info.get('team')} ({info.get('team_id')})",
    )
    return f"bot {bot} in {team}"


def _check(args: argparse.Namespace, settings: Settings) -> int:
    """Call auth.test with SLACK_BOT_TOKEN and say whom it belongs to."""
    token = settings.env.slack_bot_token
    if token is None:
        raise ConfigError("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...)")
    base = api_base(settings.env.slack_api_url)
    try:
        print(asyncio.run(_auth_test(token.get_secret_value(), base)))
    except SlackApiError as error:
        code = error.response.get("error")
        if code in ("invalid_auth", "not_authed", "account_inactive", "token_revoked"):
            raise ConfigError(f"Slack rejected SLACK_BOT_TOKEN ({code})") from None
        raise PlatformError(f"Slack answered auth.test with {code}") from None
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise NetworkError(f"cannot reach {base} ({network_reason(error)})") from None
    return 0


def add_commands(subparsers: Any) -> None:
    """`hotpapers slack manifest [--url URL] [--socket]` and `hotpapers slack check`."""
    slack = subparsers.add_parser("slack", help="Slack app setup", description="Slack app setup.")
    sub = slack.add_subparsers(dest="slack_command", required=True, metavar="SUBCOMMAND")
    manifest = sub.add_parser(
        "manifest",
        help="print the Slack app manifest (JSON)",
        description="Print the app manifest to paste at api.slack.com/apps (From an app manifest).",
    )
    manifest.add_argument(
        "--url",
        type=public_url,
        help="public https address of this bot, e.g. https://bot.example.org",
    )
    manifest.add_argument("--socket", action="store_true", help="Socket Mode (no public URL)")
    manifest.set_defaults(handler=_manifest)
    check = sub.add_parser(
        "check", help="check SLACK_BOT_TOKEN with auth.test", description=_check.__doc__
    )
    check.set_defaults(handler=_check)
