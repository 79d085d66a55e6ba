"""Scheduled delivery to Discord channels: the `Channel` contract over discord.py's REST client."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
from typing import Any, ClassVar

import aiohttp
import discord

from bot.adapters.discord.embeds import digest_messages
from bot.adapters.discord.respond import send_kwargs
from bot.channels import DeliveryError, OutboundMessage
from bot.ids import InvalidArxivIdError, normalize_arxiv_id
from bot.models import Digest, Layout
from bot.reactions import Reactions

__all__ = ["DiscordChannel", "marker", "nonce"]

log = logging.getLogger(__name__)
HISTORY_SCAN = 50  # a digest is found among the channel's last messages or not at all
_NONCE_MAX = 25  # Discord's limit on a message nonce
# Discord error codes that mean the bot can never post there until someone changes something.
_MISSING_ACCESS = {50001, 50013, 10003}
_FAILURES = (discord.HTTPException, discord.RateLimited, aiohttp.ClientError, OSError, TimeoutError)


def nonce(key: str) -> str:
    """The message nonce for a delivery key; with enforce_nonce Discord posts it only once."""
    return hashlib.sha256(key.encode()).hexdigest()[:_NONCE_MAX]


def marker(key: str) -> str:
    """The visible tag that lets find_sent recognise a posted digest (history omits nonces)."""
    return f"ref {nonce(key)[:12]}"


def _with_marker(message: OutboundMessage, key: str) -> OutboundMessage:
    """The message with its marker in the last footer, or in the content if it has no embeds.

    The renderer keeps MARKER_ROOM free in both, so the limits still hold.
    """
    payload: dict[str, Any] = copy.deepcopy(message.payload)
    tag = marker(key)
    embeds = payload.get("embeds") or []
    if embeds:
        footer = embeds[-1].setdefault("footer", {})
        footer["text"] = f"{footer['text']} · {tag}" if footer.get("text") else tag
    else:
        payload["content"] = f"{payload.get('content', '')}\n-# {tag}".lstrip("\n")
    return OutboundMessage(payload, message.text, message.arxiv_ids, message.extra)


def _has_marker(message: discord.Message, tag: str) -> bool:
    """Whether a posted message carries the tag."""
    footers = [e.footer.text or "" for e in message.embeds]
    return any(text.endswith(tag) for text in footers) or message.content.endswith(tag)


def _channel_id(target: str) -> int:
    """The numeric channel id from 'discord:123' or '123'."""
    raw = target.removeprefix("discord:")
    if not raw.isdigit():
        raise DeliveryError(f"{target!r} is not a Discord channel id", permanent=True)
    return int(raw)


def _delivery_error(error: Exception, target: str) -> DeliveryError:
    """A Discord failure as a DeliveryError: missing access is permanent, rate limits wait."""
    if isinstance(error, discord.RateLimited):
        return DeliveryError(f"Discord rate limit on {target}", retry_after=error.retry_after)
    if isinstance(error, discord.HTTPException):
        reason = f"Discord {error.status} on channel {target}: {error.text or error}"
        if error.status in (403, 404) or error.code in _MISSING_ACCESS:
            return DeliveryError(
                f"{reason} (does the bot still have View Channel and Send Messages there?)",
                permanent=True,
            )
        if error.status == 401:
            return DeliveryError(f"{reason} (is DISCORD_TOKEN valid?)", permanent=True)
        return DeliveryError(reason)
    return DeliveryError(f"could not reach Discord for {target}: {error!r}")


class DiscordChannel:
    """Posts digests with the bot's REST client; the client must be logged in."""

    platform: ClassVar[str] = "discord"

    def __init__(self, client: discord.Client, reactions: Reactions) -> None:
        """Use a logged-in client; reactions record which paper each number points at."""
        self.client = client
        self.reactions = reactions

    def render(self, digest: Digest, layout: Layout = "grouped") -> list[OutboundMessage]:
        """The digest as Discord messages, within every limit."""
        return digest_messages(digest, layout=layout)

    async def send(self, target: str, message: OutboundMessage, *, key: str) -> str:
        """Post one message once (Discord drops a repeat with the same nonce); return its id."""
        channel = self.client.get_partial_messageable(_channel_id(target))
        tagged = _with_marker(message, key)
        try:
            sent = await channel.send(**send_kwargs(tagged), nonce=nonce(key))
        except _FAILURES as error:
            raise _delivery_error(error, target) from error
        return str(sent.id)

    def remember(self, target: str, message_id: str, message: OutboundMessage) -> None:
        """Record the papers a posted message numbers, so keycap reactions work after restarts."""
        if message.arxiv_ids:
            self.reactions.remember("discord", target, message_id, message.arxiv_ids)

    async def find_sent(self, target: str, key: str) -> str | None:
        """The id of our message with this key among the channel's recent messages, if any."""
        channel = self.client.get_partial_messageable(_channel_id(target))
        me, tag, wanted = self.client.user, marker(key), nonce(key)
        try:
            async for message in channel.history(limit=HISTORY_SCAN):
                if me is not None and message.author.id != me.id:
                    continue
                if message.nonce == wanted or _has_marker(message, tag):
                    await self._recover(target, message)
                    return str(message.id)
        except discord.Forbidden:
            # Without Read Message History we cannot look; the nonce still stops a quick repeat.
            log.warning("Cannot read the history of Discord channel %s to find %s", target, tag)
            return None
        except _FAILURES as error:
            raise _delivery_error(error, target) from error
        return None

    async def _recover(self, target: str, message: discord.Message) -> None:
        """Re-record a found message's papers from its embed links, in case we crashed before."""
        ids = []
        for embed in message.embeds:
            try:
                ids.append(normalize_arxiv_id(embed.url or ""))
            except InvalidArxivIdError:
                return  # not a paper card: leave the map alone rather than misnumber it
        if ids:
            await asyncio.to_thread(
                self.reactions.remember, "discord", target, str(message.id), ids
            )
