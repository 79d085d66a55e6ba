"""Test-wide settings."""

from hypothesis import HealthCheck, settings

# CI machines are shared: a slow example is not a failing one. Property tests check behaviour,
# never speed (benchmarks in bench/ do that).
settings.register_profile("hotpapers", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("hotpapers")
