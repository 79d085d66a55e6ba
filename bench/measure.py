"""What every bench reports the same way: percentiles, event-loop lag, the platforms' floors."""

from __future__ import annotations

import asyncio
import contextlib
import math
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

__all__ = ["LoopLag", "discord_floor", "ms", "pct", "series", "slack_floor", "timed"]

# Discord: 50 requests per second per bot (global), 5 messages per 5 s per channel.
DISCORD_GLOBAL = 50
DISCORD_CHANNEL = (5, 5.0)
# Slack chat.postMessage: 1 message per second per channel ("special" tier). The methods a
# digest may also call are tiered: conversations.history Tier 3 (50+/min), auth.test Tier 4.
# Slack also keeps "a workspace-wide limit" on chat.postMessage but gives no figure for it
# (https://docs.slack.dev/apis/web-api/rate-limits, "Web API Special Tier"), so no floor can
# be derived from it: one message in each of many channels has a floor of 0 s.
SLACK_CHANNEL_SPACING = 1.0


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile by nearest rank (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    """Seconds as milliseconds for a report."""
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def series(name: str, values: Sequence[float], extra: str = "") -> str:
    """'name (n): median …, p99 …, max …' for a list of seconds."""
    if not values:
        return f"{name}: no samples"
    line = (
        f"{name} ({len(values)}): median {ms(statistics.median(values))},"
        f" p99 {ms(pct(values, 99))}, max {ms(max(values))}"
    )
    return f"{line}; {extra}" if extra else line


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """`with timed() as t: ...` then t[0] is the elapsed seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def discord_floor(messages_per_channel: Sequence[int]) -> float:
    """The least time Discord's rules allow for these messages (one entry per channel).

    n requests under the global limit need ceil(n / 50) - 1 s (the first 50 go at once); a
    channel's m messages need 5 s for each full 5 after the first five.
    """
    total = sum(messages_per_channel)
    global_floor = max(math.ceil(total / DISCORD_GLOBAL) - 1, 0)
    count, seconds = DISCORD_CHANNEL
    channel_floor = max(
        ((max(m, 1) - 1) // count * seconds for m in messages_per_channel), default=0.0
    )
    return float(max(global_floor, channel_floor))


def slack_floor(messages_per_channel: Sequence[int]) -> float:
    """The least time Slack allows: 1 message per second per channel, channels side by side.

    Delivery makes no other Web API call unless it recovers from a crash (conversations.history
    then, which this floor does not count).
    """
    return max(((max(m, 1) - 1) * SLACK_CHANNEL_SPACING for m in messages_per_channel), default=0)


@dataclass
class LoopLag:
    """How late the event loop runs a callback it was asked to run every `every` seconds.

    A gateway heartbeat, a slash command's ack and a send's timeout all wait on this loop;
    lag above a second means the heartbeat (every 41.25 s, with jitter allowed) and 3 s
    interaction deadlines are at risk.
    """

    every: float = 0.05
    lags: list[float] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.every)
            self.lags.append(max(time.perf_counter() - start - self.every, 0.0))

    def start(self) -> None:
        """Start watching the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def report(self) -> str:
        """Median, p99 and max lateness."""
        if not self.lags:
            return "loop lag: no samples"
        return (
            f"loop lag median {ms(statistics.median(self.lags))}, p99 {ms(pct(self.lags, 99))},"
            f" max {ms(max(self.lags))}"
        )

    def over(self, seconds: float) -> int:
        """How many ticks were later than seconds."""
        return sum(1 for lag in self.lags if lag > seconds)
