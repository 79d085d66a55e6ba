"""Fixtures: a store shaped like a week of production, with two published days."""

from __future__ import annotations

import pytest

from tests.site.support import World, world


@pytest.fixture
def hot() -> World:
    return world()
