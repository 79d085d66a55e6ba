"""Fan one digest out to many channels on a local fake platform that enforces the limits.

Discord-like: 50 requests/s global, 5 messages per 5 s per channel, 429 with Retry-After.
Slack-like: 1 message per second per channel, 429 beyond it. The fake runs in its own process;
this process runs the real delivery path (planning, ledger, leases, queue) over HTTP.

    .venv/bin/python bench/bench_fanout.py [--channels 1000] [--platform discord|slack|both]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the fake platform and test channel live under tests/

from bot.app import build_app, build_deliverer  # noqa: E402
from bot.delivery.lease import Leases  # noqa: E402
from bot.delivery.queue import LIMITS, OutboundQueue  # noqa: E402
from bot.delivery.schedule import run_on  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.delivery.fakechannel import HttpChannel, SlackHttpChannel  # noqa: E402
from tests.delivery.support import NINE_BERLIN, TODAY, Clock, make_settings, seed, subscribe  # noqa: E402


async def start_fake(flavor: str) -> tuple[asyncio.subprocess.Process, str]:
    """The fake platform in a child process, so its work does not count as ours."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.delivery.fakeplatform",
        "--flavor",
        flavor,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    url = (await process.stdout.readline()).decode().strip()
    return process, url


async def fan_out(platform: str, channels: int, parts: int) -> dict[str, Any]:
    """Deliver one digest to `channels` channels; return the figures."""
    fake, url = await start_fake(platform)
    tmp = Path(tempfile.mkdtemp(prefix="hotpapers-bench-"))
    settings = make_settings(tmp)
    app = build_app(settings, clock=Clock(NINE_BERLIN), store=Store(settings.env.hotpapers_db))
    seed(app.store, count=parts)
    subs = [subscribe(app, f"{platform}:c{i}", top=parts) for i in range(channels)]
    kind = SlackHttpChannel if platform == "slack" else HttpChannel
    channel = kind(url, per_message=1)
    queue = OutboundQueue(LIMITS)
    deliverer = build_deliverer(app, {platform: channel}, leases=Leases(app.store), queue=queue)
    try:
        start = time.monotonic()
        outcomes = await asyncio.gather(
            *(deliverer.deliver(s, run_on(s, TODAY), "schedule") for s in subs)
        )
        wall = time.monotonic() - start
        async with httpx.AsyncClient() as client:
            stats = (await client.get(f"{url}/_stats")).json()
    finally:
        await channel.close()
        await app.aclose()
        fake.terminate()
        await fake.wait()
    messages = channels * parts
    limits = LIMITS[platform]
    floor = _floor(messages, parts, limits)
    return {
        "platform": platform,
        "channels": channels,
        "messages": messages,
        "sent": sum(o.status == "sent" for o in outcomes),
        "wall_s": round(wall, 2),
        "floor_s": round(floor, 2),
        "ratio": round(wall / floor, 3) if floor else None,
        "requests": stats["requests"],
        "rate_limited": stats["rate_limited"],
        "rate_limited_pct": round(100 * stats["rate_limited"] / max(stats["requests"], 1), 3),
        "duplicates": stats["duplicates"],
        "posted": stats["posted"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _floor(messages: int, parts: int, limits: Any) -> float:
    """The least time the limits allow: the global rate, and each channel's own spacing."""
    floor = 0.0
    if limits.global_window:
        floor = messages * limits.global_window.seconds / limits.global_window.count
    if limits.channel_window:
        window = limits.channel_window
        floor = max(floor, window.seconds * ((parts - 1) // window.count))
    return floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--parts", type=int, default=1, help="messages per digest")
    parser.add_argument("--platform", choices=("discord", "slack", "both"), default="both")
    args = parser.parse_args()
    platforms = ["discord", "slack"] if args.platform == "both" else [args.platform]
    for platform in platforms:
        print(json.dumps(asyncio.run(fan_out(platform, args.channels, args.parts))), flush=True)


if __name__ == "__main__":
    main()
