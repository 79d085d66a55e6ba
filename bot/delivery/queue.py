"""One outbound queue per platform that paces requests within the platform's rate limits."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.channels import DeliveryError

__all__ = ["LIMITS", "Lane", "OutboundQueue", "PlatformLimits", "SlidingWindow", "Window"]

Monotonic = Callable[[], float]
_POLL = 0.01  # how often to look again when every place in a window is taken by a request


@dataclass(frozen=True)
class Window:
    """At most `count` requests in any `seconds`-long window."""

    count: int
    seconds: float


@dataclass(frozen=True)
class PlatformLimits:
    """A platform's documented limits, and how much we keep going at once."""

    concurrency: int  # requests in flight
    global_window: Window | None = None
    channel_window: Window | None = None
    # Deliveries claimed (leased, planned in worker threads) or posting at once: enough to
    # keep the windows full, few enough that none holds its lease long waiting for its turn.
    deliveries: int = 64


LIMITS: dict[str, PlatformLimits] = {
    # Discord: 50 requests/s per bot, 5 messages per 5 s per channel; 100 deliveries (two
    # seconds' worth) keep the global window full.
    "discord": PlatformLimits(32, Window(50, 1.0), Window(5, 5.0), deliveries=100),
    # Slack chat.postMessage: 1 message per second per channel and no global limit, so
    # throughput comes from many channels waiting out their second side by side.
    "slack": PlatformLimits(32, None, Window(1, 1.0), deliveries=500),
    "markdown": PlatformLimits(4, deliveries=4),
}
_DEFAULT = PlatformLimits(8, deliveries=16)


class SlidingWindow:
    """Requests in flight and recently finished; says how long until one more fits.

    A request counts from when it starts until `seconds` after it finished. The platform saw
    it somewhere in between, so a request started after that moment reaches the platform at
    least `seconds` later, however latency varies: counting from the start instead lets
    jitter squeeze two windows' worth into one on the platform's clock (and earn 429s).
    """

    def __init__(self, window: Window | None) -> None:
        """Track a window; None means only pauses apply."""
        self.count = window.count if window else 0
        self.seconds = window.seconds if window else 0.0
        self.finished: deque[float] = deque()
        self.in_flight = 0
        self.paused_until = 0.0

    def delay(self, now: float) -> float:
        """Seconds until one more request fits (0 when it fits now)."""
        wait = self.paused_until - now
        if self.count:
            while self.finished and self.finished[0] + self.seconds <= now:
                self.finished.popleft()
            if len(self.finished) + self.in_flight >= self.count:
                soonest = self.finished[0] + self.seconds - now if self.finished else _POLL
                wait = max(wait, soonest)
        return max(wait, 0.0)

    def start(self) -> None:
        """A request starts now."""
        if self.count:
            self.in_flight += 1

    def finish(self, now: float) -> None:
        """A request started earlier has finished (answered, failed or cancelled)."""
        if self.count:
            self.in_flight -= 1
            self.finished.append(now)

    def idle(self, now: float) -> bool:
        """True when the window holds nothing and nothing is paused."""
        return self.delay(now) == 0 and not self.finished and not self.in_flight

    def pause(self, until: float) -> None:
        """Send nothing before a moment (the platform said Retry-After)."""
        self.paused_until = max(self.paused_until, until)


@dataclass
class Lane:
    """One platform's pacing state: concurrency, the global window, per-channel windows."""

    limits: PlatformLimits
    clock: Monotonic
    semaphore: asyncio.Semaphore = field(init=False)
    deliveries: asyncio.Semaphore = field(init=False)
    global_window: SlidingWindow = field(init=False)
    global_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    probe: asyncio.Lock = field(default_factory=asyncio.Lock)
    recovering: bool = False  # after a 429, until a request goes through
    channels: dict[str, SlidingWindow] = field(default_factory=dict)
    requests: int = 0
    rate_limited: int = 0

    def __post_init__(self) -> None:
        """Build the semaphore and the global window."""
        self.semaphore = asyncio.Semaphore(self.limits.concurrency)
        self.deliveries = asyncio.Semaphore(self.limits.deliveries)
        self.global_window = SlidingWindow(self.limits.global_window)

    def is_recovering(self) -> bool:
        """True after a 429 until a request goes through."""
        return self.recovering

    def channel(self, target: str) -> SlidingWindow:
        """The window of one platform channel, created on first use."""
        window = self.channels.get(target)
        if window is None:
            if len(self.channels) > 50_000:
                self._forget_idle()
            window = self.channels[target] = SlidingWindow(self.limits.channel_window)
        return window

    def _forget_idle(self) -> None:
        """Drop windows with nothing in them, so memory stays bounded."""
        now = self.clock()
        for target, window in list(self.channels.items()):
            if window.idle(now):
                del self.channels[target]

    async def wait_channel(self, target: str) -> None:
        """Sleep until the channel may take one more message."""
        window = self.channel(target)
        while True:
            wait = window.delay(self.clock())
            if wait <= 0:
                return
            await asyncio.sleep(wait)  # a deadline, not an event: nothing else would wake us

    async def take_global(self) -> None:
        """Wait for a place in the global window (first come, first served) and take it."""
        async with self.global_lock:
            while True:
                wait = self.global_window.delay(self.clock())
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self.global_window.start()


