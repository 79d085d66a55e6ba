"""The outbound queue: global and per-channel windows, bounded concurrency, 429 pauses."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

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


async def test_global_window_is_never_exceeded() -> None:
    queue = OutboundQueue({"p": PlatformLimits(50, Window(10, 0.2), None)})
    sent = await send_all(queue, [f"c{i}" for i in range(50)])
    # When each request went out, not how long the test took (that is for bench/): 50 at 10
    # per 0.2 s, so no 0.2 s holds more than 10 of them, however loaded the machine is.
    assert len(sent) == 50 and max_in_window(sent, 0.2) <= 10


async def test_one_channel_is_paced() -> None:
    queue = OutboundQueue({"p": PlatformLimits(10, None, Window(1, 0.2))})
    sent = await send_all(queue, ["busy"] * 4)
    assert len(sent) == 4 and max_in_window(sent, 0.2) == 1  # one message per 0.2 s


async def test_a_channel_waiting_for_its_window_holds_no_place_other_channels_need() -> None:
    # One place in flight, and a channel window a minute long: if the waiting channel held the
    # place, the other channel would wait a minute too. (The wait_for is a failsafe, not a bound.)
    queue = OutboundQueue({"p": PlatformLimits(1, None, Window(1, 60.0))})
    async with queue.slot("p", "busy"):
        pass
    entered = asyncio.Event()

    async def busy_again() -> None:
        async with queue.slot("p", "busy"):
            entered.set()

    waiting = asyncio.create_task(busy_again())
    await asyncio.sleep(0)  # it is now waiting out its window

    async def others() -> None:
        for i in range(20):
            async with queue.slot("p", f"c{i}"):
                pass

    await asyncio.wait_for(others(), 30)
    assert not entered.is_set()
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting


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
    # The channel's window is a minute long: a lookup that waited for it would not finish
    # before the failsafe.
    queue = OutboundQueue({"p": PlatformLimits(10, None, Window(1, 60.0))})
    async with queue.slot("p", "c1"):
        pass

    async def lookup() -> None:
        async with queue.slot("p", "c1", message=False):
            pass

    await asyncio.wait_for(lookup(), 30)
    assert queue.stats()["p"]["requests"] == 2


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


async def test_ready_runs_with_a_place_in_flight_before_the_window_counts_the_request() -> None:
    # The deliverer records a message as sending in `ready`: that write must not hold a place
    # in the platform's window, which only the request itself should fill.
    queue = OutboundQueue({"p": PlatformLimits(1, Window(5, 1.0), Window(1, 1.0))})
    lane = queue.lane("p")
    seen: list[tuple[bool, int, int]] = []

    def look() -> None:
        window = lane.channel("c1")
        seen.append((lane.semaphore.locked(), lane.global_window.in_flight, window.in_flight))

    async def ready() -> None:
        look()

    async with queue.slot("p", "c1", ready=ready):
        look()
    assert seen == [(True, 0, 0), (True, 1, 1)]


async def test_a_ready_that_fails_takes_no_place_in_any_window() -> None:
    # The channel may take one message a minute: had the failed attempt counted, the next
    # would wait that minute (the wait_for is a failsafe, not a bound).
    queue = OutboundQueue({"p": PlatformLimits(1, Window(1, 60.0), Window(1, 60.0))})

    async def lost() -> None:
        raise LookupError("lease lost")

    with pytest.raises(LookupError):
        async with queue.slot("p", "c1", ready=lost):
            pass

    async def again() -> None:
        async with queue.slot("p", "c1"):
            pass

    await asyncio.wait_for(again(), 30)
    assert queue.stats()["p"] == {"requests": 1, "rate_limited": 0}
