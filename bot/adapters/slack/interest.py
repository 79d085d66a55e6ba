"""The channel's own signal from Slack: reaction_added counts, reaction_removed uncounts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.adapters.slack.channel import PLATFORM, message_id
from bot.adapters.slack.events import ReactionAbstracts
from bot.adapters.slack.slash import Handler
from bot.channel_signal import ChannelSignals
from bot.timeutil import Clock

__all__ = ["ReactionInterest"]


def _reaction(args: AsyncArgs) -> tuple[str, str, str, str] | None:
    """(channel, ts, user, emoji) of a reaction by a person on a message, else None."""
    event: dict[str, Any] = args.event or {}
    item = event.get("item")
    user = str(event.get("user") or "")
    if not isinstance(item, dict) or item.get("type") != "message" or not user:
        return None
    if user == args.context.bot_user_id:
        return None  # the bot's own reactions never count
    channel, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
    emoji = str(event.get("reaction") or "")
    return (channel, ts, user, emoji) if channel and ts and emoji else None


class ReactionInterest:
    """Counts reactions on our messages for each channel's own ranking, and uncounts removals."""

    def __init__(self, signals: ChannelSignals, clock: Clock) -> None:
        """Count through signals, dated by the clock."""
        self.signals = signals
        self.clock = clock

    def register(
        self, bolt: AsyncApp, wrap: Callable[[Handler], Handler], abstracts: ReactionAbstracts
    ) -> None:
        """Listen to reaction_added (which also brings abstracts) and reaction_removed.

        Bolt runs one listener per event, so a reaction is counted, then answered, by one.
        """

        async def reaction_added(args: AsyncArgs) -> None:
            await self.added(args)
            await abstracts.on_reaction(args)

        bolt.event("reaction_added")(wrap(reaction_added))
        bolt.event("reaction_removed")(wrap(self.removed))

    async def added(self, args: AsyncArgs) -> None:
        """A person reacted: count it for the paper it is about."""
        found = _reaction(args)
        if found is not None:
            channel, ts, user, emoji = found
            await asyncio.to_thread(
                self.signals.added, PLATFORM, f"{PLATFORM}:{channel}", message_id(channel, ts),
                user, emoji, self.clock(),
            )  # fmt: skip

    async def removed(self, args: AsyncArgs) -> None:
        """A person took a reaction back: it no longer counts."""
        found = _reaction(args)
        if found is not None:
            channel, ts, user, emoji = found
            await asyncio.to_thread(
                self.signals.removed, PLATFORM, message_id(channel, ts), user, emoji
            )
