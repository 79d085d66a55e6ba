"""Fan-out over HTTP to the fake platform: within Discord's and Slack's limits, and a 429 storm."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.app import App, build_deliverer
from bot.delivery.deliver import Outcome
from bot.delivery.lease import Leases
from bot.delivery.queue import LIMITS, OutboundQueue
from bot.delivery.schedule import run_on
from tests.delivery.fakechannel import HttpChannel, SlackHttpChannel
from tests.delivery.fakeplatform import FLAVORS, FakePlatform, Limit, Rules
from tests.delivery.support import TODAY, subscribe
from tests.factories import snowflake


@pytest.fixture
async def fakes() -> AsyncIterator[list[FakePlatform]]:
    started: list[FakePlatform] = []
    yield started
    for fake in started:
        await fake.close()


def target(platform: str, i: int) -> str:
    """The i-th channel id in the platform's shape."""
    return snowflake(i) if platform == "discord" else f"C{i:08d}"


async def fan_out(
    app: App, fake: FakePlatform, platform: str, count: int, top: int
) -> list[Outcome]:
    """Deliver one day's digest to `count` channels of a platform at once."""
    await fake.start()
    channel = (SlackHttpChannel if platform == "slack" else HttpChannel)(fake.url, per_message=2)
    subs = [subscribe(app, f"{platform}:{target(platform, i)}", top=top) for i in range(count)]
    deliverer = build_deliverer(app, {platform: channel}, leases=Leases(app.store),
                                queue=OutboundQueue(LIMITS))  # fmt: skip
    try:
        return list(await asyncio.gather(
            *(deliverer.deliver(s, run_on(s, TODAY), "schedule") for s in subs)
        ))  # fmt: skip
    finally:
        await channel.close()


async def test_discord_fan_out_stays_within_the_global_and_channel_limits(
    app: App, fakes: list[FakePlatform]
) -> None:
    fake = FakePlatform(FLAVORS["discord"])
    fakes.append(fake)
    start = time.monotonic()
    outcomes = await fan_out(app, fake, "discord", 40, top=6)  # 120 messages at 50/s
    elapsed = time.monotonic() - start
    summary = fake.summary()
    assert {o.status for o in outcomes} == {"sent"}
    assert (summary["posted"], summary["duplicates"], summary["rate_limited"]) == (120, 0, 0)
    # The pacing floor (the first 50 may go at once: 120 at 50/s take about 2 s). No ceiling:
    # a loaded machine is slower, never faster; the fake counted no request over its limits.
    assert elapsed >= 1.9


async def test_slack_fan_out_posts_one_message_per_second_per_channel(
    app: App, fakes: list[FakePlatform]
) -> None:
    fake = FakePlatform(FLAVORS["slack"])
    fakes.append(fake)
    start = time.monotonic()
    outcomes = await fan_out(app, fake, "slack", 30, top=4)  # 2 messages per channel
    elapsed = time.monotonic() - start
    summary = fake.summary()
    assert {o.status for o in outcomes} == {"sent"}
    assert (summary["posted"], summary["duplicates"], summary["rate_limited"]) == (60, 0, 0)
    assert elapsed >= 1.0  # 2 messages a channel, 1 s apart (floor only: load only slows it)


async def test_a_429_storm_is_waited_out_without_hammering_the_platform(
    app: App, fakes: list[FakePlatform]
) -> None:
    # For its first 0.6 s the platform answers 429 to everything, Retry-After 0.15 s.
    fake = FakePlatform(Rules(Limit(50, 1.0), None, storm=(0.0, 0.6), storm_retry_after=0.15))
    fakes.append(fake)
    outcomes = await fan_out(app, fake, "discord", 60, top=2)
    summary = fake.summary()
    assert {o.status for o in outcomes} == {"sent"}
    assert (summary["posted"], summary["duplicates"]) == (60, 0)
    # One wave of at most 32 requests in flight meets the storm; then a single probe goes per
    # Retry-After until one is answered (a naive client would earn a 429 per channel per try).
    assert summary["rate_limited"] <= 32 + 6
