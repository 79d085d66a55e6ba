"""The throttle: a burst, then one event per interval, each told how many were turned away."""

from __future__ import annotations

from bot.throttle import Throttle


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        """Start at zero."""
        self.now = 0.0

    def __call__(self) -> float:
        """The current time."""
        return self.now


def test_a_burst_passes_then_lines_are_dropped_and_counted() -> None:
    clock = Clock()
    throttle = Throttle(burst=3, every=10.0, clock=clock)
    assert [throttle.allow() for _ in range(5)] == [0, 0, 0, None, None]
    clock.now = 10.0
    assert throttle.allow() == 2  # the two it held back
    assert throttle.allow() is None


def test_a_flood_logs_in_proportion_to_time_not_to_requests() -> None:
    clock = Clock()
    throttle = Throttle(burst=10, every=6.0, clock=clock)
    logged = 0
    for n in range(100_000):
        clock.now = n * 0.001  # 1,000 requests a second for 100 s
        logged += throttle.allow() is not None
    assert logged <= 10 + 100 / 6 + 1


def test_a_quiet_spell_refills_the_burst_but_no_more() -> None:
    clock = Clock()
    throttle = Throttle(burst=2, every=1.0, clock=clock)
    clock.now = 1000.0
    assert [throttle.allow() for _ in range(3)] == [0, 0, None]
