"""Block Kit for a channel's digest settings (pure): the modal, its type-ahead options, its answers.

The modal holds every setting of `/digest settings` as an input block whose block_id is the
setting's name; read_form turns a submitted view's state back into the values the core checks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.adapters.slack.blocks import MAX_BLOCKS
from bot.adapters.slack.mrkdwn import clip, escape_clip
from bot.catalog import category_label, timezone_label
from bot.channels import OutboundMessage
from bot.forms import FIELDS
from bot.limits import (
    MAX_CHANNEL_WEIGHT,
    MAX_COUNT,
    MAX_ITEMS,
    MAX_REPEAT_DAYS,
    MAX_SETTINGS_CHARS,
)
from bot.subscriptions import WEEKDAYS, Subscription
from bot.untrusted import one_line

__all__ = [
    "CALLBACK_ID",
    "OPEN_SETTINGS",
    "SEARCHES",
    "action_id",
    "field_errors",
    "message_view",
    "options_payload",
    "read_form",
    "read_metadata",
    "settings_button",
    "settings_modal",
    "with_settings_button",
]

CALLBACK_ID = "hotpapers_digest_settings"  # the modal's callback_id: its submission comes back
OPEN_SETTINGS = "hotpapers_open_settings"  # the Settings button on digests and in App Home
PAUSED = "paused"  # the block of the pause checkbox, beside the settings' own fields
MAX_OPTIONS = 100  # Slack's cap on the options of an external select's answer
MAX_OPTION_TEXT = 75
MAX_CONTEXT_TEXT = 2000
MAX_METADATA = 3000
MAX_TEXT_INPUT = min(3000, MAX_SETTINGS_CHARS)  # Slack caps a text input at 3000 characters
_DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                 "Saturday", "Sunday"), strict=True))  # fmt: skip
_RANKINGS = {
    "hot": ("Hot", "what people are talking about now (score with its breakdown)"),
    "seed": ("Papers of the day", "the 2021 blog's ranking of the day's posts"),
}
_EMPTY_DAYS = {"note": "Post a short note", "skip": "Post nothing"}
_LAYOUTS = {
    "grouped": ("Grouped", "ten papers a message"),
    "per-paper": ("One message per paper", "a header, then each paper: a reaction counts for it"),
}
WEEKLY_OFF = "off"  # the weekly menu's value for no weekly digest


def action_id(name: str) -> str:
    """The action_id of a setting's input (unique in the app: type-ahead is routed by it)."""
    return f"digest_{name}"


# The fields whose options Slack asks for as the user types (options load URL).
SEARCHES = (action_id("timezone"), action_id("categories"), action_id("exclude_categories"))


def _text(text: str, limit: int = 75) -> dict[str, Any]:
    """A plain_text object (never parsed for mentions or links)."""
    return {"type": "plain_text", "text": clip(text, limit)}


def _option(text: str, value: str, description: str = "") -> dict[str, Any]:
    """An option object."""
    option: dict[str, Any] = {"text": _text(text, MAX_OPTION_TEXT), "value": value}
    if description:
        option["description"] = _text(description, MAX_OPTION_TEXT)
    return option


def _input(
    name: str, label: str, element: dict[str, Any], *, hint: str = "", optional: bool = False
) -> dict[str, Any]:
    """An input block for one setting: its block_id is the setting's name."""
    block: dict[str, Any] = {
        "type": "input",
        "block_id": name,
        "label": _text(label, 2000),
        "element": {**element, "action_id": action_id(name)},
        "optional": optional,
    }
    if hint:
        block["hint"] = _text(hint, 2000)
    return block


def _category_options(names: Sequence[str]) -> list[dict[str, Any]]:
    """Categories as options labelled with their names."""
    return [_option(category_label(name), name) for name in names]


def _categories_input(name: str, label: str, chosen: Sequence[str], hint: str) -> dict[str, Any]:
    """A multi-select with type-ahead over arXiv's taxonomy."""
    element: dict[str, Any] = {
        "type": "multi_external_select",
        "min_query_length": 1,
        "max_selected_items": MAX_ITEMS,
        "placeholder": _text("Type a category or a field, e.g. cs.LG or vision"),
    }
    if chosen:
        element["initial_options"] = _category_options(chosen)
    return _input(name, label, element, hint=hint, optional=True)


def _choices(kind: str, options: list[dict[str, Any]], chosen: Sequence[str]) -> dict[str, Any]:
    """Checkboxes or radio buttons with the chosen values ticked."""
    element: dict[str, Any] = {"type": kind, "options": options}
    picked = [o for o in options if o["value"] in chosen]
    if kind == "radio_buttons" and picked:
        element["initial_option"] = picked[0]
    elif picked:
        element["initial_options"] = picked
    return element


