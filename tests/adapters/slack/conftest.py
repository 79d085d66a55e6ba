"""Fixtures: a fake Slack, a seeded app, and the real Bolt app served over HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web

from bot.adapters.slack import SlackAdapter
from bot.app import App, build_app, slack_adapter
from bot.delivery.web import health_app, start_web
from bot.store import Store
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.support import NOW, SlackSim, seed, settings


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """A fake Slack Web API on a free port."""
    server = await FakeSlack().start()
    yield server
    await server.stop()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A file store (so a second App can reopen it, like a restart)."""
    return Store(tmp_path / "hotpapers.db")


@pytest.fixture
def ranked_ids(store: Store) -> list[str]:
    """Twelve stored papers, hottest first."""
    return seed(store)


MakeApp = Callable[..., Awaitable[App]]


def _no_http(request: httpx.Request) -> httpx.Response:
    """The Slack adapter never uses the sources' HTTP client; fail loudly if it does."""
    raise AssertionError(f"unexpected outbound request to {request.url}")


# A transport also spares each test building a TLS context it would never use.
NO_HTTP = httpx.MockTransport(_no_http)


@pytest.fixture
async def make_app(fake: FakeSlack, store: Store) -> AsyncIterator[MakeApp]:
    """Build Apps over the shared store with settings pointing at the fake; closes them after."""
    apps: list[App] = []

    async def make(db: Store | None = None, **env: Any) -> App:
        config = settings(fake, **env)
        app = build_app(config, clock=lambda: NOW, store=db or store, transport=NO_HTTP)
        apps.append(app)
        return app

    yield make
    for app in apps:
        await app.http.aclose()
    store.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[SlackAdapter], Awaitable[str]]]:
    """Start an adapter and serve it on 127.0.0.1:0 as the runner does; return the base URL."""
    started: list[tuple[SlackAdapter, web.AppRunner]] = []

    async def run(adapter: SlackAdapter) -> str:
        await adapter.start()
        web_app = health_app(lambda: (True, {}))
        adapter.attach(web_app)
        runner, port = await start_web(web_app, "127.0.0.1", 0)
        started.append((adapter, runner))
        return f"http://127.0.0.1:{port}"

    yield run
    for adapter, runner in started:
        await adapter.close()
        await runner.cleanup()


@pytest.fixture
async def slack(
    fake: FakeSlack,
    make_app: MakeApp,
    ranked_ids: list[str],
    serve: Callable[[SlackAdapter], Awaitable[str]],
) -> AsyncIterator[SlackSim]:
    """The real Bolt app over HTTP in single-token mode, and a signed-request sender for it."""
    app = await make_app()
    adapter = slack_adapter(app)
    base = await serve(adapter)
    async with aiohttp.ClientSession() as session:
        yield SlackSim(f"{base}/slack/events", session, fake, adapter, app)
