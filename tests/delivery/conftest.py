"""Fixtures: an app over a file database with a settable clock and seeded papers; a world for
real runner processes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.config import Settings
from bot.store import Store
from tests.delivery.fakeplatform import FLAVORS, FakePlatform, Rules
from tests.delivery.processes import World
from tests.delivery.support import NINE_BERLIN, Clock, make_settings, seed
from tests.forkserver import ForkServer


@pytest.fixture
def clock() -> Clock:
    return Clock(NINE_BERLIN)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def app(settings: Settings, clock: Clock) -> AsyncIterator[App]:
    app = build_app(settings, clock=clock, store=Store(settings.env.hotpapers_db))
    seed(app.store)
    yield app
    await app.aclose()


@pytest.fixture
async def world(tmp_path: Path, forks: ForkServer) -> AsyncIterator[World]:
    """A database and a fake platform with Discord's limits, for real runner processes."""
    discord = FLAVORS["discord"]
    # Discord's limits; the reply comes 50-150 ms after the post is recorded, so a kill often
    # lands between the platform taking a message and the runner recording its id.
    fake = FakePlatform(Rules(discord.global_limit, discord.channel_limit, latency=(0.05, 0.15)))
    await fake.start()
    yield World(tmp_path, fake, forks)
    await fake.close()
