"""The settings panel's interactions: every click and modal, checked and saved through the core.

`/digest settings` with no option shows the panel privately. Its components and modals arrive
as INTERACTION_CREATE events and are handled here by custom_id (never by an in-memory View),
so they keep working across restarts. Manage Channels is checked again on every interaction,
every change goes through bot.forms (the rules of the typed commands), the panel is redrawn,
and the change is announced in the channel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.adapters.discord.embeds import digest_messages, text_message
from bot.adapters.discord.panel import (
    PREFIX,
    PanelState,
    confirm_view,
    filters_modal,
    modal_values,
    more_view,
    panel_embed,
    panel_view,
    schedule_modal,
    weight_modal,
)
from bot.adapters.discord.respond import FAST_REPLY_SECONDS, Inflight, Interaction, send_kwargs
from bot.channels import OutboundMessage
from bot.commands import DigestRequest
from bot.errors import HotpapersError
from bot.forms import DigestForm, FormOutcome

__all__ = ["NOT_ALLOWED", "PanelControls"]

log = logging.getLogger(__name__)
NOT_ALLOWED = "Changing this channel's digest needs the Manage Channels permission."
SORRY = "Sorry, that did not work; it has been logged."
_SCHEDULE = ("time", "timezone", "top", "keywords", "min_score")
_FILTERS = ("categories", "exclude_categories", "repeat_days")
_MODALS = {"schedule": schedule_modal, "filters": filters_modal, "weight": weight_modal}
_MORE = ("more", "layout", "weekly", "modal:weight")  # shown (again) on the panel's second page
_KINDS = (discord.InteractionType.component, discord.InteractionType.modal_submit)


@dataclass(frozen=True)
class Result:
    """What an interaction comes to: a redrawn panel, a line for the channel, a private word."""

    state: PanelState | None = None  # redraw the panel with this
    announce: str = ""  # said in the channel (a change)
    private: str = ""  # said only to the person (a mistake): nothing changed
    messages: tuple[OutboundMessage, ...] = field(default=())  # shown only to the person
    confirm: bool = False  # ask before unsubscribing
    more: bool = False  # redraw the panel's second page (layout, weekly, channel weight)


def _data(interaction: Interaction) -> Mapping[str, Any]:
    """The interaction's data as a plain mapping (discord.py types it per kind)."""
    data: Any = interaction.data or {}
    return data if isinstance(data, Mapping) else {}


def _errors(errors: dict[str, str]) -> str:
    """Field errors as lines: 'time: ...'."""
    return "Nothing was saved:\n" + "\n".join(f"• {key}: {text}" for key, text in errors.items())


