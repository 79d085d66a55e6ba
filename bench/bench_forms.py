"""Latency of the settings forms and App Home, and the cost of a pause-notice sweep.

Runs the real Bolt app (served like the runner serves it) against a minimal fake Slack Web API,
both on 127.0.0.1, over a copy of bench/corpus.py's real-shaped store with --channels digests
in one workspace (one in ten paused by a delivery error). Series, each against Slack's 3 s:

- type-ahead: signed block_suggestion requests for timezones and categories, to their answer;
- save: signed view_submission of a valid modal (users.info, checks, a SQLite write), to the ack;
- App Home: app_home_opened for an admin (the hot list, 30 digests with their status, sources),
  to views.publish reaching Slack;
- notices: PauseNotices.due() over every subscription: the first sweep (opening a notice per
  paused digest) and a steady one (nothing new).

    .venv/bin/python -m bench.bench_forms [--papers 100000] [--channels 1000] [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import httpx
from aiohttp import web
from pydantic import SecretStr

from bench.bench_slack_hot import SECRET, no_http, serve, signed
from bench.corpus import NOW, real_store, working_copy
from bench.measure import LoopLag, series
from bot.adapters.slack.views import settings_modal
from bot.app import build_app, pause_notices, slack_adapter
from bot.config import Config, Env, Settings
from bot.store import Store
from bot.subscriptions import Subscription, Subscriptions

ADMIN = "UADMIN"


class FakeSlack:
    """auth.test, users.info (an admin), views.publish and chat.postMessage."""

    def __init__(self) -> None:
        """Nothing published yet."""
        self.published = asyncio.Event()

    async def api(self, request: web.Request) -> web.Response:
        """Answer the few methods the forms call."""
        method = request.match_info["method"]
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "user_id": "UBOT", "bot_id": "B", "team_id": "T1"}
            )
        if method == "users.info":
            return web.json_response({"ok": True, "user": {"id": ADMIN, "is_admin": True}})
        if method == "views.publish":
            await request.read()
            self.published.set()
            return web.json_response({"ok": True, "view": {"id": "V1"}})
        await request.read()
        return web.json_response({"ok": True, "channel": "C1", "ts": f"{time.time():.6f}"})


def interaction(payload: dict[str, Any]) -> str:
    """An interaction's form body."""
    return urlencode({"payload": json.dumps(payload)})


