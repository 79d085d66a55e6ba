"""Helpers for the Slack tests: seeded papers, settings, and a signed-request sender."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
from pydantic import SecretStr

from bot.adapters.slack import SlackAdapter
from bot.app import App
from bot.config import Config, Env, Settings, SlackConfig
from bot.store import Store
from tests import factories
from tests.adapters.slack.fake_slack import FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = factories.NOW
ADMIN = "UALLOWED"  # in [slack] admin_user_ids
_ABS = re.compile(r"\*(\d+)\.\* \*<https://arxiv\.org/abs/([^|>]+)\|")


def seed(store: Store, count: int = 12, **overrides: Any) -> list[str]:
    """Store count papers talked about on HN; return their ids from hottest to coolest."""
    papers, posts = [], []
    for i in range(count):
        arxiv_id = f"2611.{i + 1:05d}"
        category = "cs.LG" if i % 2 == 0 else "cs.CL"
        papers.append(
            factories.paper(
                arxiv_id,
                title=f"Paper number {i + 1}",
                abstract=f"The abstract of paper {i + 1}.",
                categories=(category, "stat.ML"),
                **overrides,
            )
        )
        posts.append(
            factories.post(
                f"hn{i}",
                (arxiv_id,),
                source="hackernews",
                url=f"https://news.ycombinator.com/item?id={i}",
                likes=1000 - 50 * i,
                reposts=0,
            )
        )
    store.ingest(papers, posts, seen_at=NOW)
    return [p.arxiv_id for p in papers]


def settings(fake: FakeSlack, **env: Any) -> Settings:
    """A single-workspace HTTP-mode configuration pointing at the fake."""
    values: dict[str, Any] = {
        "slack_bot_token": SecretStr("xoxb-test"),
        "slack_signing_secret": SecretStr(SECRET),
        "slack_api_url": fake.api_url,
    }
    values.update(env)
    config = Config(slack=SlackConfig(admin_user_ids=(ADMIN,)))
    return Settings(config=config, env=Env(**values))


def papers_in(blocks: list[dict[str, Any]]) -> list[str]:
    """The arXiv ids of a digest message's numbered sections, in display order."""
    found = []
    for block in blocks:
        if block["type"] == "section":
            match = _ABS.match(block["text"]["text"])
            if match:
                found.append(match[2])
    return found


def sign(body: str, timestamp: int, secret: str = SECRET) -> str:
    """Slack's v0 request signature."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSim:
    """Plays Slack's side of HTTP mode: signed slash commands and events to the bot's server."""

    def __init__(
        self,
        url: str,
        session: aiohttp.ClientSession,
        fake: FakeSlack,
        adapter: SlackAdapter,
        app: App,
    ) -> None:
        """Send to url (the bot's /slack/events) with session; response URLs point at fake."""
        self.url = url
        self.session = session
        self.fake = fake
        self.adapter = adapter
        self.app = app  # what the adapter was built over
        self._ids = itertools.count(1)

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> tuple[int, str]:
        """POST a body, correctly signed unless told otherwise; return status and text."""
        stamp = int(time.time()) if timestamp is None else timestamp
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature or sign(body, stamp),
        }
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            return response.status, await response.text()

    async def send(self, body: Any, headers: Any) -> tuple[int, str]:
        """POST body (bytes, or an async iterator) with exactly these headers, nothing added."""
        async with self.session.post(
            self.url, data=body, headers=headers, skip_auto_headers=["Content-Type"]
        ) as response:
            return response.status, await response.text()

    def command_body(
        self,
        command: str,
        text: str,
        *,
        channel: str = "C00000001",
        user: str = "U1",
        team: str = "T1",
    ) -> tuple[str, str]:
        """A slash command's form body and its response_url key."""
        key = str(next(self._ids))
        self.fake.triggers.add(f"trigger{key}")  # a command's trigger may open one modal
        form = {
            "token": "unused",
            "team_id": team,
            "team_domain": "one",
            "channel_id": channel,
            "channel_name": "papers",
            "user_id": user,
            "user_name": "someone",
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "response_url": self.fake.response_url(key),
            "trigger_id": f"trigger{key}",
        }
        return urlencode(form), key

    async def command(self, command: str, text: str = "", **where: str) -> tuple[int, str, str]:
        """Send a slash command; return status, the ack body and the response_url key."""
        body, key = self.command_body(command, text, **where)
        status, answer = await self.post(body, "application/x-www-form-urlencoded")
        return status, answer, key

    async def event(self, event: dict[str, Any], team: str = "T1") -> int:
        """Send an Events API callback; return the HTTP status."""
        n = next(self._ids)
        body = {
            "token": "unused",
            "team_id": team,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"Ev{n}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
        }
        status, _ = await self.post(json.dumps(body), "application/json")
        return status

    async def react(
        self, reaction: str, channel: str, ts: str, user: str = "U2", *, kind: str = "added"
    ) -> int:
        """A reaction_added (or, with kind="removed", reaction_removed) event on a message."""
        item = {"type": "message", "channel": channel, "ts": ts}
        event = {"type": f"reaction_{kind}", "user": user, "reaction": reaction, "item": item,
                 "item_user": "UBOT", "event_ts": f"{time.time():.6f}"}  # fmt: skip
        return await self.event(event)

    async def unreact(self, reaction: str, channel: str, ts: str, user: str = "U2") -> int:
        """A reaction_removed event on a message."""
        return await self.react(reaction, channel, ts, user, kind="removed")


