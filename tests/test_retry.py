"""The one retry policy: capped exponential ceilings, full jitter under them."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from bot.retry import RetryPolicy


def test_ceilings_double_from_the_base_up_to_the_cap() -> None:
    policy = RetryPolicy(base=1.0, cap=8.0)
    assert [policy.ceiling(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


@given(st.integers(1, 40), st.floats(0.0, 0.999999))
def test_full_jitter_stays_between_zero_and_the_ceiling(retry: int, draw: float) -> None:
    policy = RetryPolicy(base=0.5, cap=30.0)
    assert 0.0 <= policy.delay(retry, lambda: draw) < policy.ceiling(retry) + 1e-9


def test_callers_failing_together_retry_apart() -> None:
    policy = RetryPolicy(base=1.0, cap=60.0)
    rng = random.Random(7)
    delays = [policy.delay(3, rng.random) for _ in range(50)]
    assert len({round(d, 3) for d in delays}) > 40  # not lined up on one moment
    assert min(delays) < 1.0 < 3.0 < max(delays) <= 4.0