def _decimal(value: float) -> str:
    """A number in plain decimal notation (a number input takes no exponent): 2.5, 100000."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _number(
    value: float | None, low: int | None, high: int | None, *, decimal: bool = False
) -> dict[str, Any]:
    """A number input (Slack checks the range before sending; the core checks it again)."""
    element: dict[str, Any] = {"type": "number_input", "is_decimal_allowed": decimal}
    if value is not None:
        element["initial_value"] = _decimal(value) if decimal else str(int(value))
    if low is not None:
        element["min_value"] = str(low)
    if high is not None:
        element["max_value"] = str(high)
    return element


def _keywords_input(keywords: Sequence[str]) -> dict[str, Any]:
    """A text input for keywords; a note instead when they are too long for one (kept as is)."""
    text = " ".join(keywords)
    if len(text) > MAX_TEXT_INPUT:
        note = (
            f"Keywords: {len(keywords)} words, too long to edit here; they are kept as they"
            " are. Change them with /digest settings keywords=…"
        )
        return {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}
    element: dict[str, Any] = {"type": "plain_text_input", "max_length": MAX_TEXT_INPUT}
    if text:
        element["initial_value"] = text
    hint = "Only papers whose title or abstract has one of these words (spaces or commas between)"
    return _input("keywords", "Keywords", element, optional=True, hint=hint)


def _status_block(channel: str, exists: bool, status: str) -> list[dict[str, Any]]:
    """Which channel, and how its digest is doing."""
    head = f"The daily digest of <#{channel}>."
    if not exists:
        head += " It has none yet: *Save* subscribes the channel."
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": head, "verbatim": True}}
    ]
    lines = [escape_clip(one_line(line), 500) for line in status.splitlines() if line.strip()]
    if lines:
        text = clip("\n".join(lines), MAX_CONTEXT_TEXT)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
    return blocks


def settings_modal(
    sub: Subscription, *, exists: bool, status: str, now: datetime, workspace: str
) -> dict[str, Any]:
    """The modal with the channel's settings filled in; its submission comes back by callback_id."""
    target = sub.target
    day_options = [_option(_DAY_NAMES[day], day) for day in WEEKDAYS]
    rankings = [_option(title, key, about) for key, (title, about) in _RANKINGS.items()]
    empties = [_option(text, key) for key, text in _EMPTY_DAYS.items()]
    timezone = {
        "type": "external_select",
        "min_query_length": 1,
        "placeholder": _text("Type a city or zone, e.g. Berlin"),
        "initial_option": _option(timezone_label(sub.timezone, now), sub.timezone),
    }
    keywords = _keywords_input(sub.keywords)
    layouts = [_option(title, key, about) for key, (title, about) in _LAYOUTS.items()]
    weekly_options = [_option("Off: no weekly digest", WEEKLY_OFF), *day_options]
    weekly = {
        "type": "static_select",
        "options": weekly_options,
        "initial_option": next(
            o for o in weekly_options if o["value"] == (sub.weekly or WEEKLY_OFF)
        ),
    }
    paused = [_option("Paused: post nothing until unticked", "paused")]
    blocks = [
        *_status_block(target, exists, status),
        _input("time", "Time", {"type": "timepicker", "initial_time": sub.time}),
        _input("timezone", "Timezone", timezone),
        _input("days", "Days", _choices("checkboxes", day_options, sub.days),
               hint="arXiv announces new papers Sunday to Thursday evenings (US Eastern)"),
        _input("top", "Number of papers", _number(sub.top, 1, MAX_COUNT),
               hint=f"1 to {MAX_COUNT}"),
        _input("ranking", "Ranking", _choices("radio_buttons", rankings, [sub.ranking])),
        _categories_input("categories", "Categories", sub.categories,
                          "Only papers in these (none: every category followed)"),
        _categories_input("exclude_categories", "Excluded categories", sub.exclude_categories,
                          "Leave out papers in these"),
        keywords,
        _input("min_score", "Minimum score", _number(sub.min_score, None, None, decimal=True),
               optional=True, hint="Leave out papers scoring less (empty: no minimum)"),
        _input("repeat_days", "Repeat after (days)",
               _number(sub.repeat_days, 0, MAX_REPEAT_DAYS),
               hint="A paper shown here is not shown again for this many days"),
        _input("empty_day", "On a day with nothing to show",
               _choices("radio_buttons", empties, [sub.empty_day])),
        _input("layout", "Layout", _choices("radio_buttons", layouts, [sub.layout])),
        _input("weekly", "Weekly digest", weekly,
               hint="The channel's favourites of the week and the week's top, on this day at"
                    " the digest's time; once a week"),
        _input("channel_weight", "Channel weight",
               _number(sub.channel_weight, 0, int(MAX_CHANNEL_WEIGHT), decimal=True),
               optional=True,
               hint=f"0 to {MAX_CHANNEL_WEIGHT:g}: what each person reacting to a paper here adds"
                    " to its score in this channel's digests (0 or empty: nothing; hot ranking"
                    " only)"),
        _input(PAUSED, "Pause", _choices("checkboxes", paused, ["paused"] if sub.paused else []),
               optional=True,
               hint=f"Paused: {one_line(sub.paused_reason)}" if sub.paused_reason else ""),
    ]  # fmt: skip
    metadata = json.dumps({"channel": target, "team": workspace})
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _text("Daily digest", 24),
        "submit": _text("Save", 24),
        "close": _text("Cancel", 24),
        "private_metadata": metadata[:MAX_METADATA],
        "blocks": blocks,
    }


