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
        self, command: str, text: str, *, channel: str = "C1", user: str = "U1", team: str = "T1"
    ) -> tuple[str, str]:
        """A slash command's form body and its response_url key."""
        key = str(next(self._ids))
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

    async def react(self, reaction: str, channel: str, ts: str, user: str = "U2") -> int:
        """A reaction_added event on a message."""
        item = {"type": "message", "channel": channel, "ts": ts}
        event = {"type": "reaction_added", "user": user, "reaction": reaction, "item": item,
                 "item_user": "UBOT", "event_ts": f"{time.time():.6f}"}  # fmt: skip
        return await self.event(event)


def responses(fake: FakeSlack, key: str) -> list[dict[str, Any]]:
    """What the bot posted to one command's response_url."""
    return [c.args for c in fake.calls_to(f"respond/{key}")]