def filled(view: dict[str, Any], top: int) -> dict[str, Any]:
    """The modal as Slack submits it, untouched but for the number of papers."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, name = block["element"], block["block_id"]
        state: dict[str, Any] = {"type": element["type"]}
        for key, into in (
            ("initial_time", "selected_time"),
            ("initial_option", "selected_option"),
            ("initial_options", "selected_options"),
            ("initial_value", "value"),
        ):
            if key in element:
                state[into] = element[key]
        if name == "top":
            state["value"] = str(top)
        values[name] = {element["action_id"]: state}
    return {**view, "state": {"values": values}}


async def timed_post(session: aiohttp.ClientSession, url: str, body: str) -> float:
    """Seconds to the HTTP answer of a signed POST."""
    start = time.perf_counter()
    async with session.post(url, data=body, headers=signed(body)) as response:
        await response.read()
        assert response.status == 200, response.status
    return time.perf_counter() - start


def subscribe_many(store: Store, channels: int) -> None:
    """channels digests in workspace T1, one in ten paused by a delivery error."""
    subs = Subscriptions(store)
    for n in range(channels):
        channel = f"slack:C{n:09d}"
        subs.save(Subscription(channel, workspace="T1", created_by=f"U{n}"), NOW)
        if n % 10 == 0:
            subs.pause(channel, f"{channel}: the channel is archived (is_archived)", NOW)


def timed_calls(call: Callable[[], object], times: int) -> list[float]:
    """Seconds each of `times` calls took."""
    taken = []
    for _ in range(times):
        start = time.perf_counter()
        call()
        taken.append(time.perf_counter() - start)
    return taken


async def main(papers: int, channels: int, requests: int) -> None:
    """Copy the store, start everything, measure, print."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store(working_copy(real_store(papers), Path(folder)))
        subscribe_many(store, channels)
        fake = FakeSlack()
        fake_app = web.Application()
        fake_app.router.add_route("*", "/api/{method}", fake.api)  # users.info is a GET
        fake_runner, fake_url = await serve(fake_app)
        env = Env(slack_bot_token=SecretStr("xoxb-bench"), slack_signing_secret=SecretStr(SECRET),
                  slack_api_url=f"{fake_url}/api/")  # fmt: skip
        app = build_app(Settings(Config(), env), store=store, clock=lambda: NOW,
                        transport=httpx.MockTransport(no_http))  # fmt: skip
        notices = pause_notices(app, "slack")  # measured before the adapter's own sweeps run
        first = timed_calls(notices.due, 1)
        steady = timed_calls(notices.due, 20)
        adapter = slack_adapter(app)
        await adapter.start()
        bot_app = web.Application()
        adapter.attach(bot_app)
        bot_runner, bot_url = await serve(bot_app)
        url = f"{bot_url}/slack/events"
        who = {"user": {"id": ADMIN}, "team": {"id": "T1"}, "api_app_id": "A1", "token": "x"}
        sub = app.subscriptions.get("slack:C000000001")
        assert sub is not None
        view = settings_modal(sub, exists=True, status="", now=NOW, workspace="T1")
        view["private_metadata"] = json.dumps({"channel": "C000000001", "team": "T1"})
        lag = LoopLag()
        lag.start()
        typed = ["ber", "new york", "a", "asia/", "lg", "vision", "cs.", "machine learning"]
        results: dict[str, list[float]] = {}
        async with aiohttp.ClientSession() as session:
            for i in range(requests):
                word = typed[i % len(typed)]
                action = "digest_timezone" if i % len(typed) < 4 else "digest_categories"
                body = interaction(
                    {"type": "block_suggestion", **who, "action_id": action,
                     "block_id": action.removeprefix("digest_"), "value": word, "view": view}
                )  # fmt: skip
                results.setdefault("type-ahead", []).append(await timed_post(session, url, body))
            for i in range(requests // 3):
                body = interaction({"type": "view_submission", **who, "trigger_id": f"t{i}",
                                    "view": filled(view, 1 + i % 25)})  # fmt: skip
                results.setdefault("save", []).append(await timed_post(session, url, body))
            for i in range(requests // 6):
                fake.published.clear()
                event = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1",
                         "event_id": f"Ev{i}", "event": {"type": "app_home_opened",
                         "user": ADMIN, "tab": "home", "channel": "D1"},
                         "authorizations": [{"team_id": "T1", "user_id": "UBOT"}]}  # fmt: skip
                start = time.perf_counter()
                body = json.dumps(event)
                headers = {**signed(body), "Content-Type": "application/json"}
                async with session.post(url, data=body, headers=headers) as response:
                    assert response.status == 200
                await asyncio.wait_for(fake.published.wait(), 30)
                results.setdefault("App Home", []).append(time.perf_counter() - start)
        await lag.stop()
        await adapter.close()
        await bot_runner.cleanup()
        await fake_runner.cleanup()
        await app.aclose()
    print(f"{papers:,} papers, {channels:,} digests ({channels // 10:,} paused); deadline 3 s")
    home = results.pop("App Home")
    for name, values in results.items():
        print(series(name, values))
    print(series("App Home: first (a cold ranking)", home[:1]))
    print(series("App Home: then", home[1:]))
    print(series("notices: first sweep", first))
    print(series("notices: steady sweep", steady))
    print(lag.report())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--channels", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=300)
    options = parser.parse_args()
    asyncio.run(main(options.papers, options.channels, options.requests))
