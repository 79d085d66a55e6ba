"""A channel's digest as a form: each field checked alone, then saved through the commands.

Slack's modal and Discord's panel show a channel's settings as fields and send back what was
chosen. Each field is converted and validated by the settings' own rules (so an error can be
shown on its field), and a valid form is saved through `Commands.digest` like a typed
`/digest subscribe` or `/digest settings`: the same permission rule, the same confirmation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.commands import Commands, DigestReply, DigestRequest
from bot.errors import UsageError
from bot.subscriptions import Subscription, Subscriptions, convert_settings, validate

__all__ = ["FIELDS", "DigestForm", "FormOutcome"]

# The settings a form holds, in the order forms show them (pausing is a field of its own).
FIELDS = (
    "time", "timezone", "days", "top", "ranking", "categories", "exclude_categories",
    "keywords", "min_score", "repeat_days", "empty_day", "channel_weight", "layout", "weekly",
)  # fmt: skip


@dataclass(frozen=True)
class FormOutcome:
    """What submitting a form came to: errors per field (nothing saved), or the commands' reply.

    Neither errors nor a reply means the form changed nothing, so nothing was saved or said.
    """

    errors: Mapping[str, str] = field(default_factory=dict)
    reply: DigestReply | None = None


def _field_message(key: str, error: UsageError) -> str:
    """A setting's error without its leading 'key: ', since the form shows it on the field."""
    text = str(error)
    return text.removeprefix(f"{key}: ")


def _given(values: Mapping[str, object]) -> dict[str, object]:
    """The values with an empty field (None) as '', which every setting reads as 'none'."""
    return {key: "" if value is None else value for key, value in values.items()}


class DigestForm:
    """Loads a channel's settings for a form, checks a submitted one, saves it."""

    def __init__(self, commands: Commands, subscriptions: Subscriptions) -> None:
        """Save through commands; read the current settings from subscriptions."""
        self.commands = commands
        self.subscriptions = subscriptions

    def current(self, channel: str, workspace: str = "") -> tuple[Subscription, bool]:
        """The channel's subscription (or the defaults a new one gets), and whether it exists."""
        sub = self.subscriptions.get(channel)
        if sub is not None:
            return sub, True
        return Subscription(channel, workspace=workspace), False

    def status(self, channel: str) -> str:
        """The channel's delivery status (last and next digest), a line each; '' if unknown."""
        status = self.commands.status
        return status(channel) if status is not None else ""

    def check(
        self, channel: str, values: Mapping[str, object]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Each given field converted and validated: the typed values, and errors by field.

        A field is checked alone against the current settings, or failing that, against the
        form as submitted (ranking=hot with a channel weight given together). Fields each fine
        alone that clash together (ranking=seed beside a new weight) get the error on the field
        it names.
        """
        base, _ = self.current(channel)
        values = _given(values)
        converted: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for key, raw in values.items():
            try:
                converted[key] = convert_settings({key: raw})[key]
            except UsageError as error:
                errors[key] = _field_message(key, error)
        submitted = replace(base, **converted)
        typed: dict[str, Any] = {}
        for key, value in converted.items():
            try:
                validate(replace(base, **{key: value}))
            except UsageError as error:
                try:
                    validate(submitted)
                except UsageError:
                    errors[key] = _field_message(key, error)
                    continue
            typed[key] = value
        if typed and not errors:
            try:
                validate(submitted)
            except UsageError as error:
                named = str(error).partition(":")[0]
                key = named if named in typed else next(iter(typed))
                errors[key] = _field_message(key, error)
        return typed, errors

    def submit(
        self,
        channel: str,
        values: Mapping[str, object],
        *,
        paused: bool | None = None,
        can_manage: bool,
        workspace: str = "",
        user: str = "",
    ) -> FormOutcome:
        """Check the fields given (others keep their value) and save them, subscribing if needed.

        paused (None: unchanged) pauses or resumes afterwards. Raises UsageError when the person
        may not change the digest, as the typed commands do.
        """
        values = _given(values)
        typed, errors = self.check(channel, values)
        if errors:
            return FormOutcome(errors=errors)
        base, exists = self.current(channel, workspace)
        changed = {key: values[key] for key, value in typed.items() if getattr(base, key) != value}
        pausing = paused is not None and paused != base.paused
        if exists and not changed and not pausing:
            return FormOutcome()

        def run(request: DigestRequest) -> DigestReply:
            return self.commands.digest(
                channel, request, can_manage=can_manage, workspace=workspace, user=user
            )

        reply = None
        if changed or not exists:
            reply = run(DigestRequest("settings" if exists else "subscribe", options=changed))
        if pausing:
            reply = run(DigestRequest("pause" if paused else "resume"))
        return FormOutcome(reply=reply)
