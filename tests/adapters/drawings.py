"""Plain drawings of the settings forms for the docs, made from the payloads the bot sends.

Run: .venv/bin/python -m tests.adapters.drawings [docs]
Writes slack-settings.png (the modal's Block Kit), slack-home.png (App Home),
discord-panel.png (the panel's embed and components) and discord-panel-more.png (its second
page). Each is drawn here from the real payload (settings_modal, home_view, panel_embed,
panel_view and more_view over a real store), block by block, in
headless Chromium: a faithful picture of what the forms hold, not a screenshot of Slack or
Discord, whose own look differs.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.adapters.discord.panel import PanelState, more_view, panel_embed, panel_view
from bot.adapters.slack.home import Overview, home_view
from bot.adapters.slack.views import settings_modal
from bot.channels import OutboundMessage
from bot.config import Config
from bot.delivery.health import SourceStatus
from bot.delivery.ledger import Ledger
from bot.delivery.status import ChannelStatus, source_lines
from bot.service import HotPapersService
from bot.snapshot import load_snapshot
from bot.sources.health import record_success
from bot.store import Store
from bot.subscriptions import Subscription, Subscriptions
from tests.factories import NOW
from tests.site.chromium import chromium
from tests.site.support import serving

ROOT = Path(__file__).resolve().parents[2]
STYLE = """
body { font: 15px/1.4 system-ui, sans-serif; background: #e8e8e8; margin: 0; padding: 24px; }
.note { color: #666; font-size: 12px; margin-bottom: 10px; }
.frame { background: #fff; width: 520px; border-radius: 8px; box-shadow: 0 2px 8px #0003; }
.frame.dark { background: #313338; color: #dbdee1; width: 640px; padding: 14px; }
.head { font-weight: 700; font-size: 18px; padding: 14px 18px; border-bottom: 1px solid #ddd; }
.body { padding: 8px 18px; }
.block { margin: 12px 0; white-space: pre-line; }
.label { font-weight: 700; margin-bottom: 4px; }
.optional { font-weight: 400; color: #777; }
.hint, .context { color: #666; font-size: 12.5px; white-space: pre-line; }
.box { border: 1px solid #bbb; border-radius: 4px; padding: 6px 9px; min-height: 20px; }
.chip { display: inline-block; background: #eef; border: 1px solid #99c; border-radius: 3px;
        padding: 0 6px; margin: 2px 4px 2px 0; font-size: 13px; }
.muted { color: #999; }
.choice { margin: 2px 0; }
.foot { text-align: right; padding: 12px 18px; border-top: 1px solid #ddd; }
.btn { display: inline-block; border: 1px solid #bbb; border-radius: 4px; padding: 4px 12px;
       margin: 3px 6px 3px 0; font-size: 13.5px; }
.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
.header { font-weight: 800; font-size: 17px; margin-top: 16px; }
.divider { border-top: 1px solid #ddd; margin: 14px 0; }
.embed { border-left: 4px solid #b31b1b; background: #2b2d31; padding: 10px 14px;
         border-radius: 4px; white-space: pre-line; }
.embed .title { font-weight: 700; margin-bottom: 6px; }
.embed .footer { color: #949ba4; font-size: 12px; margin-top: 8px; }
.row { margin-top: 8px; }
.select { background: #1e1f22; border-radius: 4px; padding: 8px 10px; }
.d1 { background: #5865f2; color: #fff; border: 0; }
.d2 { background: #4e5058; color: #fff; border: 0; }
.d3 { background: #248046; color: #fff; border: 0; }
.d4 { background: #da373c; color: #fff; border: 0; }
"""


def _text(obj: Any) -> str:
    """A text object's text (or a plain string), HTML-escaped."""
    if isinstance(obj, Mapping):
        obj = obj.get("text", "")
    return escape(str(obj))


def _mrkdwn(text: str) -> str:
    """Slack mrkdwn shown plainly: *bold*, `code`, <#C…> and <url|label> as text."""
    html = escape(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    html = re.sub(r"&lt;#([A-Z0-9]+)&gt;", r"<b>#papers</b>", html)
    html = re.sub(r"&lt;(https?://[^|]+?)\|(.+?)&gt;", r"<u>\2</u>", html)
    html = re.sub(r"\*(.+?)\*", r"<b>\1</b>", html)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", html)


def _options(options: Iterable[Mapping[str, Any]], chosen: Iterable[Mapping[str, Any]],
             on: str, off: str) -> str:  # fmt: skip
    """Checkbox or radio options, ticked as chosen."""
    picked = {o["value"] for o in chosen}
    return "".join(
        f'<div class="choice">{on if o["value"] in picked else off} {_text(o["text"])}'
        + (f' <span class="muted">— {_text(o["description"])}</span>' if "description" in o
           else "")
        + "</div>"
        for o in options
    )  # fmt: skip


def _element(element: Mapping[str, Any]) -> str:
    """One input element as it holds its value."""
    kind = element["type"]
    if kind == "timepicker":
        time = escape(element.get("initial_time", ""))
        return f'<div class="box">{time} <span class="muted">time picker</span></div>'
    if kind in ("external_select", "static_select"):
        chosen = element.get("initial_option")
        shown = _text(chosen["text"]) if chosen else '<span class="muted">Choose…</span>'
        how = "▾ type to search" if kind == "external_select" else "▾"
        return f'<div class="box">{shown} <span class="muted">{how}</span></div>'
    if kind == "multi_external_select":
        chips = "".join(f'<span class="chip">{_text(o["text"])} ×</span>'
                        for o in element.get("initial_options", []))  # fmt: skip
        hint = _text(element.get("placeholder", "")) if not chips else "▾ type to add"
        return f'<div class="box">{chips}<span class="muted">{hint}</span></div>'
    if kind == "checkboxes":
        return _options(element["options"], element.get("initial_options", []), "☑", "☐")
    if kind == "radio_buttons":
        chosen = [element["initial_option"]] if "initial_option" in element else []
        return _options(element["options"], chosen, "◉", "○")
    value = escape(str(element.get("initial_value", "")))
    return f'<div class="box">{value or "&nbsp;"}</div>'


def _slack_block(block: Mapping[str, Any]) -> str:
    """One Block Kit block."""
    kind = block["type"]
    if kind == "section":
        accessory = block.get("accessory")
        button = f' <span class="btn">{_text(accessory["text"])}</span>' if accessory else ""
        return f'<div class="block">{_mrkdwn(block["text"]["text"])}{button}</div>'
    if kind == "context":
        texts = " ".join(_mrkdwn(e.get("text", "")) for e in block["elements"])
        return f'<div class="block context">{texts}</div>'
    if kind == "header":
        return f'<div class="header">{_text(block["text"])}</div>'
    if kind == "divider":
        return '<div class="divider"></div>'
    if kind == "actions":
        return "".join(f'<span class="btn">{_text(e["text"])}</span>' for e in block["elements"])
    optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
    hint = f'<div class="hint">{_text(block["hint"])}</div>' if "hint" in block else ""
    return (f'<div class="block"><div class="label">{_text(block["label"])}{optional}</div>'
            f"{_element(block['element'])}{hint}</div>")  # fmt: skip


def slack_html(view: Mapping[str, Any]) -> str:
    """A Slack modal or Home view, drawn block by block."""
    blocks = "".join(_slack_block(b) for b in view["blocks"])
    if view["type"] == "home":
        return f'<div class="frame"><div class="body">{blocks}</div></div>'
    submit = _text(view["submit"]) if "submit" in view else ""
    return (
        f'<div class="frame"><div class="head">{_text(view["title"])}</div>'
        f'<div class="body">{blocks}</div><div class="foot"><span class="btn">'
        f'{_text(view["close"])}</span><span class="btn primary">{submit}</span></div></div>'
    )


def _discord_markdown(text: str) -> str:
    """Discord markdown shown plainly: **bold**, <#id>, escapes."""
    html = escape(text.replace("\\", ""))
    html = re.sub(r"&lt;#\d+&gt;", "<b>#papers</b>", html)
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html)


def _component(component: Mapping[str, Any]) -> str:
    """A select menu (its chosen options) or a button (its style)."""
    if component["type"] == 3:
        chosen = [escape(o["label"]) for o in component["options"] if o.get("default")]
        shown = (
            ", ".join(chosen) or f'<span class="muted">{escape(component["placeholder"])}</span>'
        )
        return f'<div class="select">{shown} <span class="muted">▾</span></div>'
    return f'<span class="btn d{component["style"]}">{escape(component["label"])}</span>'


def discord_html(embed: Mapping[str, Any], rows: list[dict[str, Any]]) -> str:
    """The panel: its embed and its rows of components."""
    parts = "".join(
        '<div class="row">' + "".join(_component(c) for c in row["components"]) + "</div>"
        for row in rows
    )
    return (
        f'<div class="frame dark"><div class="muted">Only you can see this</div>'
        f'<div class="embed"><div class="title">{escape(embed["title"])}</div>'
        f"{_discord_markdown(embed['description'])}"
        f'<div class="footer">{escape(embed["footer"]["text"])}</div></div>{parts}</div>'
    )


def _example() -> tuple[Subscription, str, Store]:
    """A digest like a lab's, with a posted day in its ledger and its real status lines."""
    store = Store()
    subs = Subscriptions(store)
    sub = subs.save(
        Subscription("slack:C0123456789", time="08:30", timezone="Europe/Berlin", top=5,
                     categories=("cs.LG", "cs.CL"), keywords=("diffusion", "agents"),
                     weekly="fri", channel_weight=2, workspace="T1", created_by="U1"),
        NOW - timedelta(days=3),
    )  # fmt: skip
    ledger = Ledger(store, lambda: NOW - timedelta(hours=4, minutes=30))  # 08:30 in Berlin
    day = date(2026, 11, 26)
    ledger.plan(sub.channel, day, [OutboundMessage({}, "x")], arxiv_ids=(), note="",
                trigger="schedule", scheduled_for=None)  # fmt: skip
    ledger.set_part(sub.channel, day, 0, "sent", "C0123456789/1764142200.000100")
    ledger.finish(sub.channel, day, "sent")
    status = ChannelStatus(subs, Ledger(store, lambda: NOW), lambda: NOW, lambda p: "")
    return sub, status(sub.channel), store


async def _shoot(html: str, width: int) -> bytes:
    """Draw a page in headless Chromium, as tall as it is."""
    page = f"<!doctype html><meta charset=utf-8><style>{STYLE}</style>{html}"

    async def serve(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    async def nothing(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_get("/", serve)
    app.router.add_get("/favicon.ico", nothing)
    async with serving(app) as base, chromium() as browser:
        tab = await browser.new_tab()
        await tab.viewport(width, 400)
        await tab.goto(base)
        height = int(await tab.eval("document.body.scrollHeight"))
        await tab.viewport(width, height)
        picture = await tab.screenshot()
        assert not tab.problems, tab.problems
        return picture


async def draw_all() -> dict[str, bytes]:
    """Every picture, by file name."""
    sub, status, store = _example()
    modal = settings_modal(sub, exists=True, status=status, now=NOW, workspace="T1")
    note = '<div class="note">Drawn from the payload the bot sends (not a screenshot).</div>'
    snap = load_snapshot(ROOT / "examples/hot-papers-2021-06-25.json")
    newest = max(p.observed_at for p in snap.posts)
    store.ingest(snap.papers, snap.posts, snap.signals, seen_at=newest)
    health = SourceStatus(store)  # creates the table the fetch writes
    for source, hours in (("arxiv", 5), ("huggingface", 1), ("x", 1)):
        record_success(store, source, NOW - timedelta(hours=hours), (0, 0, 0), requests=1,
                       note="", cursor={})  # fmt: skip
    hot = HotPapersService(store, Config(), clock=lambda: newest).top(3).papers
    sources = tuple(source_lines(health, NOW))
    overview = Overview(hot=hot, hot_note="", digests=((sub, status),), manager=True,
                        sources=sources, now=NOW)  # fmt: skip
    discord_sub = replace(sub, channel="discord:123456789012345678")
    state = PanelState(discord_sub, True, status)
    rows = panel_view(state, ["cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML"]).to_components()
    more = more_view(state).to_components()
    return {
        "slack-settings.png": await _shoot(note + slack_html(modal), 600),
        "slack-home.png": await _shoot(note + slack_html(home_view(overview)), 600),
        "discord-panel.png": await _shoot(
            note + discord_html(panel_embed(state).to_dict(), rows), 720
        ),
        "discord-panel-more.png": await _shoot(
            note + discord_html(panel_embed(state).to_dict(), more), 720
        ),
    }


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    for name, picture in asyncio.run(draw_all()).items():
        (folder / name).write_bytes(picture)
