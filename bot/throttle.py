"""A token bucket for what strangers can trigger (log lines, install pages), so a flood cannot
grow the log or the database."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Throttle"]


class Throttle:
    """Lets `burst` events through at once, then one every `every` seconds; counts the rest."""

    def __init__(
        self, burst: int = 10, every: float = 6.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """A full bucket of burst events, refilled at one per `every` seconds of clock."""
        self.burst = burst
        self.every = every
        self.clock = clock
        self._tokens = float(burst)
        self._last = clock()
        self._dropped = 0

    def allow(self) -> int | None:
        """None: turn this event away. Else let it through: how many were turned away before it."""
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) / self.every)
        self._last = now
        if self._tokens < 1:
            self._dropped += 1
            return None
        self._tokens -= 1
        dropped, self._dropped = self._dropped, 0
        return dropped
