"""The /digest settings panel on Discord: its embed, its components and its modals.

Every component has a fixed custom_id under PREFIX, and the panel is handled by the
on_interaction event (bot.adapters.discord.controls), not by an in-memory View: a panel shown
before a restart keeps working after it. Views are stopped before they are sent, so
discord.py keeps none of them.

A message holds at most five rows and a select fills one, so the panel has two pages: the main
one (ranking, days, categories, then buttons) and "more" (layout, weekly day, and the channel
weight's modal), reached with its own button.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.adapters.discord.text import clip, escape
from bot.catalog import CATEGORY_NAMES, COMMON_CATEGORIES
from bot.limits import MAX_CHANNEL_WEIGHT, MAX_COUNT, MAX_REPEAT_DAYS
from bot.subscriptions import WEEKDAYS, Subscription
from bot.untrusted import one_line

__all__ = [
    "PREFIX",
    "PanelState",
    "confirm_view",
    "custom_id",
    "filters_modal",
    "modal_values",
    "more_view",
    "offered_categories",
    "panel_embed",
    "panel_view",
    "schedule_modal",
    "weight_modal",
]

PREFIX = "hotpapers:digest:"
MAX_OPTIONS = 25  # Discord's cap on a select menu's options
MAX_INPUT = 4000  # Discord's cap on a text input's value
COLOR = 0xB31B1B
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_RANKINGS = {
    "hot": ("Ranking: hot", "What people are talking about now"),
    "seed": ("Ranking: papers of the day", "The 2021 blog's ranking of the day's posts"),
}
_LAYOUTS = {
    "grouped": ("Layout: grouped", "Ten papers a message"),
    "per-paper": ("Layout: one message per paper", "A header, then each paper: reactions count"),
}
WEEKLY_OFF = "off"  # the weekly menu's value for no weekly digest


def custom_id(name: str) -> str:
    """The fixed custom_id of a panel component or modal."""
    return PREFIX + name


@dataclass(frozen=True)
class PanelState:
    """What the panel shows: the channel's settings, whether it has a digest, its status."""

    sub: Subscription
    exists: bool
    status: str


def _days(days: Sequence[str]) -> str:
    """'daily', 'Mon–Fri' or 'Mon, Wed, Fri'."""
    if tuple(days) == WEEKDAYS:
        return "daily"
    if tuple(days) == WEEKDAYS[:5]:
        return "Mon–Fri"
    return ", ".join(day.capitalize() for day in days)


def _layout(sub: Subscription) -> str:
    """How the digest is posted, in words."""
    return "one message per paper" if sub.layout == "per-paper" else "grouped, ten papers a message"


def _weekly(sub: Subscription) -> str:
    """The weekly digest's day, in words."""
    if not sub.weekly:
        return "off"
    return f"{_DAY_NAMES[WEEKDAYS.index(sub.weekly)]}s at {sub.time}, once a week"


def _weight(sub: Subscription) -> str:
    """What the channel's own reactions add, in words."""
    if not sub.channel_weight:
        return "not counted (weight 0)"
    return f"each adds {sub.channel_weight:g} to a paper's score here"


def _listed(names: Sequence[str], none: str) -> str:
    """Names as escaped text, or what none means."""
    return escape(", ".join(names)) if names else none


def panel_embed(state: PanelState, *, can_manage: bool = True) -> discord.Embed:
    """The channel's settings and delivery status."""
    sub = state.sub
    lines = [f"<#{sub.target}>"]
    if not state.exists:
        lines.append("No daily digest here yet. **Subscribe** starts one with these settings.")
    lines += [
        f"**When** {sub.time} {escape(sub.timezone)}, {_days(sub.days)}",
        f"**What** top {sub.top}, ranked {sub.ranking}",
        f"**Categories** {_listed(sub.categories, 'every category followed')}",
        f"**Excluding** {_listed(sub.exclude_categories, 'nothing')}",
        f"**Keywords** {_listed(sub.keywords, 'any')}",
        f"**Minimum score** {'none' if sub.min_score is None else f'{sub.min_score:g}'}",
        f"**Repeats** a paper after {sub.repeat_days} days",
        f"**Empty days** {'a short note' if sub.empty_day == 'note' else 'nothing is posted'}",
        f"**Layout** {_layout(sub)}",
        f"**Weekly digest** {_weekly(sub)}",
        f"**Channel weight** {_weight(sub)}",
    ]
    if sub.paused:
        lines.append(f"**Paused** — {escape(one_line(sub.paused_reason) or 'by request')}")
    lines += [escape(one_line(line)) for line in state.status.splitlines() if line.strip()]
    embed = discord.Embed(
        title="Daily digest", description=clip("\n".join(lines), 4096), color=COLOR
    )
    footer = (
        "Changes are announced in the channel."
        if can_manage
        else "Changing it needs the Manage Channels permission."
    )
    embed.set_footer(text=footer)
    return embed


