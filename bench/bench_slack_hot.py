"""Latency of a signed `/hot 5` over HTTP to its ack and to its answer, on real-shaped stores.

Runs the real Bolt app (served like the runner serves it) against a minimal fake Slack Web API,
both on 127.0.0.1, over a private copy of bench/corpus.py's store (100,000 papers / 1,000,000
posts by default), and reports median and 99th percentile against Slack's 3 s deadline.
Series, cold first: the first command after start, commands right after a store write that
changes no ranking (a lease renewal), right after a fetch (1,000 observations ingested), then
warm ones (--concurrency at a time).

    .venv/bin/python -m bench.bench_slack_hot [--papers 100000] [--commands 200] [--cold 20]
        [--concurrency 1]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import httpx
from aiohttp import web
from pydantic import SecretStr

from bench.corpus import NOW, real_store, refresh, working_copy
from bench.measure import LoopLag, series
from bot.app import build_app, rank_ahead, slack_adapter
from bot.config import Config, Env, Settings
from bot.delivery.lease import Leases
from bot.store import Store

SECRET = "bench-signing-secret"
DEADLINE = 3.0


class FakeSlack:
    """auth.test, chat.postMessage and response URLs; notes when each channel got its answer."""

    def __init__(self) -> None:
        """Nothing answered yet."""
        self.answered: dict[str, float] = {}
        self.arrived: dict[str, asyncio.Event] = {}

    def waiter(self, channel: str) -> asyncio.Event:
        """The event set when channel's answer arrives."""
        return self.arrived.setdefault(channel, asyncio.Event())

    async def api(self, request: web.Request) -> web.Response:
        """The two Web API methods /hot needs."""
        method = request.match_info["method"]
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "user_id": "UBOT", "bot_id": "B", "team_id": "T1"}
            )
        body = await request.json()
        self.answered[body["channel"]] = time.perf_counter()
        self.waiter(body["channel"]).set()
        return web.json_response(
            {"ok": True, "channel": body["channel"], "ts": f"{time.time():.6f}"}
        )


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve an aiohttp app on 127.0.0.1 at a free port."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


def signed(body: str) -> dict[str, str]:
    """Slack's signature headers for a body, now."""
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def one(
    session: aiohttp.ClientSession, url: str, fake: FakeSlack, n: int
) -> tuple[float, float]:
    """Send /hot 5 from channel C<n>; seconds to the ack and to the answer reaching Slack."""
    channel = f"C{n}"
    body = urlencode(
        {
            "command": "/hot",
            "text": "5",
            "team_id": "T1",
            "channel_id": channel,
            "user_id": "U1",
            "response_url": f"{url}/unused",
            "api_app_id": "A1",
        }
    )
    arrived = fake.waiter(channel)
    start = time.perf_counter()
    async with session.post(url, data=body, headers=signed(body)) as response:
        await response.read()
        assert response.status == 200, response.status
    acked = time.perf_counter()
    await asyncio.wait_for(arrived.wait(), 30)
    return acked - start, fake.answered[channel] - start


def no_http(request: httpx.Request) -> httpx.Response:
    """The sources' HTTP client is not used here."""
    raise AssertionError(f"unexpected request to {request.url}")


def p99(values: list[float]) -> float:
    """The 99th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, round(0.99 * len(ordered)) - 1)]


async def main(papers: int, commands: int, cold: int, concurrency: int) -> None:
    """Copy the store, start everything, measure, print."""
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        store = Store(working_copy(real_store(papers), Path(folder)))
        print(f"store {store.counts()} ready in {time.perf_counter() - began:.1f} s")
        fake = FakeSlack()
        fake_app = web.Application()
        fake_app.router.add_post("/api/{method}", fake.api)
        fake_runner, fake_url = await serve(fake_app)
        env = Env(
            slack_bot_token=SecretStr("xoxb-bench"),
            slack_signing_secret=SecretStr(SECRET),
            slack_api_url=f"{fake_url}/api/",
        )
        app = build_app(
            Settings(Config(), env), store=store, transport=httpx.MockTransport(no_http),
            clock=lambda: NOW,
        )  # fmt: skip
        adapter = slack_adapter(app)
        await asyncio.to_thread(rank_ahead, app)  # as the runner does before adapters start
        await adapter.start()
        bot_app = web.Application()
        adapter.attach(bot_app)
        bot_runner, bot_url = await serve(bot_app)
        url = f"{bot_url}/slack/events"
        leases, lag, numbers = Leases(store), LoopLag(), iter(range(10**6))
        lag.start()
        async with aiohttp.ClientSession() as session:
            first = [await one(session, url, fake, next(numbers))]
            written, fetched = [], []
            for i in range(cold):
                leases.acquire("bench")  # a write that changes no ranking
                written.append(await one(session, url, fake, next(numbers)))
                refresh(store, 1_000 + i)
                fetched.append(await one(session, url, fake, next(numbers)))
            warm: list[tuple[float, float]] = []
            gate = asyncio.Semaphore(concurrency)

            async def run(n: int) -> None:
                async with gate:
                    warm.append(await one(session, url, fake, n))

            await asyncio.gather(*(run(next(numbers)) for _ in range(commands)))
        await lag.stop()
        await adapter.close()
        await bot_runner.cleanup()
        await fake_runner.cleanup()
        await app.aclose()
    print(f"/hot 5, deadline {DEADLINE:.0f} s; warm concurrency {concurrency}")
    for name, rows in (("first after start", first), ("right after a store write", written),
                       ("right after a fetch", fetched), ("warm", warm)):  # fmt: skip
        print(series(f"{name}: ack", [r[0] for r in rows]))
        print(series(f"{name}: answer", [r[1] for r in rows]))
    print(lag.report())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--cold", type=int, default=20, help="commands after each kind of write")
    parser.add_argument("--concurrency", type=int, default=1)
    options = parser.parse_args()
    asyncio.run(main(options.papers, options.commands, options.cold, options.concurrency))
