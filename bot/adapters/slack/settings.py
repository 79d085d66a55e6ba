"""The settings modal: opened by a bare /digest or a Settings button, saved through the core.

Every step re-checks who may change digests (DigestAccess), the same rule as the typed command.
A submission is validated field by field (errors come back on their fields with
`response_action: errors`), saved through bot.forms, and confirmed in the channel.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.access import NOT_ALLOWED, DigestAccess, error_code
from bot.adapters.slack.blocks import text_payload
from bot.adapters.slack.slash import INVITE_HINT, Handler
from bot.adapters.slack.views import (
    CALLBACK_ID,
    OPEN_SETTINGS,
    SEARCHES,
    action_id,
    field_errors,
    message_view,
    options_payload,
    read_form,
    read_metadata,
    settings_modal,
)
from bot.catalog import find_categories, find_timezones
from bot.commands import DigestRequest
from bot.errors import HotpapersError
from bot.forms import DigestForm, FormOutcome
from bot.subscriptions import Subscription
from bot.timeutil import Clock

__all__ = ["SettingsModal"]

log = logging.getLogger("hotpapers.slack")
NOT_HERE = "This digest belongs to another workspace."
_CHANNEL_ID = re.compile(r"[A-Z0-9]{1,32}")  # as Slack spells conversation ids: C0123ABCD
_CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


def _id(body: Mapping[str, Any], key: str) -> str:
    """body[key]['id'] (user, team, channel of an interaction payload), '' when absent."""
    value = body.get(key)
    return str(value.get("id") or "") if isinstance(value, Mapping) else ""


class SettingsModal:
    """Opens, fills, answers type-ahead for, and saves a channel's settings modal."""

    def __init__(self, form: DigestForm, access: DigestAccess, clock: Clock) -> None:
        """Load and save through form; access decides who may; clock dates timezone offsets."""
        self.form = form
        self.access = access
        self.clock = clock

    def register(self, bolt: AsyncApp, wrap: Callable[[Handler], Handler]) -> None:
        """The Settings button, the type-ahead menus and the modal's submission."""
        bolt.action(OPEN_SETTINGS)(wrap(self.on_button))
        for search in SEARCHES:
            bolt.options(search)(wrap(self.on_options))
        bolt.view(CALLBACK_ID)(wrap(self.on_submit))

    # -- opening ---------------------------------------------------------------------------

    async def from_command(self, args: AsyncArgs) -> None:
        """A bare /digest (already acknowledged): the modal, or the status for those not allowed."""
        command = args.command or {}
        channel, team = str(command.get("channel_id", "")), str(command.get("team_id", ""))
        user, trigger = str(command.get("user_id", "")), str(command.get("trigger_id", ""))
        if await self.access.can_manage(args.client, user):
            problem = await self._open(args.client, trigger, channel, team)
            if problem:
                await args.respond(response_type="ephemeral", **text_payload(problem))
            return
        status = await asyncio.to_thread(self._status, channel)
        text = f"{status}\n{NOT_ALLOWED}"
        await args.respond(response_type="ephemeral", **text_payload(text))

    async def on_button(self, args: AsyncArgs) -> None:
        """The Settings button (a digest's, or one in App Home that names its channel)."""
        await args.ack()
        body = args.body or {}
        actions = body.get("actions") or [{}]
        channel = str(actions[0].get("value") or "") or _id(body, "channel")
        team, user = _id(body, "team"), _id(body, "user")
        trigger = str(body.get("trigger_id") or "")
        if not await self.access.can_manage(args.client, user):
            await self._say(args.client, trigger, "Not allowed", NOT_ALLOWED)
            return
        problem = await self._open(args.client, trigger, channel, team)
        if problem:
            await self._say(args.client, trigger, "Daily digest", problem)

    def _status(self, channel: str) -> str:
        """What /digest status says about a channel (the settings and delivery)."""
        reply = self.form.commands.digest(
            f"slack:{channel}", DigestRequest("status"), can_manage=False
        )
        return reply.text

    def _load(self, channel: str, team: str) -> tuple[Subscription, bool, str]:
        """The channel's settings, whether it has a digest, and its delivery status."""
        sub, exists = self.form.current(f"slack:{channel}", team)
        return sub, exists, self.form.status(sub.channel) if exists else ""

    async def _open(self, client: AsyncWebClient, trigger: str, channel: str, team: str) -> str:
        """views.open with the channel's settings; what went wrong, or '' when it opened."""
        if not _CHANNEL_ID.fullmatch(channel):
            return "Use /digest in the channel whose digest you want to change."
        sub, exists, status = await asyncio.to_thread(self._load, channel, team)
        if exists and sub.workspace and team and sub.workspace != team:
            return NOT_HERE
        view = settings_modal(sub, exists=exists, status=status, now=self.clock(), workspace=team)
        try:
            await client.views_open(trigger_id=trigger, view=view)
        except SlackApiError as error:
            log.warning("views.open failed: %s", error_code(error))
            return f"Slack would not open the settings ({error_code(error)}); please try again."
        return ""

    async def _say(self, client: AsyncWebClient, trigger: str, title: str, text: str) -> None:
        """A small modal saying why the settings did not open (a button has no other reply)."""
        try:
            await client.views_open(trigger_id=trigger, view=message_view(title, text))
        except SlackApiError as error:
            log.warning("views.open failed: %s", error_code(error))

    # -- type-ahead ------------------------------------------------------------------------

    async def on_options(self, args: AsyncArgs) -> None:
        """Timezones or categories matching what the user has typed so far."""
        body = args.body or {}
        typed = str(body.get("value") or "")[:100]
        if body.get("action_id") == action_id("timezone"):
            names, kind = find_timezones(typed), "timezone"
        else:
            names, kind = find_categories(typed), "categories"
        await args.ack(**options_payload(names, kind, self.clock()))

    # -- saving ----------------------------------------------------------------------------

    async def on_submit(self, args: AsyncArgs) -> None:
        """Check every field, save, close the modal and confirm in the channel."""
        body = args.body or {}
        view = args.view or {}
        channel, team = read_metadata(view)
        user = _id(body, "user")
        if not await self.access.can_manage(args.client, user):
            await args.ack(response_action="update", view=message_view("Not allowed", NOT_ALLOWED))
            return
        values, paused = read_form(view)
        try:
            outcome = await asyncio.to_thread(self._submit, channel, team, user, values, paused)
        except HotpapersError as error:
            await args.ack(response_action="update", view=message_view("Not saved", str(error)))
            return
        if outcome.errors:
            await args.ack(response_action="errors", errors=field_errors(outcome.errors))
            return
        await args.ack()
        if outcome.reply is not None:
            await self._confirm(args.client, channel, user, outcome.reply.text)

    def _submit(
        self,
        channel: str,
        team: str,
        user: str,
        values: Mapping[str, object],
        paused: bool | None,
    ) -> FormOutcome:
        """Validate and save (in a worker thread: SQLite)."""
        if not _CHANNEL_ID.fullmatch(channel):
            raise HotpapersError("This modal names no channel; open it again with /digest.")
        sub = self.form.subscriptions.get(f"slack:{channel}")
        if sub is not None and sub.workspace and team and sub.workspace != team:
            raise HotpapersError(NOT_HERE)
        return self.form.submit(
            f"slack:{channel}", values, paused=paused, can_manage=True, workspace=team, user=user
        )

    async def _confirm(self, client: AsyncWebClient, channel: str, user: str, text: str) -> None:
        """Say in the channel what changed; if the bot may not post there, tell the user."""
        try:
            await client.chat_postMessage(channel=channel, **text_payload(text))
        except SlackApiError as error:
            if error_code(error) not in _CANNOT_POST:
                raise
            await client.chat_postMessage(channel=user, **text_payload(f"{text}\n{INVITE_HINT}"))
