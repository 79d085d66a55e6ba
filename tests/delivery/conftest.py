"""Fixtures: an app over a file database with a settable clock and seeded papers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.config import Settings
from bot.store import Store
from tests.delivery.support import NINE_BERLIN, Clock, make_settings, seed


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
