"""A local chat platform that enforces rate limits and records every post (tests, bench).

Run alone with `python -m tests.delivery.fakeplatform --flavor discord` (prints its URL).
API: POST /channels/{id}/messages {"text", "key"} -> {"id"}; GET /channels/{id}/messages?key=K
-> [{"id", "key"}]; GET /_stats. 429 carries Retry-After and {"retry_after", "global"}.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Limit:
    """At most count requests in any window of seconds."""

    count: int
    seconds: float


@dataclass
class Rules:
    """How the fake behaves."""

    global_limit: Limit | None = None
    channel_limit: Limit | None = None
    latency: tuple[float, float] = (0.0, 0.0)  # seconds after a post is recorded
    permanent: dict[str, int] = field(default_factory=dict)  # channel -> 403 / 404
    storm: tuple[float, float] | None = None  # 429 for everyone from..to (s after 1st request)
    storm_retry_after: float = 0.5


FLAVORS = {
    "discord": Rules(Limit(50, 1.0), Limit(5, 5.0)),
    "slack": Rules(None, Limit(1, 1.0)),
}


@dataclass
class Posted:
    """A message the platform accepted."""

    channel: str
    key: str
    text: str
    id: str
    at: float


class _Window:
    """Arrival times of accepted requests in a sliding window."""

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.times: deque[float] = deque()

    def retry_after(self, now: float) -> float:
        """0 when a request fits now, else seconds until it would."""
        while self.times and self.times[0] <= now - self.limit.seconds:
            self.times.popleft()
        if len(self.times) < self.limit.count:
            return 0.0
        return self.times[0] + self.limit.seconds - now

    def add(self, now: float) -> None:
        self.times.append(now)


class FakePlatform:
    """The server: limits checked on arrival, posts recorded before the reply is sent."""

    def __init__(self, rules: Rules | None = None, seed: int = 0) -> None:
        self.rules = rules or Rules()
        self.random = random.Random(seed)
        self.posted: list[Posted] = []
        self.lookups = 0
        self.statuses: Counter[int] = Counter()
        self.global_window = _Window(self.rules.global_limit) if self.rules.global_limit else None
        self.channel_windows: dict[str, _Window] = {}
        self.first: float | None = None
        self.runner: web.AppRunner | None = None
        self.url = ""

    # -- limits ----------------------------------------------------------------------------

    def _limited(self, channel: str | None, now: float) -> tuple[float, bool] | None:
        """(retry_after, global) when the request must be refused, else None (and counted)."""
        self.first = now if self.first is None else self.first
        storm = self.rules.storm
        if storm and storm[0] <= now - self.first < storm[1]:
            return self.rules.storm_retry_after, True
        if self.global_window and (wait := self.global_window.retry_after(now)) > 0:
            return wait, True
        window = None
        if channel is not None and self.rules.channel_limit:
            window = self.channel_windows.setdefault(channel, _Window(self.rules.channel_limit))
            if (wait := window.retry_after(now)) > 0:
                return wait, False
        if self.global_window:
            self.global_window.add(now)
        if window:
            window.add(now)
        return None

    def _reply(self, status: int, body: Any, **headers: str) -> web.Response:
        self.statuses[status] += 1
        return web.json_response(body, status=status, headers=headers)

    def _refuse(self, limited: tuple[float, bool]) -> web.Response:
        wait, is_global = limited
        return self._reply(
            429, {"retry_after": wait, "global": is_global}, **{"Retry-After": f"{wait:.3f}"}
        )

    # -- routes ----------------------------------------------------------------------------

    async def post_message(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"]
        body = await request.json()
        if channel in self.rules.permanent:
            return self._reply(self.rules.permanent[channel], {"message": "Missing Access"})
        if (limited := self._limited(channel, time.monotonic())) is not None:
            return self._refuse(limited)
        posted = Posted(
            channel, body["key"], body.get("text", ""), f"m{len(self.posted) + 1}", time.monotonic()
        )
        self.posted.append(posted)  # recorded before replying: a client killed now sees it later
        low, high = self.rules.latency
        if high:
            await asyncio.sleep(self.random.uniform(low, high))
        return self._reply(200, {"id": posted.id})

    async def find_messages(self, request: web.Request) -> web.Response:
        channel, key = request.match_info["channel"], request.query.get("key", "")
        self.lookups += 1
        if (limited := self._limited(None, time.monotonic())) is not None:
            return self._refuse(limited)
        found = [
            {"id": p.id, "key": p.key} for p in self.posted if p.channel == channel and p.key == key
        ]
        return self._reply(200, found)

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.summary())

    def summary(self) -> dict[str, Any]:
        """Counts for assertions and the benchmark."""
        keys = Counter((p.channel, p.key) for p in self.posted)
        times = [p.at for p in self.posted]
        return {
            "posted": len(self.posted),
            "channels": len({p.channel for p in self.posted}),
            "duplicates": sum(n - 1 for n in keys.values()),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "requests": sum(self.statuses.values()),
            "rate_limited": self.statuses[429],
            "lookups": self.lookups,
            "span": (max(times) - min(times)) if times else 0.0,
        }

    def by_channel(self) -> dict[str, list[str]]:
        """The keys posted to each channel, in order."""
        found: dict[str, list[str]] = {}
        for p in self.posted:
            found.setdefault(p.channel, []).append(p.key)
        return found

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/channels/{channel}/messages", self.post_message)
        app.router.add_get("/channels/{channel}/messages", self.find_messages)
        app.router.add_get("/_stats", self.stats)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port)
        await site.start()
        bound = next(a for a in self.runner.addresses if isinstance(a, tuple))
        self.url = f"http://{host}:{bound[1]}"
        return self.url

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


async def _serve(flavor: str) -> None:
    platform = FakePlatform(FLAVORS[flavor])
    url = await platform.start()
    print(url, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flavor", choices=sorted(FLAVORS), default="discord")
    try:
        asyncio.run(_serve(parser.parse_args().flavor))
    except KeyboardInterrupt:
        sys.exit(0)
