"""Abstracts on reaction: a keycap or 📄 on one of our messages brings the abstract, once."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord

from bot.adapters.discord.embeds import abstract_message
from bot.adapters.discord.respond import Inflight, send_kwargs
from bot.reactions import Reactions
from bot.store import Store
from bot.timeutil import Clock

__all__ = ["AbstractReplies"]

log = logging.getLogger(__name__)
PLATFORM = "discord"


class AbstractReplies:
    """Handles raw reaction events, so reactions on messages not in discord.py's cache count."""

    def __init__(
        self,
        client: discord.Client,
        reactions: Reactions,
        store: Store,
        clock: Clock,
        inflight: Inflight,
    ) -> None:
        """Reply with the client; the SQLite map and claims make it once per message and paper."""
        self.client = client
        self.reactions = reactions
        self.store = store
        self.clock = clock
        self.inflight = inflight

    async def on_raw_reaction_add(self, event: discord.RawReactionActionEvent) -> None:
        """Post the abstract the reaction points at, unless it was posted already."""
        with self.inflight.track():
            await self._handle(event)

    async def _handle(self, event: discord.RawReactionActionEvent) -> None:
        """Look the reaction up, claim it, reply."""
        me = self.client.user
        if (me is not None and event.user_id == me.id) or (event.member and event.member.bot):
            return  # our own number reactions, and other bots, ask for nothing
        if not event.emoji.is_unicode_emoji():
            return
        message_id = str(event.message_id)
        arxiv_id = await asyncio.to_thread(
            self.reactions.paper_for, PLATFORM, message_id, str(event.emoji)
        )
        if arxiv_id is None:
            return
        claimed = await asyncio.to_thread(
            self.reactions.claim, PLATFORM, message_id, arxiv_id, self.clock()
        )
        if not claimed:
            return  # someone reacted first: the abstract is there (or on its way)
        try:
            reply_id = await self._reply(event, arxiv_id)
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError):
            log.exception("Could not post the abstract of %s on message %s", arxiv_id, message_id)
            await asyncio.to_thread(self.reactions.release, PLATFORM, message_id, arxiv_id)
            return
        if reply_id is None:
            await asyncio.to_thread(self.reactions.release, PLATFORM, message_id, arxiv_id)
            return
        await asyncio.to_thread(self.reactions.replied, PLATFORM, message_id, arxiv_id, reply_id)

    async def _reply(self, event: discord.RawReactionActionEvent, arxiv_id: str) -> str | None:
        """Reply to the reacted message with the abstract; None if the paper is gone."""
        paper = await asyncio.to_thread(self.store.get_paper, arxiv_id)
        if paper is None:
            log.warning("Reaction for %s, which is no longer stored", arxiv_id)
            return None
        channel = self.client.get_partial_messageable(event.channel_id, guild_id=event.guild_id)
        reference = discord.MessageReference(
            message_id=event.message_id,
            channel_id=event.channel_id,
            guild_id=event.guild_id,
            fail_if_not_exists=False,
        )
        sent = await channel.send(
            **send_kwargs(abstract_message(paper)), reference=reference, mention_author=False
        )
        return str(sent.id)