class PanelControls:
    """Shows the panel and answers its components and modals."""

    def __init__(
        self,
        form: DigestForm,
        inflight: Inflight,
        watched: Sequence[str],
        fast_reply_seconds: float = FAST_REPLY_SECONDS,
    ) -> None:
        """Load and save through form; watched categories are offered in the menu."""
        self.form = form
        self.inflight = inflight
        self.watched = tuple(watched)
        self.fast_reply_seconds = fast_reply_seconds

    # -- showing the panel -----------------------------------------------------------------

    def state(self, channel: str, workspace: str = "") -> PanelState:
        """The channel's settings and status (blocking: SQLite)."""
        sub, exists = self.form.current(channel, workspace)
        return PanelState(sub, exists, self.form.status(channel) if exists else "")

    async def open(self, interaction: Interaction) -> None:
        """Reply privately with the panel (read-only for people without Manage Channels)."""
        with self.inflight.track():
            channel = f"discord:{interaction.channel_id}"
            state = await asyncio.to_thread(self.state, channel, str(interaction.guild_id))
            allowed = interaction.permissions.manage_channels
            embed = panel_embed(state, can_manage=allowed)
            if allowed:
                view = panel_view(state, self.watched)
                await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
            else:
                await interaction.response.send_message(embed=embed, ephemeral=True)

    # -- interactions ----------------------------------------------------------------------

    async def on_interaction(self, interaction: Interaction) -> None:
        """discord.py's event for every interaction: ours are components and modals by id."""
        if interaction.type not in _KINDS:
            return
        name = str(_data(interaction).get("custom_id", ""))
        if not name.startswith(PREFIX):
            return
        with self.inflight.track():
            try:
                await self._handle(interaction, name.removeprefix(PREFIX))
            except discord.HTTPException:
                log.exception("Could not answer the digest panel (%s)", name)
            except Exception:
                log.exception("The digest panel failed (%s)", name)
                if not interaction.response.is_done():
                    await self._say(interaction, SORRY)

    async def _handle(self, interaction: Interaction, action: str) -> None:
        """Check where and who, then do what the component or modal asks."""
        if interaction.guild_id is None or interaction.channel_id is None:
            await self._say(interaction, "Use this in a server channel.")
            return
        if not interaction.permissions.manage_channels:
            await self._say(interaction, NOT_ALLOWED)
            return
        channel = f"discord:{interaction.channel_id}"
        if action in _MODALS:
            state = await asyncio.to_thread(self.state, channel, str(interaction.guild_id))
            await interaction.response.send_modal(_MODALS[action](state.sub))
            return
        job = self._job(interaction, action, channel)
        if job is None:
            await self._say(interaction, "This button is from an older version; use /digest.")
            return
        await self._answer(interaction, job)

    def _job(
        self, interaction: Interaction, action: str, channel: str
    ) -> Callable[[], Result] | None:
        """The work an action asks for (run in a worker thread), or None if unknown."""
        data = _data(interaction)
        raw = data.get("values")
        values = [v for v in raw if isinstance(v, str)] if isinstance(raw, list) else []
        changes: dict[str, object] | None = None
        paused: bool | None = None
        if action == "ranking" and values:
            changes = {"ranking": values[0]}
        elif action == "days":
            changes = {"days": ",".join(values)}
        elif action == "categories":
            changes = {"categories": values}
        elif action in ("layout", "weekly") and values:
            changes = {action: values[0]}
        elif action.startswith("empty:"):
            changes = {"empty_day": action.removeprefix("empty:")}
        elif action in ("pause", "resume"):
            changes, paused = {}, action == "pause"
        elif action == "subscribe":
            changes = {}
        elif action == "modal:schedule":
            changes = modal_values(data, _SCHEDULE)
        elif action == "modal:filters":
            changes = modal_values(data, _FILTERS)
        elif action == "modal:weight":
            changes = modal_values(data, ("channel_weight",))
        guild, user = str(interaction.guild_id), str(interaction.user.id)
        more = action in _MORE
        if changes is not None:
            return lambda: self._save(channel, guild, user, changes, paused, more=more)
        simple: dict[str, Callable[[], Result]] = {
            "refresh": lambda: Result(self.state(channel, guild)),
            "more": lambda: Result(self.state(channel, guild), more=True),
            "unsubscribe": lambda: Result(confirm=True),
            "unsubscribe:yes": lambda: self._unsubscribe(channel, guild, user),
            "preview": lambda: self._preview(channel),
        }
        return simple.get(action)

    def _save(
        self, channel: str, guild: str, user: str, changes: dict[str, object],
        paused: bool | None, *, more: bool = False,
    ) -> Result:  # fmt: skip
        """Check and save the changed fields; the panel (its page) redrawn, the change announced."""
        outcome: FormOutcome = self.form.submit(
            channel, changes, paused=paused, can_manage=True, workspace=guild, user=user
        )
        if outcome.errors:
            return Result(private=_errors(dict(outcome.errors)))
        announce = outcome.reply.text if outcome.reply is not None else ""
        return Result(self.state(channel, guild), announce=announce, more=more)

    def _unsubscribe(self, channel: str, guild: str, user: str) -> Result:
        """Stop the channel's digest."""
        reply = self.form.commands.digest(
            channel, DigestRequest("unsubscribe"), can_manage=True, workspace=guild, user=user
        )
        return Result(self.state(channel, guild), announce=reply.text)

    def _preview(self, channel: str) -> Result:
        """What the next digest would show now, only to the person."""
        reply = self.form.commands.digest(channel, DigestRequest("preview"), can_manage=False)
        if reply.digest is not None and reply.digest.papers:
            title = "Preview of this channel's digest"
            return Result(messages=tuple(digest_messages(reply.digest, title=title)))
        return Result(private=reply.text)

    # -- answering -------------------------------------------------------------------------

    async def _answer(self, interaction: Interaction, job: Callable[[], Result]) -> None:
        """Run the job off the event loop; answer at once if quick, else defer and follow up."""
        task = asyncio.ensure_future(asyncio.to_thread(self._run, job))
        done, _ = await asyncio.wait({task}, timeout=self.fast_reply_seconds)
        if not done:
            await interaction.response.defer()  # a component or modal: "updating the panel"
        result = await task
        await self._deliver(interaction, result, deferred=not done)

    @staticmethod
    def _run(job: Callable[[], Result]) -> Result:
        """The job's result; a user's mistake (or a refusal) becomes a private word."""
        try:
            return job()
        except HotpapersError as error:
            return Result(private=str(error))

    async def _deliver(self, interaction: Interaction, result: Result, *, deferred: bool) -> None:
        """Redraw the panel, say the change in the channel, or answer privately."""
        private = [text_message(result.private)] if result.private else list(result.messages)
        if private:
            first, *rest = private
            if deferred:
                await interaction.followup.send(**send_kwargs(first), ephemeral=True)
            else:
                await interaction.response.send_message(**send_kwargs(first), ephemeral=True)
            for message in rest:
                await interaction.followup.send(**send_kwargs(message), ephemeral=True)
            return
        if result.confirm:
            content = "Stop this channel's daily digest?"
            view = confirm_view()
            if deferred:
                await interaction.edit_original_response(content=content, embed=None, view=view)
            else:
                await interaction.response.edit_message(content=content, embed=None, view=view)
            return
        if result.state is not None:
            embed = panel_embed(result.state)
            view = (
                more_view(result.state) if result.more else panel_view(result.state, self.watched)
            )
            if deferred:
                await interaction.edit_original_response(content=None, embed=embed, view=view)
            else:
                await interaction.response.edit_message(content=None, embed=embed, view=view)
        if result.announce:
            await interaction.followup.send(**send_kwargs(text_message(result.announce)))

    async def _say(self, interaction: Interaction, text: str) -> None:
        """A private line (before anything else answered the interaction)."""
        await interaction.response.send_message(**send_kwargs(text_message(text)), ephemeral=True)
