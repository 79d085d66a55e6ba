"""CLI commands for Discord: `hotpapers discord-sync` and `hotpapers discord-invite`."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord

from bot.adapters.discord.adapter import DiscordAdapter
from bot.app import build_app, discord_adapter
from bot.config import Settings
from bot.errors import ConfigError, NetworkError, PlatformError, network_reason

__all__ = ["PERMISSIONS", "add_commands", "discord_invite", "discord_sync"]

SCOPES = ("bot", "applications.commands")
# What the bot does in a channel: see it, post digests and abstracts with embeds (also in
# threads), and read recent history to find a digest it posted before a crash.
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    read_message_history=True,
)


def add_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the Discord commands; each sets `handler(args, settings) -> exit code`."""
    sync = subparsers.add_parser(
        "discord-sync",
        help="upload the Discord slash commands now",
        description=discord_sync.__doc__,
    )
    sync.add_argument(
        "--if-changed", action="store_true", help="only if they changed since the last sync"
    )
    sync.set_defaults(handler=discord_sync)
    invite = subparsers.add_parser(
        "discord-invite",
        help="print the link that adds the bot to a server",
        description=discord_invite.__doc__,
    )
    invite.set_defaults(handler=discord_invite)


def _with_adapter(settings: Settings, job: Callable[[DiscordAdapter], Awaitable[int]]) -> int:
    """Run job with a logged-out adapter over a fresh app, closing both afterwards."""
    if settings.env.discord_token is None:
        raise ConfigError("DISCORD_TOKEN is not set: copy the bot token from the Developer Portal")

    async def run() -> int:
        app = build_app(settings)
        try:
            adapter = discord_adapter(app)
            try:
                return await job(adapter)
            finally:
                await adapter.close()
        finally:
            await app.aclose()

    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        logging.getLogger("discord").setLevel(logging.WARNING)  # a one-off command, not the bot
    try:
        return asyncio.run(run())
    except discord.LoginFailure:
        raise ConfigError(
            "Discord refused DISCORD_TOKEN: copy it again from the Developer Portal"
        ) from None
    except discord.HTTPException as error:
        raise PlatformError(f"Discord answered {error.status}: {error.text or error}") from None
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        where = settings.env.discord_api_base or "discord.com"
        raise NetworkError(f"cannot reach {where} ({network_reason(error)})") from None


def discord_sync(args: argparse.Namespace, settings: Settings) -> int:
    """Upload the slash commands (global commands can take a while to show everywhere)."""

    async def job(adapter: DiscordAdapter) -> int:
        synced = await adapter.sync_commands(force=not getattr(args, "if_changed", False))
        print("Synced the slash commands." if synced else "The slash commands are unchanged.")
        return 0

    return _with_adapter(settings, job)


def discord_invite(args: argparse.Namespace, settings: Settings) -> int:
    """Print the OAuth2 URL that adds the bot with the scopes and permissions it needs."""

    async def job(adapter: DiscordAdapter) -> int:
        await adapter.login()
        application_id = adapter.client.application_id
        if application_id is None:
            raise PlatformError("Discord did not tell us the application id; try again")
        print(discord.utils.oauth_url(application_id, permissions=PERMISSIONS, scopes=SCOPES))
        return 0

    return _with_adapter(settings, job)
