"""The one retry policy: how often to try again, capped exponential backoff with full jitter."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard one call (a source's request, a delivery's message) tries before giving up."""

    attempts: int = 5  # tries in all, the first included, for failures that may heal
    base: float = 1.0  # the ceiling of the first backoff, in seconds; it doubles each retry
    cap: float = 60.0  # no backoff ceiling exceeds this
    # A server asking for a longer pause (Retry-After) fails the call now instead of stalling
    # everything behind it (X's rate-limit windows are 15 minutes).
    max_wait: float = 300.0
    rate_limited: int = 20  # 429s with a Retry-After honoured per call, apart from attempts
    timeout: float = 60.0  # the most one try may take, end to end

    def ceiling(self, retry: int) -> float:
        """The longest backoff before retry number `retry` (1 for the first retry)."""
        return float(min(self.cap, self.base * 2.0 ** max(retry - 1, 0)))

    def delay(self, retry: int, rand: Callable[[], float] = random.random) -> float:
        """Full jitter: uniform in [0, ceiling), so callers failing together retry apart."""
        return self.ceiling(retry) * rand()
