"""Scheduled delivery to Slack: the Channel contract over chat.postMessage with message metadata."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.blocks import render_digest
from bot.adapters.slack.views import with_settings_button
from bot.channels import DeliveryError, OutboundMessage
from bot.models import Digest, Layout
from bot.reactions import Reactions

__all__ = ["EVENT_TYPE", "PLATFORM", "SlackChannel", "delivery_error", "message_id", "remember"]

PLATFORM = "slack"
EVENT_TYPE = "hotpapers_digest"  # the metadata event type that carries a delivery key
HISTORY_PAGES = 3  # find_sent looks this many pages of 200 messages back
_CLIENTS_KEPT = 1_000  # Web API clients kept, one per workspace token (beyond: start afresh)
# Errors no retry can fix: delivery pauses the subscription and /digest status shows the reason.
PERMANENT = {
    "channel_not_found": "the channel is gone or the bot cannot see it",
    "not_in_channel": "the bot is not in this channel; /invite it, then /digest resume",
    "is_archived": "the channel is archived",
    "account_inactive": "the bot's account is deactivated; reinstall the app",
    "invalid_auth": "the bot token is not valid; check SLACK_BOT_TOKEN or reinstall",
    "not_authed": "no bot token was sent; check SLACK_BOT_TOKEN or reinstall",
    "token_revoked": "the bot token was revoked; reinstall the app",
    "no_permission": "the bot may not post here",
    "restricted_action": "the workspace does not let the bot post here",
    "team_access_not_granted": "the app is not installed in this channel's workspace",
}
TokenFor = Callable[[str], Awaitable[str]]


def message_id(channel: str, ts: str) -> str:
    """Our id of a Slack message: a ts is only unique within its channel."""
    return f"{channel}/{ts}"


def remember(reactions: Reactions, channel: str, ts: str, arxiv_ids: Sequence[str]) -> str:
    """Record which paper sits at which number in a posted message; return its id."""
    ident = message_id(channel, ts)
    if arxiv_ids:
        reactions.remember(PLATFORM, f"{PLATFORM}:{channel}", ident, arxiv_ids)
    return ident


def _retry_after(headers: Mapping[str, Any] | None) -> float:
    """Seconds from a Retry-After header (Slack sends whole seconds); 30 when absent."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(float(raw), 0.0)
            except ValueError:
                break
    return 30.0


def delivery_error(error: Exception, target: str) -> DeliveryError:
    """Translate a Slack or network failure into what delivery should do about it."""
    if not isinstance(error, SlackApiError):
        return DeliveryError(f"could not reach Slack for {target}: {type(error).__name__}: {error}")
    response = error.response
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or "")
    if response.status_code == 429 or code == "ratelimited":
        wait = _retry_after(response.headers)
        return DeliveryError(f"Slack rate limit posting to {target}", retry_after=wait)
    if code in PERMANENT:
        return DeliveryError(f"slack:{target}: {PERMANENT[code]} ({code})", permanent=True)
    return DeliveryError(f"Slack answered {code or response.status_code} for {target}")


class SlackChannel:
    """Posts digests into Slack channels and finds them again after a crash."""

    platform: ClassVar[str] = PLATFORM

    def __init__(
        self, reactions: Reactions, token_for: TokenFor, base_url: str, *, timeout: float = 30
    ) -> None:
        """Post with the token token_for gives a channel, to the Web API at base_url."""
        self.reactions = reactions
        self.token_for = token_for
        self.base_url = base_url
        self.timeout = int(timeout)
        # One HTTP session (its connections kept alive) and one client per token: without a
        # session slack_sdk opens a new session and connection for every call, which in a
        # fan-out to a thousand channels costs more CPU than the posting itself.
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the session's
        self._clients: dict[str, AsyncWebClient] = {}

    def render(self, digest: Digest, layout: Layout = "grouped") -> list[OutboundMessage]:
        """Block Kit messages of ten papers (or one) each, the last with a Settings button."""
        return with_settings_button(render_digest(digest, layout=layout))

    async def web_client(self, target: str) -> AsyncWebClient:
        """A Web API client with the bot token of the workspace target belongs to."""
        token = await self.token_for(target)
        session, loop = self._session, asyncio.get_running_loop()
        if session is None or session.closed or self._loop is not loop:
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            session = self._session = aiohttp.ClientSession(timeout=timeout)
            self._loop = loop
            self._clients.clear()
        client = self._clients.get(token)
        if client is None:
            if len(self._clients) >= _CLIENTS_KEPT:
                self._clients.clear()
            client = self._clients[token] = AsyncWebClient(
                token=token, base_url=self.base_url, timeout=self.timeout, session=session
            )
        return client

    async def close_session(self) -> None:
        """Close the kept HTTP session (its connections); the next call opens a new one."""
        session, self._session = self._session, None
        self._clients.clear()
        if session is not None and not session.closed:
            await session.close()

    async def send(self, target: str, message: OutboundMessage, *, key: str) -> str:
        """Post one message with the key in its metadata; return 'channel/ts'."""
        client = await self.web_client(target)
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"key": key}}
        try:
            result = await client.chat_postMessage(
                channel=target, metadata=metadata, **message.payload
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            raise delivery_error(error, target) from error
        return message_id(str(result.get("channel") or target), str(result["ts"]))

    def remember(self, target: str, message_id: str, message: OutboundMessage) -> None:
        """Record which paper sits at which number in a posted message (blocking)."""
        channel, _, ts = message_id.partition("/")
        remember(self.reactions, channel, ts, message.arxiv_ids)

    async def find_sent(self, target: str, key: str) -> str | None:
        """The message posted with this key among the channel's recent history, if any."""
        client = await self.web_client(target)
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            try:
                page = await client.conversations_history(
                    channel=target, limit=200, include_all_metadata=True, cursor=cursor
                )
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
                raise delivery_error(error, target) from error
            for found in page.get("messages") or []:
                meta = found.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == EVENT_TYPE and payload.get("key") == key:
                    return message_id(target, str(found["ts"]))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None
