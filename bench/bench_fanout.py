"""Fan one day's real digests out to many channels, as `hotpapers run` does at 09:00.

The store is bench/corpus.py's (a private copy of the 100k- or 300k-paper store); every channel
subscribes to the hot top 10. Posting goes through the real delivery path (ledger, leases,
outbound queue) and the real adapters: discord.py's REST client and gateway (heartbeats on the
same event loop) against a fake Discord, or slack_sdk against a fake Slack Web API. Both fakes
run on 127.0.0.1 and enforce the platforms' documented limits, answering 429 with Retry-After:
- Discord: 50 requests per second per bot (global), 5 messages per 5 s per channel, with the
  X-RateLimit-* headers discord.py paces itself by;
- Slack: chat.postMessage 1 message per second per channel.
The runner's heartbeat renews the leases every lease_seconds / 3 meanwhile, as `Runner` does
(through the same urgent worker thread). The rankings are brought up to date before the clock
starts, as the runner keeps them (--cold: not; the first digest then ranks the day).

Reported: wall time against the floor the rules allow for the messages the digests need
(required, not what the code happened to send), the process's CPU time meanwhile and the load
average, when the platform got the first and the last message, 429s, duplicates (one delivery
key posted twice), leases lost, outcomes, and how late the event loop ran (which is how late a
gateway heartbeat or a slash command's ack would be).

Slack's floor for one message in each of many channels is 0 s: its documented limits are 1
message per second per channel and a workspace-wide limit it gives no figure for (see
bench/measure.py), so that run is bound by its own work and is judged against its CPU time;
--layout per-paper (11 messages a channel) gives Slack a floor of 10 s to be paced against.

Run: .venv/bin/python -m bench.bench_fanout [--platform discord slack] [--channels 100 1000]
         [--papers 100000] [--layout grouped|per-paper] [--cold]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import tempfile
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import SecretStr

from bench.corpus import NOW, TODAY, real_store, working_copy
from bench.measure import LoopLag, discord_floor, ms, pct, slack_floor
from bot.app import App, build_app, build_deliverer, build_platforms, rank_ahead
from bot.config import Config, Env, Settings
from bot.delivery.deliver import Outcome
from bot.delivery.lease import SCHEDULER, Leases
from bot.delivery.queue import OutboundQueue
from bot.delivery.schedule import run_on
from bot.models import Layout
from bot.store import Store
from bot.subscriptions import WEEKDAYS, Subscription
from tests.adapters.discord.fake_discord import TOKEN, FakeDiscord, Recorded, _json
from tests.adapters.slack.fake_slack import FakeSlack

LONG_AGO = NOW.replace(month=10, day=1)


class _Window:
    """Arrival times within a sliding window; how long until one more fits."""

    def __init__(self, count: int, seconds: float) -> None:
        self.count, self.seconds = count, seconds
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        return 0.0 if len(self.times) < self.count else self.times[0] + self.seconds - now

    def remaining(self, now: float) -> int:
        self.wait(now)
        return self.count - len(self.times)


class _Stamped(list[dict[str, Any]]):
    """The fake's gateway log, noting when each heartbeat (op 1) arrived."""

    def __init__(self, times: list[float]) -> None:
        super().__init__()
        self.times = times

    def append(self, payload: dict[str, Any]) -> None:
        if payload.get("op") == 1:
            self.times.append(time.monotonic())
        super().append(payload)


