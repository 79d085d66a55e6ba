"""Answering interactions inside Discord's 3 s: at once when the work is quick, else defer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import discord

from bot.adapters.discord.embeds import text_message
from bot.channels import OutboundMessage
from bot.errors import HotpapersError
from bot.reactions import Reactions

__all__ = ["NO_MENTIONS", "Inflight", "Reply", "Responder", "send_kwargs"]

log = logging.getLogger(__name__)

# Discord drops an interaction that gets no response within 3 s of being sent; waiting at most
# this long for the answer leaves the rest for the gateway, the network and a deferral.
FAST_REPLY_SECONDS = 1.0
NO_MENTIONS = discord.AllowedMentions.none()
Interaction = discord.Interaction[discord.Client]


@dataclass(frozen=True)
class Reply:
    """What a command answers: one or more messages, public or only for the user."""

    messages: tuple[OutboundMessage, ...]
    ephemeral: bool = False

    @classmethod
    def text(cls, text: str, *, ephemeral: bool = True) -> Reply:
        """A single line of text, by default only for the user."""
        return cls((text_message(text),), ephemeral=ephemeral)


def send_kwargs(message: OutboundMessage) -> dict[str, Any]:
    """discord.py keyword arguments for a rendered message; never mentions anyone."""
    kwargs: dict[str, Any] = {
        "embeds": [discord.Embed.from_dict(e) for e in message.payload.get("embeds", [])],
        "allowed_mentions": NO_MENTIONS,
    }
    if message.payload.get("content"):
        kwargs["content"] = message.payload["content"]
    return kwargs


def _run(work: Callable[[], Reply]) -> Reply:
    """Do the work (in a worker thread); a user's mistake becomes a private explanation."""
    try:
        return work()
    except HotpapersError as error:
        return Reply.text(str(error))
    except Exception:
        log.exception("A Discord command failed")
        return Reply.text("Sorry, something went wrong on my side; it has been logged.")


class Inflight:
    """Handler tasks still running, so closing lets them finish before the store closes."""

    def __init__(self) -> None:
        """Start with none."""
        self.tasks: set[asyncio.Task[Any]] = set()

    @contextlib.contextmanager
    def track(self) -> Iterator[None]:
        """Count the current task as in flight while the block runs."""
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            yield
        finally:
            self.tasks.discard(task)

    async def drain(self, seconds: float) -> None:
        """Wait for the handlers in flight, at most that many seconds."""
        pending = {t for t in self.tasks if t is not asyncio.current_task()}
        if pending:
            _, late = await asyncio.wait(pending, timeout=seconds)
            if late:
                log.warning("%d Discord handlers still running at shutdown", len(late))


class Responder:
    """Runs command work off the event loop and delivers its reply within the deadline."""

    def __init__(
        self,
        reactions: Reactions,
        inflight: Inflight,
        fast_reply_seconds: float = FAST_REPLY_SECONDS,
    ) -> None:
        """Remember posted papers in reactions, so keycaps on the reply bring abstracts."""
        self.reactions = reactions
        self.inflight = inflight
        self.fast_reply_seconds = fast_reply_seconds

    async def answer(
        self, interaction: Interaction, work: Callable[[], Reply], *, private: bool = False
    ) -> None:
        """Reply directly if the work is quick, else defer (private when expected) and follow up."""
        with self.inflight.track():
            await self._answer(interaction, work, private)

    async def _answer(
        self, interaction: Interaction, work: Callable[[], Reply], private: bool
    ) -> None:
        """Race the work against the fast-reply budget, then deliver."""
        task = asyncio.ensure_future(asyncio.to_thread(_run, work))
        done, _ = await asyncio.wait({task}, timeout=self.fast_reply_seconds)
        try:
            if not done:
                await interaction.response.defer(ephemeral=private, thinking=True)
            reply = await task
            await self._deliver(interaction, reply, deferred=not done, deferred_private=private)
        except discord.HTTPException:
            # Usually 10062 Unknown interaction: too late, or the user's client went away.
            log.exception("Could not answer the /%s interaction", _name(interaction))

    async def _deliver(
        self, interaction: Interaction, reply: Reply, *, deferred: bool, deferred_private: bool
    ) -> None:
        """Send the reply's messages, remembering at once which papers each public one shows."""
        first, *rest = reply.messages
        message_id: int | None
        if not deferred:
            response = await interaction.response.send_message(
                **send_kwargs(first), ephemeral=reply.ephemeral
            )
            message_id = response.message_id
        elif reply.ephemeral and not deferred_private:
            # A deferral fixes whether the answer is private; swap the public placeholder for a
            # private follow-up so a mistake is not shown to the whole channel.
            await interaction.delete_original_response()
            sent = await interaction.followup.send(**send_kwargs(first), ephemeral=True, wait=True)
            message_id = sent.id
        else:
            edited = await interaction.edit_original_response(**send_kwargs(first))
            message_id = edited.id
        if message_id is None and first.arxiv_ids and not reply.ephemeral:
            message_id = (await interaction.original_response()).id
        await self._remember(interaction, reply, message_id, first)
        for message in rest:
            sent = await interaction.followup.send(
                **send_kwargs(message), ephemeral=reply.ephemeral, wait=True
            )
            await self._remember(interaction, reply, sent.id, message)

    async def _remember(
        self,
        interaction: Interaction,
        reply: Reply,
        message_id: int | None,
        message: OutboundMessage,
    ) -> None:
        """Record the papers a public message numbers, so keycap reactions on it work."""
        if reply.ephemeral or message_id is None or not message.arxiv_ids:
            return  # nobody can react to a message only one user sees
        await asyncio.to_thread(
            self.reactions.remember,
            "discord",
            str(interaction.channel_id),
            str(message_id),
            message.arxiv_ids,
        )


def _name(interaction: Interaction) -> str:
    """The command's name, for logs."""
    command = interaction.command
    return command.qualified_name if command is not None else "?"
