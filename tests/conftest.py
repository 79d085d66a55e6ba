"""Test-wide settings."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# CI machines are shared: a slow example is not a failing one. Property tests check behaviour,
# never speed (benchmarks in bench/ do that).
settings.register_profile("hotpapers", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("hotpapers")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: half again as many workers as cores (PYTEST_XDIST_AUTO_NUM_WORKERS overrides).

    A third of the suite's time is spent waiting (on real processes, sockets, rate limits and
    deadlines), not computing: one worker per core would leave a core idle meanwhile.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    cores = len(usable) if usable else os.cpu_count() or 1
    return max(2, cores * 3 // 2)
