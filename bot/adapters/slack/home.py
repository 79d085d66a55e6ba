"""App Home: the hot list now, the person's channels with digests, and the sources' health.

Published with views.publish whenever someone opens the Home tab (app_home_opened). People
who may change digests see every digest of the workspace, each with a Settings button; others
see the digests they set up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.adapters.slack.access import DigestAccess
from bot.adapters.slack.mrkdwn import clip, escape_clip, fit, link
from bot.adapters.slack.slash import Handler
from bot.adapters.slack.views import OPEN_SETTINGS
from bot.delivery.health import SourceStatus
from bot.delivery.status import source_lines
from bot.errors import HotpapersError
from bot.forms import DigestForm
from bot.models import RankedPaper
from bot.subscriptions import WEEKDAYS, Subscription
from bot.timeutil import Clock
from bot.untrusted import one_line

__all__ = ["HomeTab", "Overview", "home_view"]

log = logging.getLogger("hotpapers.slack")
HOT_COUNT = 5
MAX_DIGESTS = 30  # two blocks each: the view stays under Slack's 100 blocks
MAX_SECTION = 3000


@dataclass(frozen=True)
class Overview:
    """What the Home tab shows one person, gathered from the store in a worker thread."""

    hot: tuple[RankedPaper, ...]
    hot_note: str  # why the hot list is empty
    digests: tuple[tuple[Subscription, str], ...]  # each with its delivery status lines
    manager: bool
    sources: tuple[str, ...]
    now: datetime


def _mrkdwn(text: str, limit: int = MAX_SECTION) -> dict[str, Any]:
    """A mrkdwn text object that Slack does not auto-link."""
    return {"type": "mrkdwn", "text": clip(text, limit), "verbatim": True}


def _header(text: str) -> dict[str, Any]:
    """A header block."""
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, 150)}}


def _context(lines: Sequence[str]) -> dict[str, Any]:
    """Small grey text: already-escaped lines."""
    return {"type": "context", "elements": [_mrkdwn("\n".join(lines) or " ", 2000)]}


def _days(days: Sequence[str]) -> str:
    """'daily', 'mon-fri' or 'mon,wed,fri'."""
    if tuple(days) == WEEKDAYS:
        return "daily"
    if tuple(days) == WEEKDAYS[:5]:
        return "Mon–Fri"
    return ", ".join(day.capitalize() for day in days)


def settings_line(sub: Subscription) -> str:
    """A digest's settings in a line of mrkdwn (every user-given text escaped)."""
    parts = [f"{sub.time} {sub.timezone}", _days(sub.days), f"top {sub.top}", sub.ranking]
    if sub.categories:
        parts.append(" ".join(sub.categories))
    if sub.exclude_categories:
        parts.append("not " + " ".join(sub.exclude_categories))
    if sub.keywords:
        parts.append("keywords: " + " ".join(sub.keywords))
    if sub.min_score is not None:
        parts.append(f"min score {sub.min_score:g}")
    parts.append("one message per paper" if sub.layout == "per-paper" else "grouped")
    parts.append(f"weekly on {sub.weekly.capitalize()}" if sub.weekly else "no weekly digest")
    if sub.channel_weight:
        parts.append(f"channel weight {sub.channel_weight:g}")
    return escape_clip(" · ".join(parts), 1500)


def _hot_blocks(overview: Overview) -> list[dict[str, Any]]:
    """The hot list: numbered linked titles with their score."""
    blocks: list[dict[str, Any]] = [_header("Hot right now")]
    if not overview.hot:
        return [*blocks, _context([escape_clip(overview.hot_note, 500)])]
    for item in overview.hot:
        title = one_line(item.paper.title) or f"arXiv:{item.paper.arxiv_id}"
        line = f"*{item.rank}.* *{link(item.paper.abs_url, title, 400)}*"
        score = escape_clip(item.explanation, 600) if item.breakdown else ""
        blocks.append({"type": "section", "text": _mrkdwn(fit([line, score], MAX_SECTION))})
    return blocks


