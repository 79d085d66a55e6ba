"""Slash commands /hot, /paper, /search and /digest, translated onto the shared Commands."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_sdk.errors import SlackApiError

from bot.adapters.slack.access import NOT_ALLOWED, DigestAccess, error_code
from bot.adapters.slack.blocks import (
    render_digest,
    render_paper,
    search_payload,
    text_payload,
)
from bot.adapters.slack.channel import remember
from bot.channels import OutboundMessage
from bot.commands import (
    DIGEST_HINT,
    HOT_HINT,
    PAPER_HINT,
    PAPER_USAGE,
    SEARCH_HINT,
    Commands,
    DigestRequest,
    parse_hot_request,
    search_terms,
)
from bot.errors import HotpapersError
from bot.reactions import Reactions

__all__ = ["COMMANDS", "NOT_ALLOWED", "Handler", "SlashCommands"]

log = logging.getLogger("hotpapers.slack")
Handler = Callable[[AsyncArgs], Awaitable[None]]
T = TypeVar("T")
COMMANDS = {
    "/hot": ("The papers people talk about now", HOT_HINT),
    "/paper": ("One paper with its score", PAPER_HINT),
    "/search": ("Search stored papers", SEARCH_HINT),
    "/digest": ("This channel's daily digest (alone: its settings)", DIGEST_HINT),
}
INVITE_HINT = (
    "Invite me to this channel (/invite @hotpapers) so reactions on my posts bring abstracts."
)
# Where the bot cannot post itself, the answer goes through the command's response_url instead.
_CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


class SlashCommands:
    """The four slash commands: ack at once, work in a thread, answer in channel or privately."""

    def __init__(
        self,
        commands: Commands,
        reactions: Reactions,
        access: DigestAccess,
        *,
        open_settings: Handler | None = None,
    ) -> None:
        """Answer from Commands; access says who may change digests; open_settings (if any)
        answers a bare /digest, already acknowledged, with the settings modal."""
        self.commands = commands
        self.reactions = reactions
        self.access = access
        self.open_settings = open_settings

    def register(self, bolt: AsyncApp, wrap: Callable[[Handler], Handler]) -> None:
        """Attach the handlers, each wrapped (error reporting, shutdown tracking)."""
        handlers: dict[str, Handler] = {
            "/hot": self.hot, "/paper": self.paper, "/search": self.search, "/digest": self.digest,
        }  # fmt: skip
        for name, handler in handlers.items():
            bolt.command(name)(wrap(handler))

    async def hot(self, args: AsyncArgs) -> None:
        """/hot [week] [count] [category]: the hot list (or the week's best), in the channel."""
        command = args.command or {}
        try:
            week, count, category = parse_hot_request(str(command.get("text", "")))
        except HotpapersError as error:
            await args.ack(response_type="ephemeral", **text_payload(str(error)))
            return
        await args.ack()
        title = f"Hot papers in {category} right now" if category else "Hot papers right now"
        channel = f"slack:{command.get('channel_id', '')}"

        def render() -> list[OutboundMessage]:
            if week:
                digests = self.commands.week(channel, count, category).digests
                return [m for d in digests for m in render_digest(d)]
            return render_digest(self.commands.hot(count, category, channel), title=title)

        messages = await self._work(args, render)
        if messages is not None:
            await self._post(args, messages)

    async def paper(self, args: AsyncArgs) -> None:
        """/paper <id or URL>: one paper with its score, posted in the channel."""
        query = str((args.command or {}).get("text", "")).strip()
        if not query:
            await args.ack(response_type="ephemeral", **text_payload(PAPER_USAGE))
            return
        await args.ack()
        messages = await self._work(args, lambda: [render_paper(self.commands.paper(query))])
        if messages is not None:
            await self._post(args, messages)

    async def search(self, args: AsyncArgs) -> None:
        """/search <words>: matching stored papers, shown only to the person who asked."""
        words = str((args.command or {}).get("text", "")).strip()
        try:
            search_terms(words)
        except HotpapersError as error:
            await args.ack(response_type="ephemeral", **text_payload(str(error)))
            return
        await args.ack()
        found = await self._work(args, lambda: self.commands.search(words))
        if found is not None:
            await args.respond(response_type="ephemeral", **search_payload(found, words))

    async def digest(self, args: AsyncArgs) -> None:
        """/digest <action> [settings]: this channel's daily digest."""
        command = args.command or {}
        text = str(command.get("text", ""))
        request = DigestRequest.parse(text)
        await args.ack()
        if not text.strip() and self.open_settings is not None:
            await self.open_settings(args)
            return
        change = request.changes_state
        user = str(command.get("user_id", ""))
        allowed = change and await self.access.can_manage(args.client, user)
        if change and not allowed:
            await args.respond(response_type="ephemeral", **text_payload(NOT_ALLOWED))
            return
        channel, team = f"slack:{command.get('channel_id', '')}", str(command.get("team_id", ""))
        reply = await self._work(
            args,
            lambda: self.commands.digest(
                channel, request, can_manage=allowed, workspace=team, user=user
            ),
        )
        if reply is None:
            return
        kind = "ephemeral" if reply.private else "in_channel"
        await args.respond(response_type=kind, **text_payload(reply.text))
        if reply.digest is not None and reply.digest.papers:
            for message in render_digest(reply.digest, title="Preview of this channel's digest"):
                await args.respond(response_type="ephemeral", **message.payload)

    async def _work(self, args: AsyncArgs, job: Callable[[], T]) -> T | None:
        """Run a blocking command off the event loop; our errors go to the user privately."""
        try:
            return await asyncio.to_thread(job)
        except HotpapersError as error:
            await args.respond(response_type="ephemeral", **text_payload(str(error)))
            return None

    async def _post(self, args: AsyncArgs, messages: Sequence[OutboundMessage]) -> None:
        """Post as the bot so reactions work; fall back to response_url where it may not post."""
        channel = str((args.command or {}).get("channel_id", ""))
        fallback = False
        for message in messages:
            if not fallback:
                try:
                    result = await args.client.chat_postMessage(channel=channel, **message.payload)
                except SlackApiError as error:
                    if error_code(error) not in _CANNOT_POST:
                        raise
                    fallback = True
                else:
                    posted_in = str(result.get("channel") or channel)
                    await asyncio.to_thread(
                        remember,
                        self.reactions,
                        posted_in,
                        str(result["ts"]),
                        message.arxiv_ids,
                    )
                    continue
            await args.respond(response_type="in_channel", **message.payload)
        if fallback:
            await args.respond(response_type="ephemeral", **text_payload(INVITE_HINT))