def responses(fake: FakeSlack, key: str) -> list[dict[str, Any]]:
    """What the bot posted to one command's response_url."""
    return [c.args for c in fake.calls_to(f"respond/{key}")]


# -- interactivity: buttons, modals, type-ahead and App Home -------------------------------


def _trigger(sim: SlackSim) -> str:
    """A fresh trigger id that the fake will accept once, as Slack's are."""
    trigger = f"trigger-{next(sim._ids)}"
    sim.fake.triggers.add(trigger)
    return trigger


async def interact(sim: SlackSim, payload: dict[str, Any]) -> tuple[int, str]:
    """POST an interaction payload (payload=<json>) signed like Slack's."""
    body = urlencode({"payload": json.dumps(payload)})
    return await sim.post(body, "application/x-www-form-urlencoded")


def _who(user: str, team: str) -> dict[str, Any]:
    """The user and team fields of an interaction payload."""
    return {
        "user": {"id": user, "username": "someone", "team_id": team},
        "team": {"id": team, "domain": "one"},
        "api_app_id": "A1",
        "token": "unused",
    }


async def click_settings(
    sim: SlackSim, *, user: str = ADMIN, channel: str = "C00000001", value: str | None = None,
    team: str = "T1",
) -> tuple[int, str]:  # fmt: skip
    """Click the Settings button on a digest in channel (or, with a value, in App Home)."""
    button: dict[str, Any] = {"type": "button", "action_id": "hotpapers_open_settings",
                              "block_id": "hotpapers_settings", "action_ts": "1.2",
                              "text": {"type": "plain_text", "text": "Settings"}}  # fmt: skip
    if value is not None:
        button["value"] = value
    payload: dict[str, Any] = {
        "type": "block_actions", **_who(user, team), "trigger_id": _trigger(sim),
        "actions": [button],
    }  # fmt: skip
    if value is None:
        payload["container"] = {"type": "message", "channel_id": channel, "message_ts": "1.1"}
        payload["channel"] = {"id": channel, "name": "papers"}
        payload["response_url"] = sim.fake.response_url("button")
    else:
        payload["container"] = {"type": "view", "view_id": "VHOME"}
    return await interact(sim, payload)


def _state_of(element: dict[str, Any]) -> dict[str, Any]:
    """What Slack sends for an input nobody touched: its initial value."""
    kind = element["type"]
    state: dict[str, Any] = {"type": kind}
    if kind == "timepicker":
        state["selected_time"] = element.get("initial_time")
    elif kind in ("external_select", "radio_buttons", "static_select"):
        state["selected_option"] = element.get("initial_option")
    elif kind in ("checkboxes", "multi_external_select", "multi_static_select"):
        state["selected_options"] = element.get("initial_options", [])
    else:  # number_input, plain_text_input
        state["value"] = element.get("initial_value")
    return state


def _changed(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The state of an input set to value (text, a list of values, or None for empty)."""
    kind = element["type"]
    state = _state_of(element)

    def option(v: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": v}, "value": v}

    if kind == "timepicker":
        state["selected_time"] = value
    elif kind in ("external_select", "radio_buttons", "static_select"):
        state["selected_option"] = option(value) if value is not None else None
    elif kind in ("checkboxes", "multi_external_select", "multi_static_select"):
        state["selected_options"] = [option(v) for v in value or []]
    else:
        state["value"] = value
    return state


def filled(view: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The view as Slack submits it: every input as shown, with these fields changed."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        name = block["block_id"]
        state = _changed(element, changes[name]) if name in changes else _state_of(element)
        values[name] = {element["action_id"]: state}
    return {**view, "state": {"values": values}}


async def submit(
    sim: SlackSim, view: dict[str, Any], *, user: str = ADMIN, team: str = "T1", **changes: Any
) -> tuple[int, dict[str, Any]]:
    """Submit a modal with some fields changed; Slack's answer to it (the ack's JSON, or {})."""
    payload = {
        "type": "view_submission", **_who(user, team), "trigger_id": _trigger(sim),
        "view": filled(view, **changes), "response_urls": [],
    }  # fmt: skip
    status, body = await interact(sim, payload)
    return status, json.loads(body) if body else {}


async def suggest(
    sim: SlackSim, view: dict[str, Any], block: str, typed: str, *, user: str = ADMIN
) -> list[dict[str, Any]]:
    """Type into a type-ahead menu of an open modal: the options the bot answers with."""
    element = next(b["element"] for b in view["blocks"] if b.get("block_id") == block)
    payload = {
        "type": "block_suggestion", **_who(user, "T1"), "action_id": element["action_id"],
        "block_id": block, "value": typed, "container": {"type": "view", "view_id": view["id"]},
        "view": view,
    }  # fmt: skip
    status, body = await interact(sim, payload)
    assert status == 200, body
    options: list[dict[str, Any]] = json.loads(body)["options"]
    return options


async def open_home(sim: SlackSim, user: str = ADMIN, team: str = "T1") -> int:
    """The person opens the app's Home tab."""
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home",
             "event_ts": f"{time.time():.6f}"}  # fmt: skip
    return await sim.event(event, team=team)


def the_modal(fake: FakeSlack) -> dict[str, Any]:
    """The one modal open in the fake Slack."""
    [view] = fake.views.values()
    return view
