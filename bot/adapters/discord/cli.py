"""CLI commands for Discord: `hotpapers discord-sync` and `hotpapers discord-invite`."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.adapters.discord.adapter import DiscordAdapter, build_discord
from bot.app import build_app
from bot.config import Settings

__all__ = ["PERMISSIONS", "add_commands", "discord_invite", "discord_sync"]

log = logging.getLogger(__name__)
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
    sync = subparsers.add_parser("discord-sync", help="upload the Discord slash commands now")
    sync.add_argument(
        "--if-changed", action="store_true", help="only if they changed since the last sync"
    )
    sync.set_defaults(handler=discord_sync)
    invite = subparsers.add_parser(
        "discord-invite", help="print the link that adds the bot to a server"
    )
    invite.set_defaults(handler=discord_invite)


def _with_adapter(settings: Settings, job: Callable[[DiscordAdapter], Awaitable[int]]) -> int:
    """Run job with a logged-out adapter over a fresh app, closing both afterwards."""
    if settings.env.discord_token is None:
        log.error("DISCORD_TOKEN is not set")
        return 2

    async def run() -> int:
        app = build_app(settings)
        adapter = build_discord(app)
        try:
            return await job(adapter)
        except discord.LoginFailure:
            log.error("Discord refused DISCORD_TOKEN")
            return 2
        except discord.HTTPException as error:
            log.error("Discord answered %s: %s", error.status, error.text)
            return 1
        finally:
            await adapter.close()
            await app.aclose()

    return asyncio.run(run())


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
            log.error("Discord did not tell us the application id")
            return 1
        print(discord.utils.oauth_url(application_id, permissions=PERMISSIONS, scopes=SCOPES))
        return 0

    return _with_adapter(settings, job)