class OutboundQueue:
    """Every request to a platform goes through here: paced, bounded, and backing off on 429."""

    def __init__(
        self,
        limits: dict[str, PlatformLimits] | None = None,
        clock: Monotonic = time.monotonic,
    ) -> None:
        """Use the given limits per platform (default: the documented ones)."""
        self.limits = LIMITS if limits is None else limits
        self.clock = clock
        self.lanes: dict[str, Lane] = {}

    def lane(self, platform: str) -> Lane:
        """The pacing state of a platform."""
        lane = self.lanes.get(platform)
        if lane is None:
            lane = self.lanes[platform] = Lane(self.limits.get(platform, _DEFAULT), self.clock)
        return lane

    def delivery(self, platform: str) -> asyncio.Semaphore:
        """Held by each delivery to the platform while it is planned and posted."""
        return self.lane(platform).deliveries

    @asynccontextmanager
    async def slot(
        self, platform: str, target: str, *, message: bool = True,
        ready: Callable[[], Awaitable[None]] | None = None,
    ) -> AsyncIterator[None]:  # fmt: skip
        """Wait until a request to target fits every limit, then hold a place while it runs.

        `message=False` is for lookups: they count against the global limit only. A 429
        (DeliveryError with retry_after) raised inside pauses the platform before it propagates.
        `ready` runs once the request has its place in flight and the channel may take it,
        just before the place in the global window is taken: work that must precede the
        request (recording it as sending) without holding up the window it counts in.
        """
        lane = self.lane(platform)
        window = lane.channel(target) if message else None
        if message:
            # Waiting for the channel happens outside the semaphore so that one busy channel
            # never holds a request slot other channels could use.
            await lane.wait_channel(target)
        async with lane.semaphore, self._probe(lane):
            if ready is not None:
                await ready()
            await lane.take_global()
            try:
                if window is not None:
                    await lane.wait_channel(target)  # only if the channel was paused meanwhile
                    window.start()
                lane.requests += 1
                try:
                    yield
                finally:
                    if window is not None:
                        window.finish(self.clock())
            except DeliveryError as error:
                self._refused(platform, target, error)
                raise
            finally:
                lane.global_window.finish(self.clock())
            lane.recovering = False

    def _refused(self, platform: str, target: str, error: DeliveryError) -> None:
        """React to a failed request: a 429 pauses, anything else proves we are not limited."""
        if error.retry_after is None:
            self.lane(platform).recovering = False
        else:
            self.rate_limited(platform, target, error.retry_after)

    @asynccontextmanager
    async def _probe(self, lane: Lane) -> AsyncIterator[None]:
        """After a 429, let one request at a time through until one is not rate limited.

        Without this, every request waiting out Retry-After would go at once and, if the
        limit is still hit, earn a 429 each: a storm.
        """
        if not lane.is_recovering():
            yield
            return
        async with lane.probe:
            if lane.is_recovering():  # the flag may have changed while we waited
                yield  # this request is the probe: the others wait for its answer
                return
        yield  # recovered while waiting: go without holding the others up

    def rate_limited(self, platform: str, target: str, retry_after: float) -> None:
        """The platform answered 429: hold the channel and the whole platform for Retry-After.

        Pausing the platform, not only the channel, is what prevents a 429 storm: when we
        pace ourselves a 429 means a limit we do not see (another process, a shared bucket).
        """
        lane = self.lane(platform)
        lane.rate_limited += 1
        lane.recovering = True
        until = self.clock() + max(retry_after, 0.0)
        lane.channel(target).pause(until)
        lane.global_window.pause(until)

    def stats(self) -> dict[str, dict[str, int]]:
        """Requests and 429s per platform, for health and the benchmark."""
        return {
            name: {"requests": lane.requests, "rate_limited": lane.rate_limited}
            for name, lane in self.lanes.items()
        }