def offered_categories(sub: Subscription, watched: Sequence[str]) -> list[str] | None:
    """The categories the menu offers: the channel's, the followed ones, then common ones.

    None when the channel's own do not all fit: the menu would drop some on the next pick.
    """
    if len(sub.categories) > MAX_OPTIONS:
        return None
    offered = list(dict.fromkeys([*sub.categories, *watched, *COMMON_CATEGORIES]))
    return offered[:MAX_OPTIONS]


def _stopped(view: discord.ui.View) -> discord.ui.View:
    """The view, stopped so discord.py keeps no copy: on_interaction handles its components."""
    view.stop()
    return view


def _choice_menu(
    key: str, choices: dict[str, tuple[str, str]], current: str
) -> discord.ui.Select[discord.ui.View]:
    """A one-of menu in the first row: each choice with its label and what it means."""
    options = [
        discord.SelectOption(label=label, value=value, description=about, default=value == current)
        for value, (label, about) in choices.items()
    ]
    return discord.ui.Select(custom_id=custom_id(key), options=options, row=0)


def _days_menu(sub: Subscription) -> discord.ui.Select[discord.ui.View]:
    """Weekdays, at least one."""
    options = [
        discord.SelectOption(label=name, value=day, default=day in sub.days)
        for day, name in zip(WEEKDAYS, _DAY_NAMES, strict=True)
    ]
    return discord.ui.Select(
        custom_id=custom_id("days"), options=options, min_values=1, max_values=7, row=1,
        placeholder="Days",
    )  # fmt: skip


def _categories_menu(
    sub: Subscription, watched: Sequence[str]
) -> discord.ui.Select[discord.ui.View]:
    """The offered categories, the channel's ticked; disabled when they do not fit."""
    offered = offered_categories(sub, watched)
    if offered is None:
        return discord.ui.Select(
            custom_id=custom_id("categories"),
            options=[discord.SelectOption(label="…", value="none")],
            disabled=True,
            placeholder="More categories than fit here: use Categories…",
            row=2,
        )
    options = [
        discord.SelectOption(
            label=name,
            value=name,
            description=clip(CATEGORY_NAMES.get(name, ""), 100) or None,
            default=name in sub.categories,
        )
        for name in offered
    ]
    return discord.ui.Select(
        custom_id=custom_id("categories"), options=options, min_values=0,
        max_values=len(options), row=2,
        placeholder="Categories (none ticked: every category followed)",
    )  # fmt: skip


def _button(
    name: str, label: str, row: int, style: discord.ButtonStyle = discord.ButtonStyle.secondary
) -> discord.ui.Button[discord.ui.View]:
    """A panel button."""
    return discord.ui.Button(custom_id=custom_id(name), label=label, style=style, row=row)


def panel_view(state: PanelState, watched: Sequence[str]) -> discord.ui.View:
    """The controls: menus for ranking, days and categories, buttons for the rest."""
    view = discord.ui.View(timeout=None)
    if not state.exists:
        view.add_item(_button("subscribe", "Subscribe", 0, discord.ButtonStyle.success))
        view.add_item(_button("schedule", "Set up…", 0, discord.ButtonStyle.primary))
        view.add_item(_button("preview", "Preview", 0))
        return _stopped(view)
    sub = state.sub
    for item in (
        _choice_menu("ranking", _RANKINGS, sub.ranking),
        _days_menu(sub),
        _categories_menu(sub, watched),
    ):
        view.add_item(item)
    view.add_item(_button("schedule", "Time, zone, numbers…", 3, discord.ButtonStyle.primary))
    view.add_item(_button("filters", "Categories…", 3, discord.ButtonStyle.primary))
    if sub.paused:
        view.add_item(_button("resume", "Resume", 3, discord.ButtonStyle.success))
    else:
        view.add_item(_button("pause", "Pause", 3))
    view.add_item(_button("preview", "Preview", 3))
    view.add_item(_button("unsubscribe", "Unsubscribe", 3, discord.ButtonStyle.danger))
    other = "skip" if sub.empty_day == "note" else "note"
    label = "Empty days: post nothing" if other == "skip" else "Empty days: post a note"
    view.add_item(_button(f"empty:{other}", label, 4))
    view.add_item(_button("more", "Layout, weekly, reactions…", 4, discord.ButtonStyle.primary))
    view.add_item(_button("refresh", "Refresh", 4))
    return _stopped(view)


def _weekly_menu(sub: Subscription) -> discord.ui.Select[discord.ui.View]:
    """Off, or the weekday of the weekly digest."""
    chosen = sub.weekly or WEEKLY_OFF
    options = [
        discord.SelectOption(
            label="Weekly digest: off", value=WEEKLY_OFF, default=chosen == WEEKLY_OFF
        ),
        *(
            discord.SelectOption(
                label=f"Weekly digest: {name}s", value=day, default=chosen == day,
                description="The channel's favourites of the week, then the week's top",
            )
            for day, name in zip(WEEKDAYS, _DAY_NAMES, strict=True)
        ),
    ]  # fmt: skip
    return discord.ui.Select(custom_id=custom_id("weekly"), options=options, row=1)