class LimitedDiscord(FakeDiscord):
    """The fake Discord with its global and per-channel message limits enforced."""

    def __init__(self, channels: int) -> None:
        super().__init__(heartbeat_ms=1_000)  # short, so a run has many heartbeats to time
        self.bench_channels = [self.snowflake() for _ in range(channels)]
        self.channels.update({c: f"c{i}" for i, c in enumerate(self.bench_channels)})
        self.global_window = _Window(50, 1.0)
        self.channel_windows: dict[str, _Window] = {}
        self.heartbeats: list[float] = []
        self.gateway_log = _Stamped(self.heartbeats)

    def _limited(self, request: web.Request) -> web.Response | None:
        """429 (global, or the channel's message bucket) as Discord answers it."""
        now = time.monotonic()
        if (wait := self.global_window.wait(now)) > 0:
            return self._refuse(wait, is_global=True)
        match = request.method == "POST" and request.path.startswith("/api/v10/channels/")
        window = None
        if match:
            window = self.channel_windows.setdefault(request.path, _Window(5, 5.0))
            if (wait := window.wait(now)) > 0:
                return self._refuse(wait, is_global=False)
        self.global_window.times.append(now)
        if window is not None:
            window.times.append(now)
        return None

    @staticmethod
    def _refuse(wait: float, *, is_global: bool) -> web.Response:
        headers = {"Retry-After": f"{wait:.3f}", "Via": "1.1 google", "X-RateLimit-Scope": "user",
                   "X-RateLimit-Global": str(is_global).lower()}  # fmt: skip
        body = {"message": "You are being rate limited.", "retry_after": wait,
                "global": is_global}  # fmt: skip
        return _json(body, status=429, headers=headers)

    async def _create_message(self, record: Recorded, channel_id: str) -> web.Response:
        """Post, and tell discord.py the channel bucket's state as Discord's headers do."""
        response = await super()._create_message(record, channel_id)
        window = self.channel_windows.get(f"/api/v10/channels/{channel_id}/messages")
        if window is not None:
            now = time.monotonic()
            reset = (window.times[0] + window.seconds - now) if window.times else 0.0
            response.headers.update({
                "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": str(window.remaining(now)),
                "X-RateLimit-Reset-After": f"{max(reset, 0.001):.3f}",
                "X-RateLimit-Reset": f"{time.time() + max(reset, 0.001):.3f}",
                "X-RateLimit-Bucket": f"messages-{channel_id}",
            })  # fmt: skip
        return response

    def summary(self, start: float) -> dict[str, Any]:
        """Requests, 429s and duplicate posts as Discord saw them (times from start)."""
        posts = [r for r in self.requests if r.method == "POST" and "/channels/" in r.path]
        keys = Counter((r.path, (r.body or {}).get("nonce")) for r in posts if r.status == 200)
        gaps = [b - a for a, b in zip(self.heartbeats, self.heartbeats[1:], strict=False)]
        return {
            **_arrivals([r.at for r in posts if r.status == 200], start),
            "requests": len(self.requests),
            "rate_limited": sum(1 for r in self.requests if r.status == 429),
            "posted": sum(keys.values()),
            "duplicates": sum(n - 1 for n in keys.values()),
            "heartbeat_late_max_s": round(max((g - 1.0 for g in gaps), default=0.0), 3),
        }


class LimitedSlack(FakeSlack):
    """The fake Slack with chat.postMessage limited to 1 message per second per channel."""

    def __init__(self) -> None:
        super().__init__()
        self.windows: dict[str, _Window] = {}
        self.statuses: Counter[int] = Counter()

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage":
            args = await self._args(request)
            window = self.windows.setdefault(str(args.get("channel")), _Window(1, 1.0))
            now = time.monotonic()
            if (wait := window.wait(now)) > 0:
                self.statuses[429] += 1
                retry = str(max(1, round(wait + 0.5)))  # Slack says whole seconds
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": retry})  # fmt: skip
            window.times.append(now)
        self.statuses[200] += 1
        return await super()._api(request)

    def summary(self, start: float) -> dict[str, Any]:
        """Requests, 429s and duplicate posts as Slack saw them (times from start)."""
        posts = [c for c in self.calls if c.method == "chat.postMessage"]
        keys = Counter(
            (c.args.get("channel"), ((c.args.get("metadata") or {}).get("event_payload") or {})
             .get("key")) for c in posts
        )  # fmt: skip
        return {
            **_arrivals([c.at for c in posts], start),
            "requests": sum(self.statuses.values()),
            "rate_limited": self.statuses[429],
            "posted": len(posts),
            "duplicates": sum(n - 1 for n in keys.values()),
        }


def _arrivals(times: list[float], start: float) -> dict[str, float | None]:
    """When the platform got the first and the last message, in seconds from start."""
    if not times:
        return {"first_post_s": None, "last_post_s": None}
    first, last = min(times) - start, max(times) - start
    return {"first_post_s": round(first, 2), "last_post_s": round(last, 2)}


def _settings(db: Path, env: dict[str, Any]) -> Settings:
    return Settings(config=Config(), env=Env(hotpapers_db=db, **env))