def _digest_blocks(overview: Overview) -> list[dict[str, Any]]:
    """Each channel's digest: settings, delivery status, and a Settings button for managers."""
    title = "Digests in this workspace" if overview.manager else "Your digests"
    blocks: list[dict[str, Any]] = [_header(title)]
    if not overview.digests:
        hint = (
            "No channel has a digest yet: run /digest in a channel to set one up."
            if overview.manager
            else "You have set up no digest. Workspace admins set them up with /digest."
        )
        return [*blocks, _context([hint])]
    for sub, status in overview.digests[:MAX_DIGESTS]:
        head = f"*<#{sub.target}>*"
        if sub.paused:
            head += " — *paused*: " + escape_clip(one_line(sub.paused_reason) or "by request", 500)
        section: dict[str, Any] = {
            "type": "section",
            "text": _mrkdwn(f"{head}\n{settings_line(sub)}"),
        }
        if overview.manager:
            section["accessory"] = {
                "type": "button",
                "action_id": OPEN_SETTINGS,
                "text": {"type": "plain_text", "text": "Settings"},
                "value": sub.target,
            }
        lines = [escape_clip(one_line(line), 500) for line in status.splitlines() if line.strip()]
        blocks += [section, _context(lines)]
    more = len(overview.digests) - MAX_DIGESTS
    if more > 0:
        blocks.append(_context([f"… and {more} more."]))
    return blocks


def home_view(overview: Overview) -> dict[str, Any]:
    """The Home tab for one person (pure)."""
    sources = [escape_clip(one_line(line), 300) for line in overview.sources]
    blocks = [
        *_hot_blocks(overview),
        {"type": "divider"},
        *_digest_blocks(overview),
        {"type": "divider"},
        _header("Sources"),
        _context(sources or ["No source has been fetched yet."]),
        _context([f"As of {overview.now:%a %d %b %Y %H:%M} UTC · updated when you open Home"]),
    ]
    return {"type": "home", "blocks": blocks}


class HomeTab:
    """Publishes App Home when someone opens it."""

    def __init__(
        self, form: DigestForm, sources: SourceStatus, access: DigestAccess, clock: Clock
    ) -> None:
        """Read the hot list, digests and their status through form, and the sources' health;
        access decides who sees every digest of the workspace."""
        self.form = form
        self.sources = sources
        self.access = access
        self.clock = clock

    def register(self, bolt: AsyncApp, wrap: Callable[[Handler], Handler]) -> None:
        """Listen to app_home_opened."""
        bolt.event("app_home_opened")(wrap(self.on_opened))

    async def on_opened(self, args: AsyncArgs) -> None:
        """Publish the Home tab for whoever opened it (not the Messages tab)."""
        event = args.event or {}
        if event.get("tab", "home") != "home":
            return
        user = str(event.get("user") or "")
        team = str(args.context.team_id or "")
        manager = await self.access.can_manage(args.client, user)
        overview = await asyncio.to_thread(self.gather, user, team, manager)
        await args.client.views_publish(user_id=user, view=home_view(overview))

    def gather(self, user: str, team: str, manager: bool) -> Overview:
        """Everything the tab shows, from the store (blocking: run in a worker thread)."""
        now = self.clock()
        try:
            hot, note = self.form.commands.hot(HOT_COUNT).papers, ""
        except HotpapersError as error:
            hot, note = (), str(error)
        mine = [
            sub
            for sub in self.form.subscriptions.all()
            if sub.platform == "slack"
            and sub.workspace in (team, "")
            and (manager or (user and sub.created_by == user))
        ]
        digests = tuple((sub, self.form.status(sub.channel)) for sub in mine[:MAX_DIGESTS])
        digests += tuple((sub, "") for sub in mine[MAX_DIGESTS:])
        return Overview(
            hot=hot,
            hot_note=note,
            digests=digests,
            manager=manager,
            sources=tuple(source_lines(self.sources, now)),
            now=now,
        )
