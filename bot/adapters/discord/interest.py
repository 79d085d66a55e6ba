"""The channel's own signal from Discord: reactions on our messages counted, and uncounted."""

from __future__ import annotations

import asyncio

import discord

from bot.adapters.discord.respond import Inflight
from bot.channel_signal import ChannelSignals
from bot.timeutil import Clock

__all__ = ["ReactionInterest", "emoji_key"]

PLATFORM = "discord"


def emoji_key(emoji: discord.PartialEmoji) -> str:
    """The emoji as one string for add and remove alike: Unicode itself, a custom one by id."""
    return str(emoji) if emoji.is_unicode_emoji() else f"custom:{emoji.id}"


class ReactionInterest:
    """Raw reaction events (cached or not) into the channel_reactions table, off the event loop."""

    def __init__(
        self, client: discord.Client, signals: ChannelSignals, clock: Clock, inflight: Inflight
    ) -> None:
        """Count through signals; the client says which user is the bot itself."""
        self.client = client
        self.signals = signals
        self.clock = clock
        self.inflight = inflight

    def _ours(self, user_id: int) -> bool:
        """Whether the bot itself reacted (its own reactions never count)."""
        me = self.client.user
        return me is not None and user_id == me.id

    async def added(self, event: discord.RawReactionActionEvent) -> None:
        """A person reacted: count it for the paper it is about (other bots never count)."""
        if self._ours(event.user_id) or (event.member is not None and event.member.bot):
            return
        with self.inflight.track():
            await asyncio.to_thread(
                self.signals.added, PLATFORM, f"{PLATFORM}:{event.channel_id}",
                str(event.message_id), str(event.user_id), emoji_key(event.emoji), self.clock(),
            )  # fmt: skip

    async def removed(self, event: discord.RawReactionActionEvent) -> None:
        """A person took a reaction back: it no longer counts."""
        if self._ours(event.user_id):
            return
        with self.inflight.track():
            await asyncio.to_thread(
                self.signals.removed, PLATFORM, str(event.message_id), str(event.user_id),
                emoji_key(event.emoji),
            )  # fmt: skip

    async def cleared(self, event: discord.RawReactionClearEvent) -> None:
        """A moderator removed every reaction from a message."""
        with self.inflight.track():
            await asyncio.to_thread(self.signals.cleared, PLATFORM, str(event.message_id))

    async def cleared_emoji(self, event: discord.RawReactionClearEmojiEvent) -> None:
        """A moderator removed every reaction of one emoji from a message."""
        with self.inflight.track():
            await asyncio.to_thread(
                self.signals.cleared, PLATFORM, str(event.message_id), emoji_key(event.emoji)
            )