async def _heartbeat(
    app: App, leases: Leases, every: float, stop: asyncio.Event, lost: list[str]
) -> None:
    """What Runner._heartbeat does while it leads: renew every lease, check the scheduler's."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        await app.urgent.run(leases.renew)
        if not await app.urgent.run(leases.holds, SCHEDULER):
            lost.append("scheduler")


async def fan_out(
    platform: str, channels: int, papers: int, folder: Path, deadline: float,
    layout: Layout = "grouped", cold: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Post the day's top-10 digest to `channels` channels (stop at deadline); the figures."""
    store = Store(working_copy(real_store(papers), folder))
    if platform == "discord":
        fake: Any = LimitedDiscord(channels)
        await fake.start()
        targets = [f"discord:{c}" for c in fake.bench_channels]
        env = {"discord_token": SecretStr(TOKEN), "discord_api_base": fake.api_base,
               "discord_gateway_url": fake.gateway_url}  # fmt: skip
    else:
        fake = await LimitedSlack().start()
        targets = [f"slack:C{i:09d}" for i in range(channels)]
        env = {"slack_bot_token": SecretStr("xoxb-test"), "slack_api_url": fake.api_url,
               "slack_signing_secret": SecretStr("bench")}  # fmt: skip
    app: App = build_app(_settings(Path(folder) / "bench.db", env), clock=lambda: NOW,
                         store=store)  # fmt: skip
    for target in targets:
        app.subscriptions.save(
            Subscription(target, time="12:00", timezone="UTC", days=WEEKDAYS, top=10,
                         layout=layout, created_at=LONG_AGO), LONG_AGO,
        )  # fmt: skip
    subs = app.subscriptions.all()
    platforms = build_platforms(app, only=[platform])
    await platforms.start()
    config = app.settings.config.delivery
    leases = Leases(app.store, ttl=config.lease_seconds)
    assert leases.acquire(SCHEDULER)
    deliverer = build_deliverer(app, platforms.channels, leases=leases, queue=OutboundQueue())
    if not cold:
        # `hotpapers run` keeps the rankings up to date (every RANK_SECONDS and after each
        # fetch), so its 09:00 fan-out finds them ready; a cold ranking is bench_rank's figure.
        await app.worker.run(rank_ahead, app)
    lag, stop, lost = LoopLag(), asyncio.Event(), []
    lag.start()
    beat = asyncio.create_task(_heartbeat(app, leases, config.lease_seconds / 3, stop, lost))
    try:
        start, cpu, mono = time.perf_counter(), time.process_time(), time.monotonic()
        # As the scheduler fires one job per subscription at 12:00: all at once.
        tasks = [
            asyncio.create_task(deliverer.deliver(s, run_on(s, TODAY), "schedule")) for s in subs
        ]
        done, pending = await asyncio.wait(tasks, timeout=deadline)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        outcomes: list[Outcome] = [t.result() for t in done]
    finally:
        stop.set()
        await beat
        await lag.stop()
        await platforms.close()
    # Required messages: each channel's top-10 digest as the renderer splits it (the same
    # digest for every channel here), whatever the run managed to plan or send.
    digest = app.service.digest(day=TODAY, ranking="hot", selection=subs[0].selection())
    per_digest = len(platforms.channels[platform].render(digest, layout))
    parts = [per_digest] * len(subs)
    floor = discord_floor(parts) if platform == "discord" else slack_floor(parts)
    seen = fake.summary(mono)
    await fake.stop()
    await app.aclose()
    statuses = Counter(o.status for o in outcomes)
    lease_lost = sum(1 for o in outcomes if "lost the delivery lease" in o.detail) + len(lost)
    return {
        "platform": platform, "papers": papers, "channels": channels, "layout": layout,
        "rankings": "cold" if cold else "ready",
        "messages_required": sum(parts), "wall_s": round(wall, 2), "floor_s": floor,
        "ratio": round(wall / floor, 2) if floor else None, "cpu_s": round(cpu, 2),
        "load_average": os.getloadavg()[0], "outcomes": dict(statuses),
        "unfinished_at_deadline": len(pending),
        **seen,
        "rate_limited_pct": round(100 * seen["rate_limited"] / max(seen["requests"], 1), 2),
        "leases_lost": lease_lost,
        "loop_lag_median_ms": round(1000 * pct(lag.lags, 50), 1),
        "loop_lag_p99_ms": round(1000 * pct(lag.lags, 99), 1),
        "loop_lag_max_ms": round(1000 * max(lag.lags, default=0.0), 1),
        "loop_late_over_1s": lag.over(1.0),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }  # fmt: skip


def main() -> None:
    """Run each platform and channel count; print one JSON line each, then a summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", nargs="+", default=["discord", "slack"])
    parser.add_argument("--channels", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--deadline", type=float, default=600.0, help="stop a run after (s)")
    parser.add_argument(
        "--layout",
        choices=["grouped", "per-paper"],
        default="grouped",
        help="per-paper: 11 messages per channel (a header, then one per paper)",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="start with no ranking made (the first digest ranks the day)",
    )
    args = parser.parse_args()
    for platform in args.platform:
        for channels in args.channels:
            with tempfile.TemporaryDirectory() as folder:
                figures = asyncio.run(
                    fan_out(
                        platform,
                        channels,
                        args.papers,
                        Path(folder),
                        args.deadline,
                        args.layout,
                        args.cold,
                    )
                )
            print(json.dumps(figures), flush=True)
            print(
                f"  {platform} x {channels}: {ms(figures['wall_s'])} for a"
                f" {figures['floor_s']:.0f} s floor; {figures['outcomes']}"
                f" ({figures['unfinished_at_deadline']} unfinished at the deadline);"
                f" 429s {figures['rate_limited_pct']} %; duplicates {figures['duplicates']};"
                f" leases lost {figures['leases_lost']}; loop lag max"
                f" {figures['loop_lag_max_ms']:.0f} ms",
                flush=True,
            )


if __name__ == "__main__":
    main()
