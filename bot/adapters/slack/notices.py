"""Telling people on Slack that a digest broke (and works again), by direct message.

The message comes from the app, in its Messages tab (chat.postMessage to a user id). It goes
to whoever subscribed the channel, else to the workspace's primary owner, owners and admins in
that order: the first one reached gets it, and only them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.access import error_code
from bot.adapters.slack.mrkdwn import escape_clip
from bot.channels import DeliveryError
from bot.delivery.notices import Notice, Told

__all__ = ["SlackNotices", "notice_text"]

log = logging.getLogger("hotpapers.slack")
MAX_PEOPLE = 5  # owners and admins tried at most, after whoever set the digest up
MAX_PAGES = 5  # users.list pages of 200 looked through for them
# Answers after which the same message may be sent again: nothing reached anyone.
_RETRY = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
# The token itself is refused: nobody in this workspace can be told.
_NO_TOKEN = {"invalid_auth", "not_authed", "account_inactive", "token_revoked",
             "team_access_not_granted"}  # fmt: skip
_CODE = re.compile(r"\(([a-z_]+)\)\s*$")
# Why a digest stopped, and what to do, for each error that pauses one (see channel.PERMANENT).
_REINSTALL = "reinstall the app (a workspace admin)"
_FIXES = {
    "not_in_channel": (
        "the bot was removed from the channel",
        "invite it back: `/invite @hotpapers` in {channel}",
    ),
    "channel_not_found": (
        "the bot cannot see the channel any more (deleted, or private without the bot)",
        "invite the bot to the channel, or set the digest up in another one",
    ),
    "is_archived": ("the channel was archived", "unarchive it and invite the bot again"),
    "no_permission": (
        "the bot may not post there",
        "let the app post in {channel} (a workspace admin)",
    ),
    "restricted_action": (
        "the workspace does not let the bot post there",
        "a workspace admin must allow apps to post in {channel}",
    ),
    "account_inactive": ("the app's bot user was deactivated", _REINSTALL),
    "invalid_auth": ("the app's token no longer works", _REINSTALL),
    "not_authed": ("the app's token no longer works", _REINSTALL),
    "token_revoked": ("the app's token was revoked", _REINSTALL),
    "team_access_not_granted": (
        "the app is not installed in this channel's workspace",
        "install the app in this workspace",
    ),
}


def notice_text(notice: Notice) -> str:
    """The message (mrkdwn): what happened to which channel's digest, and what to do about it.

    Only our own words and a channel link are markup; a reason we have no words for is escaped.
    """
    channel = f"<#{notice.target}>"
    if notice.kind == "working":
        return f"The daily digest of {channel} works again: its latest digest was posted."
    code = _CODE.search(notice.reason)
    why, fix = _FIXES.get(code[1] if code else "", (escape_clip(notice.reason, 1000), ""))
    text = f"The daily digest of {channel} is paused: {why}."
    if fix:
        text += f"\nTo fix it: {fix.format(channel=channel)}."
    return (
        text + f"\nThen run `/digest resume` in {channel}, or untick *Pause* in its settings"
        " (`/digest` there)."
    )


ClientFor = Callable[[str], Awaitable[AsyncWebClient]]


class SlackNotices:
    """Sends a notice to the first person it can reach."""

    def __init__(self, client_for: ClientFor) -> None:
        """client_for(channel id) gives a Web API client with that workspace's bot token."""
        self.client_for = client_for

    async def tell(self, notice: Notice) -> Told:
        """DM whoever set the digest up, else the owners and admins; say who got it."""
        try:
            client = await self.client_for(notice.target)
        except DeliveryError as error:
            return Told(detail=error.reason)
        payload = {"text": notice_text(notice)}
        if notice.kind == "working":
            return (
                await self._send(client, notice.recipient, payload) if notice.recipient else Told()
            )
        tried: list[str] = []
        for user in await self._people(client, notice.created_by):
            if user in tried:
                continue
            tried.append(user)
            told = await self._send(client, user, payload)
            if told.recipient or told.retry or told.detail.startswith("token:"):
                return told
        return Told(detail=f"nobody reachable (tried {', '.join(tried) or 'no one'})")

    async def _people(self, client: AsyncWebClient, first: str) -> list[str]:
        """Whoever set it up (if reachable), then the primary owner, owners and admins."""
        people = [first] if first and await self._reachable(client, first) else []
        try:
            people += await self._admins(client)
        except SlackApiError as error:
            log.warning("users.list failed: %s", error_code(error))
        return people[: MAX_PEOPLE + 1]

    async def _reachable(self, client: AsyncWebClient, user: str) -> bool:
        """A person who is still there and not a bot (users.info)."""
        try:
            info = await client.users_info(user=user)
        except SlackApiError:
            return False
        who: dict[str, Any] = info.get("user") or {}
        return not who.get("deleted") and not who.get("is_bot")

    async def _admins(self, client: AsyncWebClient) -> list[str]:
        """The workspace's primary owner, owners and admins (active people only)."""
        ranked: list[tuple[int, str]] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = await client.users_list(limit=200, cursor=cursor)
            for member in page.get("members") or []:
                if member.get("deleted") or member.get("is_bot"):
                    continue
                rank = 0 if member.get("is_primary_owner") else 1 if member.get("is_owner") else 2
                if rank < 2 or member.get("is_admin"):
                    ranked.append((rank, str(member.get("id"))))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return [user for _, user in sorted(ranked)]

    async def _send(self, client: AsyncWebClient, user: str, payload: dict[str, Any]) -> Told:
        """Post the message to a user's DM with the app."""
        try:
            await client.chat_postMessage(channel=user, **payload)
        except TimeoutError:  # first: aiohttp's timeouts are connection errors too
            # It may have arrived: counting it as told keeps the rule of one notice per pause.
            return Told(user, detail="no answer in time; it may have arrived")
        except SlackApiError as error:
            code = error_code(error)
            if error.response.status_code == 429 or code in _RETRY:
                return Told(retry=True, detail=f"Slack answered {code or 429}")
            if code in _NO_TOKEN:
                return Told(detail=f"token: {code}")
            return Told(detail=f"{user}: {code}")  # this person cannot be reached: the next
        except aiohttp.ClientConnectionError as error:
            return Told(retry=True, detail=f"Slack unreachable: {error}")
        return Told(user)