def more_view(state: PanelState) -> discord.ui.View:
    """The panel's second page: layout, weekly day, the channel weight; back to the first."""
    view = discord.ui.View(timeout=None)
    view.add_item(_choice_menu("layout", _LAYOUTS, state.sub.layout))
    view.add_item(_weekly_menu(state.sub))
    view.add_item(_button("weight", "Channel weight…", 2, discord.ButtonStyle.primary))
    view.add_item(_button("refresh", "Back", 2))
    return _stopped(view)


def confirm_view() -> discord.ui.View:
    """Unsubscribing asks once more."""
    view = discord.ui.View(timeout=None)
    view.add_item(_button("unsubscribe:yes", "Yes, unsubscribe", 0, discord.ButtonStyle.danger))
    view.add_item(_button("refresh", "Keep it", 0))
    return _stopped(view)


def _stopped_modal(modal: discord.ui.Modal) -> discord.ui.Modal:
    """The modal, stopped so discord.py keeps no copy: on_interaction handles its submission."""
    modal.stop()
    return modal


def _text(
    name: str, label: str, value: str, *, required: bool = True, long: bool = False,
    placeholder: str = "", max_length: int = 100,
) -> discord.ui.TextInput[discord.ui.Modal]:  # fmt: skip
    """A text input of a modal, filled with the current value."""
    return discord.ui.TextInput(
        custom_id=name, label=label, default=value or None, required=required,
        style=discord.TextStyle.paragraph if long else discord.TextStyle.short,
        placeholder=placeholder or None, max_length=max_length,
    )  # fmt: skip


def _score(value: float | None) -> str:
    """A minimum score as typed ('' for none)."""
    return "" if value is None else f"{value:g}"


def schedule_modal(sub: Subscription) -> discord.ui.Modal:
    """Time, timezone, number of papers, keywords and minimum score."""
    modal = discord.ui.Modal(title="Daily digest: schedule", custom_id=custom_id("modal:schedule"))
    modal.add_item(_text("time", "Time (24-hour)", sub.time, placeholder="09:00", max_length=10))
    modal.add_item(
        _text("timezone", "Timezone", sub.timezone, placeholder="Europe/Berlin, America/New_York")
    )
    modal.add_item(_text("top", f"Number of papers (1-{MAX_COUNT})", str(sub.top), max_length=5))
    keywords = " ".join(sub.keywords)
    if len(keywords) <= MAX_INPUT:  # longer ones are kept as they are, not offered here
        modal.add_item(
            _text("keywords", "Keywords (only papers with one of them)", keywords,
                  required=False, long=True, placeholder="diffusion, agents",
                  max_length=MAX_INPUT)
        )  # fmt: skip
    modal.add_item(
        _text("min_score", "Minimum score (empty: none)", _score(sub.min_score),
              required=False, max_length=30)
    )  # fmt: skip
    return _stopped_modal(modal)


def filters_modal(sub: Subscription) -> discord.ui.Modal:
    """Categories and excluded categories as text (any of arXiv's), and the repeat window."""
    modal = discord.ui.Modal(title="Daily digest: categories", custom_id=custom_id("modal:filters"))
    modal.add_item(
        _text("categories", "Categories (empty: every one followed)", " ".join(sub.categories),
              required=False, long=True, placeholder="cs.LG cs.CL stat.ML", max_length=MAX_INPUT)
    )  # fmt: skip
    modal.add_item(
        _text("exclude_categories", "Excluded categories", " ".join(sub.exclude_categories),
              required=False, long=True, placeholder="math.CO", max_length=MAX_INPUT)
    )  # fmt: skip
    modal.add_item(
        _text("repeat_days", f"Repeat a paper after (0-{MAX_REPEAT_DAYS} days)",
              str(sub.repeat_days), max_length=5)
    )  # fmt: skip
    return _stopped_modal(modal)


def weight_modal(sub: Subscription) -> discord.ui.Modal:
    """What each person reacting to a paper in this channel adds to its score here."""
    modal = discord.ui.Modal(
        title="Daily digest: channel weight", custom_id=custom_id("modal:weight")
    )
    modal.add_item(
        _text("channel_weight", f"Weight of a reaction here (0-{MAX_CHANNEL_WEIGHT:g})",
              f"{sub.channel_weight:g}", required=False, max_length=30,
              placeholder="0: reactions here do not count (hot ranking only)")
    )  # fmt: skip
    return _stopped_modal(modal)


def _inputs(components: Any) -> list[Mapping[str, Any]]:
    """Text inputs from a modal submission: in action rows (type 1) or labels (type 18)."""
    found: list[Mapping[str, Any]] = []
    for row in components if isinstance(components, list) else []:
        if not isinstance(row, Mapping):
            continue
        inner = row.get("components") or ([row["component"]] if "component" in row else [])
        found += [c for c in inner if isinstance(c, Mapping)]
    return found


def modal_values(data: Mapping[str, Any], fields: Sequence[str]) -> dict[str, object]:
    """The submitted values of the known fields, as text ('' when left empty)."""
    values: dict[str, object] = {}
    for item in _inputs(data.get("components")):
        name = str(item.get("custom_id", ""))
        if name in fields:
            values[name] = str(item.get("value") or "")
    return values