def message_view(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (not allowed, saved elsewhere, a failure)."""
    section = {"type": "section", "text": {"type": "mrkdwn", "text": escape_clip(text, 3000)}}
    return {
        "type": "modal",
        "title": _text(title, 24),
        "close": _text("Close", 24),
        "blocks": [section],
    }


def settings_button(channel: str = "") -> dict[str, Any]:
    """An actions block with a Settings button: for a channel, or (no channel) for the channel
    the message it is on was posted in."""
    button: dict[str, Any] = {
        "type": "button",
        "action_id": OPEN_SETTINGS,
        "text": _text("Settings"),
    }
    if channel:
        button["value"] = channel
    return {"type": "actions", "block_id": "hotpapers_settings", "elements": [button]}


def with_settings_button(messages: list[OutboundMessage]) -> list[OutboundMessage]:
    """A digest's messages with a Settings button under the last one (where it has room)."""
    if not messages or len(messages[-1].payload.get("blocks", ())) >= MAX_BLOCKS:
        return messages
    last = messages[-1]
    payload = {**last.payload, "blocks": [*last.payload["blocks"], settings_button()]}
    return [*messages[:-1], replace(last, payload=payload)]


def options_payload(names: Sequence[str], kind: str, now: datetime) -> dict[str, Any]:
    """The answer to a type-ahead request: categories or timezones as options."""
    shown = list(names)[:MAX_OPTIONS]
    if kind == "timezone":
        return {"options": [_option(timezone_label(name, now), name) for name in shown]}
    return {"options": _category_options(shown)}


def read_metadata(view: Mapping[str, Any]) -> tuple[str, str]:
    """The channel id and workspace a settings modal was opened for ('' when unreadable)."""
    try:
        data = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    return str(data.get("channel") or ""), str(data.get("team") or "")


def _states(view: Mapping[str, Any]) -> Mapping[str, Any]:
    """The submitted inputs by block_id (empty when misshapen)."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    return values if isinstance(values, Mapping) else {}


def _state(view: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The submitted state of one input (empty when missing or misshapen)."""
    block = _states(view).get(name)
    entry = block.get(action_id(name)) if isinstance(block, Mapping) else None
    return entry if isinstance(entry, Mapping) else {}


def _picked(entry: Mapping[str, Any]) -> list[str]:
    """The values of the options chosen in a checkbox or multi-select input."""
    chosen = entry.get("selected_options") or []
    if not isinstance(chosen, list):
        return []
    return [str(o.get("value", "")) for o in chosen if isinstance(o, Mapping)]


def _one(entry: Mapping[str, Any]) -> str:
    """The value of the option chosen in a select or radio input ('' when none)."""
    chosen = entry.get("selected_option")
    return str(chosen.get("value", "")) if isinstance(chosen, Mapping) else ""


def read_form(view: Mapping[str, Any]) -> tuple[dict[str, object], bool | None]:
    """The submitted settings as the core reads them (text and lists), and whether to pause
    (None: the modal held no pause box).

    Only the fields the modal held are read: one it left out (keywords too long to edit) keeps
    its value.
    """
    values: dict[str, object] = {}
    held = _states(view)
    for name in FIELDS:
        if name not in held:
            continue
        entry = _state(view, name)
        if name == "time":
            values[name] = str(entry.get("selected_time") or "")
        elif name in ("timezone", "ranking", "empty_day", "layout", "weekly"):
            values[name] = _one(entry)
        elif name == "days":
            values[name] = ",".join(_picked(entry))
        elif name in ("categories", "exclude_categories"):
            values[name] = _picked(entry)
        else:  # keywords and the numbers (min_score, repeat_days, channel_weight): as typed
            values[name] = str(entry.get("value") or "")
    paused = "paused" in _picked(_state(view, PAUSED)) if PAUSED in held else None
    return values, paused


def field_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """`response_action: errors` wants each message under its block_id, within 150 characters."""
    return {name: clip(one_line(text), 150) for name, text in errors.items()}
