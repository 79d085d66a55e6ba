"""Fixtures: a fake Discord on 127.0.0.1, a seeded store, and adapters built over them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.adapters.discord import DiscordAdapter
from bot.app import App, build_app, discord_adapter
from bot.store import Store
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.support import NOW, seed, settings

MakeAdapter = Callable[..., Awaitable[DiscordAdapter]]


def _no_http(request: httpx.Request) -> httpx.Response:
    """The Discord adapter never uses the sources' HTTP client."""
    raise AssertionError(f"unexpected outbound request to {request.url}")


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A fake Discord on a free port, stopped after the test."""
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A file store, so a second adapter can reopen it like a restarted process."""
    return Store(tmp_path / "hotpapers.db")


@pytest.fixture
def ranked_ids(store: Store) -> list[str]:
    """Twelve stored papers, hottest first."""
    return seed(store)


@pytest.fixture
async def make_adapter(fake: FakeDiscord, store: Store) -> AsyncIterator[MakeAdapter]:
    """Build (and by default start) adapters over the shared store; all closed afterwards."""
    apps: list[App] = []
    adapters: list[DiscordAdapter] = []

    async def make(*, start: bool = True, **discord: Any) -> DiscordAdapter:
        app = build_app(
            settings(fake, **discord),
            clock=lambda: NOW,
            store=store,
            transport=httpx.MockTransport(_no_http),
        )
        apps.append(app)
        adapters.append(discord_adapter(app))
        if start:
            await adapters[-1].start()
        return adapters[-1]

    yield make
    for adapter in adapters:
        await adapter.close()
    for app in apps:
        await app.http.aclose()
    store.close()


@pytest.fixture
async def adapter(make_adapter: MakeAdapter, ranked_ids: list[str]) -> DiscordAdapter:
    """A started adapter over twelve ranked papers."""
    return await make_adapter()
