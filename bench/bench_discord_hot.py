"""Latency from an injected `/hot 5` interaction to the bot's response, on real-shaped stores.

Runs the real discord.py client (the adapter as the runner starts it) against the fake Discord
of the test suite, both on 127.0.0.1, over a private copy of bench/corpus.py's store (100,000
papers / 1,000,000 posts by default; --papers 300000). The fake injects INTERACTION_CREATE over
the gateway and timestamps the interaction callback (the response Discord's 3 s deadline is
about) and the moment the papers are shown (the same message, or the follow-up after a
deferral).

Series, cold first (the headline: what users meet in `hotpapers run`):
- first /hot after the adapter started (a process start);
- right after a store write that changes no ranking (the runner's lease renewal, every 20 s);
- right after a fetch (1,000 observations and 100 upvote updates ingested);
- warm (nothing written since the last /hot).

    .venv/bin/python -m bench.bench_discord_hot [--papers 100000] [--commands 200] [--cold 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.corpus import NOW, real_store, refresh, working_copy
from bench.measure import LoopLag
from bot.adapters.discord import DiscordAdapter
from bot.app import build_app, discord_adapter, rank_ahead
from bot.delivery.lease import Leases
from bot.store import Store
from tests.adapters.discord.fake_discord import FakeDiscord, Sent
from tests.adapters.discord.support import settings

DEADLINE = 3.0
HOT_5 = [{"name": "count", "type": 4, "value": 5}]


def shown_at(fake: FakeDiscord, sent: Sent) -> float | None:
    """When the papers appeared: the callback itself, or the edit of a deferred response."""
    if sent.callback is None or sent.original is None:
        return None
    if sent.callback.body["type"] == 4:
        return sent.callback.at
    edits = [r for r in fake.calls("PATCH", r"/@original$") if sent.token in r.path]
    return edits[0].at if edits else None


async def one(fake: FakeDiscord, before: Callable[[], object] | None) -> tuple[float, float, int]:
    """Inject /hot 5 and wait for the papers; (to response, to papers, callback type) in s."""
    if before is not None:
        before()
    sent = await fake.slash("hot", HOT_5)
    done = await fake.wait_for(lambda: shown_at(fake, sent), within=30)
    assert sent.callback is not None and sent.callback.status == 200, "answered too late"
    assert sent.original is not None and len(sent.original["embeds"]) == 5
    return sent.callback.at - sent.sent_at, done - sent.sent_at, sent.callback.body["type"]


def report(name: str, rows: list[tuple[float, float, int]]) -> None:
    """Median and 99th percentile against the deadline."""
    response = sorted(r[0] for r in rows)
    papers = sorted(r[1] for r in rows)
    p99 = max(0, round(len(rows) * 0.99) - 1)
    deferred = sum(1 for r in rows if r[2] == 5)
    print(
        f"{name} ({len(rows)} command(s)): response median {statistics.median(response) * 1000:.1f}"
        f" ms, p99 {response[p99] * 1000:.1f} ms, max {response[-1] * 1000:.1f} ms"
        f" (deadline {DEADLINE * 1000:.0f} ms); papers shown median"
        f" {statistics.median(papers) * 1000:.1f} ms, p99 {papers[p99] * 1000:.1f} ms;"
        f" deferred {deferred}"
    )


async def run(args: argparse.Namespace, folder: Path) -> None:
    """Copy the store, start the fake and the adapter, time the commands."""
    t0 = time.perf_counter()
    store = Store(working_copy(real_store(args.papers), folder))
    print(f"store of {store.counts()} ready in {time.perf_counter() - t0:.1f} s")
    fake = FakeDiscord(heartbeat_ms=41_250)
    await fake.start()
    unused = httpx.MockTransport(lambda request: httpx.Response(599))  # no source is fetched
    app = build_app(settings(fake), clock=lambda: NOW, store=store, transport=unused)
    adapter: DiscordAdapter = discord_adapter(app)
    leases = Leases(store)
    lag = LoopLag()
    fetches = iter(range(1_000, 10**6))
    try:
        await asyncio.to_thread(rank_ahead, app)  # as the runner does before adapters start
        await adapter.start()
        lag.start()
        report("first /hot 5 after start", [await one(fake, None)])
        if args.cold:
            write = [await one(fake, lambda: leases.acquire("bench")) for _ in range(args.cold)]
            report("right after a store write (lease renewal)", write)
            fetched = [await one(fake, lambda: refresh(store, next(fetches)))
                       for _ in range(args.cold)]  # fmt: skip
            report("right after a fetch (1,000 observations)", fetched)
        report("warm", [await one(fake, None) for _ in range(args.commands)])
        await lag.stop()
        print(lag.report())
    finally:
        await adapter.close()
        await app.http.aclose()
        await fake.stop()
        store.close()


def main() -> None:
    """Parse arguments and run in a temporary folder."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--cold", type=int, default=20, help="commands after each kind of write")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    main()
