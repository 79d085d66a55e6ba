"""Telling people on Discord that a digest broke (and works again), by direct message.

The message goes to whoever subscribed the channel, else (they left, or take no direct
messages from the server's members) to the server's owner: the first one reached gets it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

import aiohttp
import discord

from bot.adapters.discord.respond import NO_MENTIONS
from bot.adapters.discord.text import clip, escape
from bot.delivery.notices import Notice, Told
from bot.untrusted import one_line

__all__ = ["DiscordNotices", "notice_text"]

log = logging.getLogger(__name__)
_STATUS = re.compile(r"^Discord (\d{3}) on channel [^:]*: (.*?)(?: \(does the bot.*\))?$")
_RESUME = "Then run `/digest resume` in {channel}, or press **Resume** in `/digest settings` there."
_PERMISSIONS = (
    "give the bot **View Channel**, **Send Messages**, **Embed Links** and **Read Message"
    " History** in {channel} (Edit Channel → Permissions, or its category's or role's)"
)


def _why_and_fix(reason: str) -> tuple[str, str, bool]:
    """Why the digest stopped, the fix, and whether resuming is part of it."""
    match = _STATUS.match(reason)
    status, text = (match[1], match[2]) if match else ("", reason)
    if status == "404" or "Unknown Channel" in text:
        return "the channel was deleted", "set the digest up in another channel", False
    if status == "401":
        return (
            "the bot's token no longer works",
            "whoever runs hotpapers must set a new DISCORD_TOKEN and restart it",
            True,
        )
    if status == "403" and "Missing Permissions" in text:
        return "the bot is missing a permission in the channel", _PERMISSIONS, True
    if status == "403":
        return "the bot can no longer see or post in the channel", _PERMISSIONS, True
    return escape(one_line(reason)), "", True


def notice_text(notice: Notice) -> str:
    """The message: what happened to which channel's digest, and what to do about it."""
    channel = f"<#{notice.target}>"
    if notice.kind == "working":
        return f"✅ The daily digest of {channel} works again: its latest digest was posted."
    why, fix, resume = _why_and_fix(notice.reason)
    lines = [f"⚠️ The daily digest of {channel} is paused: {why}."]
    if fix:
        lines.append(f"To fix it: {fix.format(channel=channel)}.")
    if resume:
        lines.append(_RESUME.format(channel=channel))
    return clip("\n".join(lines), 2000)


class DiscordNotices:
    """Sends a notice by DM to the first person it can reach."""

    def __init__(self, client: discord.Client, login: Callable[[], Awaitable[None]]) -> None:
        """Send with the client, logging in over REST first if needed."""
        self.client = client
        self.login = login

    async def tell(self, notice: Notice) -> Told:
        """DM whoever set the digest up, else the server's owner; say who got it."""
        try:
            await self.login()
            people = [notice.recipient] if notice.kind == "working" else await self._people(notice)
        except (discord.HTTPException, aiohttp.ClientError, OSError) as error:
            return Told(retry=True, detail=f"Discord unreachable: {error}")
        text = notice_text(notice)
        tried: list[str] = []
        for user in people:
            if not user.isdigit() or user in tried:
                continue
            tried.append(user)
            told = await self._send(int(user), text)
            if told.recipient or told.retry or told.detail.startswith("token:"):
                return told
        return Told(detail=f"nobody reachable (tried {', '.join(tried) or 'no one'})")

    async def _people(self, notice: Notice) -> list[str]:
        """Whoever set the digest up, then the server's owner."""
        people = [notice.created_by] if notice.created_by else []
        if notice.workspace.isdigit():
            guild = self.client.get_guild(int(notice.workspace))
            if guild is None:
                try:
                    guild = await self.client.fetch_guild(int(notice.workspace))
                except (discord.Forbidden, discord.NotFound):
                    guild = None  # the bot left the server: its owner cannot be looked up
            if guild is not None and guild.owner_id is not None:
                people.append(str(guild.owner_id))
        return people

    async def _send(self, user: int, text: str) -> Told:
        """Open the DM channel and post the message."""
        try:
            channel = await self.client.create_dm(discord.Object(id=user))
            await channel.send(content=text, allowed_mentions=NO_MENTIONS)
        except TimeoutError:  # first: aiohttp's timeouts are connection errors too
            # It may have arrived: counting it as told keeps the rule of one notice per pause.
            return Told(str(user), detail="no answer in time; it may have arrived")
        except (discord.Forbidden, discord.NotFound) as error:
            return Told(detail=f"{user}: {error.text or error.status}")  # left, or no DMs
        except discord.HTTPException as error:
            if error.status == 401:
                return Told(detail="token: 401")
            return Told(retry=True, detail=f"Discord answered {error.status}")
        except (discord.RateLimited, aiohttp.ClientConnectionError, OSError) as error:
            return Told(retry=True, detail=f"Discord unreachable: {error}")
        return Told(str(user))
