"""The outbound queue: global and per-channel windows, bounded concurrency, 429 pauses."""

from __future__ import annotations

import asyncio
import time

from bot.delivery.queue import OutboundQueue, PlatformLimits, Window


def max_in_window(times: list[float], seconds: float) -> int:
    """The most requests any window of `seconds` holds."""
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + seconds) for i, start in enumerate(times))


async def send_all(queue: OutboundQueue, targets: list[str], hold: float = 0.0) -> list[float]:
    sent: list[float] = []

    async def one(target: str) -> None:
        async with queue.slot("p", target):
            sent.append(time.monotonic())
            await asyncio.sleep(hold)

    await asyncio.gather(*(one(t) for t in targets))
    return sent


async def test_global_window_is_never_exceeded_and_barely_slower_than_the_limit() -> None:
    queue = OutboundQueue({"p": PlatformLimits(50, Window(10, 0.2), None)})
    start = time.monotonic()
    sent = await send_all(queue, [f"c{i}" for i in range(50)])
    elapsed = time.monotonic() - start
    assert max_in_window(sent, 0.2) <= 10
    assert 0.8 <= elapsed < 1.2  # 50 requests at 10 per 0.2 s: 4 full windows after the first


async def test_one_channel_is_paced_without_slowing_the_others() -> None:
    queue = OutboundQueue({"p": PlatformLimits(10, None, Window(1, 0.2))})
    start = time.monotonic()
    done: dict[str, float] = {}

    async def channel(target: str, count: int) -> None:
        for _ in range(count):
            async with queue.slot("p", target):
                pass
        done[target] = time.monotonic() - start

    await asyncio.gather(channel("busy", 4), *(channel(f"c{i}", 1) for i in range(20)))
    assert done["busy"] >= 0.6  # 4 messages, one per 0.2 s
    assert max(v for k, v in done.items() if k != "busy") < 0.1


async def test_concurrency_is_bounded() -> None:
    queue = OutboundQueue({"p": PlatformLimits(3)})
    in_flight = peak = 0

    async def one(i: int) -> None:
        nonlocal in_flight, peak
        async with queue.slot("p", f"c{i}"):
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1

    await asyncio.gather(*(one(i) for i in range(20)))
    assert peak == 3


async def test_a_429_holds_the_whole_platform_for_retry_after() -> None:
    queue = OutboundQueue({"p": PlatformLimits(10)})
    queue.rate_limited("p", "c1", 0.3)
    start = time.monotonic()
    sent = await send_all(queue, ["c2", "c3"])
    assert min(sent) - start >= 0.29
    assert queue.stats()["p"] == {"requests": 2, "rate_limited": 1}


async def test_lookups_use_the_global_window_but_not_the_channel_one() -> None:
    queue = OutboundQueue({"p": PlatformLimits(10, None, Window(1, 5.0))})
    async with queue.slot("p", "c1"):
        pass
    start = time.monotonic()
    async with queue.slot("p", "c1", message=False):
        pass
    assert time.monotonic() - start < 0.1


async def test_after_a_429_one_request_probes_before_the_rest_are_let_go() -> None:
    from bot.channels import DeliveryError

    queue = OutboundQueue({"p": PlatformLimits(20)})
    limited_until = time.monotonic() + 0.3  # the platform refuses everything for 0.3 s
    refused = 0

    async def one(i: int) -> None:
        nonlocal refused
        while True:
            try:
                async with queue.slot("p", f"c{i}"):
                    await asyncio.sleep(0.005)
                    if time.monotonic() < limited_until:
                        refused += 1
                        raise DeliveryError("429", retry_after=0.1)
                return
            except DeliveryError:
                continue

    await asyncio.gather(*(one(i) for i in range(20)))
    # The first wave (all 20 in flight) is refused; after that one probe per Retry-After.
    assert refused <= 20 + 4
    assert queue.stats()["p"]["rate_limited"] == refused
