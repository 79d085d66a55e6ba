"""The docs' drawings of the forms draw every field the bot's payloads hold."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.adapters.discord.panel import PanelState, more_view, panel_embed, panel_view
from bot.adapters.slack.views import settings_modal
from bot.subscriptions import Subscription
from tests.adapters.drawings import discord_html, slack_html
from tests.factories import DISCORD, NOW


def test_every_input_of_the_modal_is_drawn_with_its_value() -> None:
    sub = Subscription("slack:C0123456789", categories=("cs.LG",), keywords=("llm",),
                       min_score=1.5, paused=True, paused_reason="archived", weekly="fri",
                       channel_weight=2.5, layout="per-paper")  # fmt: skip
    modal = settings_modal(sub, exists=True, status="Next digest: soon", now=NOW, workspace="T1")
    html = slack_html(modal)
    labels = [b["label"]["text"] for b in modal["blocks"] if b["type"] == "input"]
    assert len(labels) == 15 and all(label in html for label in labels)
    for shown in ("09:00", "UTC (UTC+00:00)", "cs.LG — Machine Learning", "llm", "1.5", "☑ Paused",
                  "◉ One message per paper", "Friday ", "2.5"):  # fmt: skip
        assert shown in html


def test_every_control_of_the_panel_is_drawn() -> None:
    async def draw() -> tuple[str, list[dict[str, Any]]]:
        state = PanelState(Subscription(DISCORD, ranking="seed"), True, "")
        rows = panel_view(state, ["cs.LG"]).to_components()
        return discord_html(panel_embed(state).to_dict(), rows), rows

    html, rows = asyncio.run(draw())
    labels = [c["label"] for row in rows for c in row["components"] if c["type"] == 2]
    assert len(labels) == 8 and all(label in html for label in labels)
    assert "Ranking: papers of the day" in html and "Monday, Tuesday" in html


def test_every_control_of_the_panels_second_page_is_drawn() -> None:
    async def draw() -> str:
        state = PanelState(Subscription(DISCORD, weekly="sun", layout="per-paper"), True, "")
        return discord_html(panel_embed(state).to_dict(), more_view(state).to_components())

    html = asyncio.run(draw())
    assert "Layout: one message per paper" in html and "Weekly digest: Sundays" in html
    assert "Channel weight…" in html and "Back" in html
