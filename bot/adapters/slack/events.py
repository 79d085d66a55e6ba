"""Events: a keycap or :page_facing_up: reaction on our message brings an abstract in its thread."""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.adapters.slack.blocks import abstract_payload
from bot.adapters.slack.channel import PLATFORM, message_id
from bot.reactions import Reactions, reaction_position
from bot.store import Store
from bot.timeutil import Clock

__all__ = ["ReactionAbstracts"]

log = logging.getLogger("hotpapers.slack")


class ReactionAbstracts:
    """Posts each paper's abstract once per message, whoever reacts and however often."""

    def __init__(self, reactions: Reactions, store: Store, clock: Clock) -> None:
        """Find papers through the reaction map and the store; claims are dated by the clock."""
        self.reactions = reactions
        self.store = store
        self.clock = clock

    async def on_reaction(self, args: AsyncArgs) -> None:
        """Answer a reaction that points at a paper of one of our messages."""
        event = args.event or {}
        item = event.get("item")
        emoji = str(event.get("reaction", ""))
        if not isinstance(item, dict) or item.get("type") != "message":
            return
        if reaction_position(emoji) is None:
            return
        # Bolt already drops events the bot caused; checking again costs nothing.
        if not event.get("user") or event.get("user") == args.context.bot_user_id:
            return
        channel, ts = str(item.get("channel", "")), str(item.get("ts", ""))
        ident = message_id(channel, ts)
        reactions = self.reactions
        arxiv_id = await asyncio.to_thread(reactions.paper_for, PLATFORM, ident, emoji)
        if arxiv_id is None:
            return
        paper = await asyncio.to_thread(self.store.get_paper, arxiv_id)
        if paper is None:
            log.warning("reaction on %s points at %s, which is not stored", ident, arxiv_id)
            return
        now = self.clock()
        if not await asyncio.to_thread(reactions.claim, PLATFORM, ident, arxiv_id, now):
            return
        try:
            result = await args.client.chat_postMessage(
                channel=channel, thread_ts=ts, **abstract_payload(paper)
            )
        except BaseException:
            # Give the claim back so the next reaction can try again (no await: may be cancelled).
            reactions.release(PLATFORM, ident, arxiv_id)
            raise
        reply = message_id(channel, str(result["ts"]))
        await asyncio.to_thread(reactions.replied, PLATFORM, ident, arxiv_id, reply)
