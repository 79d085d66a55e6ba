"""The site as `hotpapers run` serves it: on by default, headers, redirects, caching, errors."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import App, build_app, build_runner
from bot.config import SiteConfig
from bot.delivery.lease import Leases
from bot.delivery.runner import Runner
from bot.site.pages import Page
from bot.site.web import HEADERS, PageCache
from tests.delivery.fakechannel import MemoryChannel
from tests.delivery.support import NINE_BERLIN, Clock, make_settings
from tests.factories import NOW, post
from tests.site.support import TODAY, World, fill, publish, until


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    settings = make_settings(tmp_path)
    app = build_app(settings, clock=Clock(NINE_BERLIN))
    fill(app.store)
    yield app
    await app.aclose()


async def serve(runner: Runner, body: Callable[[httpx.AsyncClient], Awaitable[Any]]) -> Any:
    """Run the runner on a free port around body, then stop it."""
    task = asyncio.create_task(runner.run(host="127.0.0.1", port=0))
    try:
        await until(lambda: runner.port is not None)
        base = f"http://127.0.0.1:{runner.port}"
        async with httpx.AsyncClient(base_url=base, follow_redirects=False) as client:
            return await body(client)
    finally:
        runner.stop.set()
        await asyncio.wait_for(task, 10)


async def test_run_serves_the_site_beside_healthz_with_a_strict_policy(app: App) -> None:
    async def body(client: httpx.AsyncClient) -> None:
        home = await client.get("/")
        assert home.status_code == 200 and "Hot papers now" in home.text
        for header, value in HEADERS.items():
            assert home.headers[header] == value
        assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
        assert "default-src 'none'" in home.headers["content-security-policy"]
        assert home.headers["content-type"] == "text/html; charset=utf-8"
        assert (await client.get("/healthz")).status_code == 200
        css = await client.get("/static/site.css")
        assert css.headers["content-type"].startswith("text/css")
        feed = await client.get("/feed.atom")
        assert feed.headers["content-type"] == "application/atom+xml; charset=utf-8"
        missing = await client.get("/papers/2611.99999/")
        assert missing.status_code == 404 and "Page not found" in missing.text
        assert missing.headers["cache-control"] == "no-store"

    await serve(build_runner(app, channels={"discord": MemoryChannel()}), body)


async def test_the_site_can_be_turned_off(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    config = settings.config.model_copy(update={"site": SiteConfig(enabled=False)})
    app = build_app(replace(settings, config=config), clock=Clock(NINE_BERLIN))

    async def body(client: httpx.AsyncClient) -> None:
        assert (await client.get("/")).status_code == 404
        assert (await client.get("/healthz")).status_code == 200

    try:
        await serve(build_runner(app, channels={"discord": MemoryChannel()}), body)
    finally:
        await app.aclose()


async def test_addresses_without_a_slash_are_redirected_relatively_never_off_site(
    app: App,
) -> None:
    async def body(client: httpx.AsyncClient) -> None:
        day = await client.get("/days/2026-11-26?x=1")
        assert day.status_code == 301 and day.headers["location"] == "2026-11-26/?x=1"
        paper = await client.get("/papers/hep-th/9901001")
        assert paper.headers["location"] == "9901001/"
        for sneaky in ("/%2F%2Fevil.example", "/%5Cevil.example", "/days/..%2F..%2Fx"):
            response = await client.get(sneaky)
            assert response.status_code == 404, sneaky
        for sneaky in ("/%2F%2Fevil", "/%2F%5Cevil", "/%5C%5Cevil"):
            location = (await client.get(sneaky)).headers.get("location", "")
            assert not location.startswith(("/", "\\")) and ":" not in location, sneaky

    await serve(build_runner(app, channels={"discord": MemoryChannel()}), body)


async def test_an_unchanged_page_answers_304_to_its_etag(app: App) -> None:
    async def body(client: httpx.AsyncClient) -> None:
        first = await client.get("/papers/2611.00004/")
        etag = first.headers["etag"]
        again = await client.get("/papers/2611.00004/", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""

    await serve(build_runner(app, channels={"discord": MemoryChannel()}), body)


class Builds:
    """A page builder that records where and how often it ran, and can be held."""

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.gate = threading.Event()
        self.gate.set()
        self.version = 1

    def build(self, path: str, query: Mapping[str, str]) -> Page:
        self.gate.wait(5)
        self.threads.append(threading.current_thread().name)
        return Page(f"{path} v{self.version} #{len(self.threads)}".encode())


async def test_pages_are_built_off_the_event_loop_once_per_data_version() -> None:
    builds = Builds()
    cache = PageCache(builds.build, lambda: builds.version)
    first, _ = await cache.get("", {})
    again, _ = await cache.get("", {})
    assert first is again and len(builds.threads) == 1
    assert builds.threads[0] != threading.current_thread().name
    builds.version = 2
    cache.stale_seconds = 0
    assert (await cache.get("", {}))[0].body == b" v2 #2"


async def test_a_stale_page_is_served_while_one_rebuild_runs_in_the_background() -> None:
    builds = Builds()
    now = [0.0]
    cache = PageCache(builds.build, lambda: builds.version, stale_seconds=30, clock=lambda: now[0])
    await cache.get("days/", {})
    builds.version, now[0] = 2, 10.0
    builds.gate.clear()  # the rebuild blocks until released
    served = await asyncio.gather(*(cache.get("days/", {}) for _ in range(5)))
    assert {page.body for page, _ in served} == {b"days/ v1 #1"}  # nobody waited
    builds.gate.set()
    await until(lambda: cache.builds >= 2)
    assert len(builds.threads) == 2  # one rebuild for five readers
    assert (await cache.get("days/", {}))[0].body == b"days/ v2 #2"


async def test_concurrent_first_requests_share_one_build_and_the_cache_is_bounded() -> None:
    builds = Builds()
    cache = PageCache(builds.build, lambda: 1, max_entries=3)
    pages = await asyncio.gather(*(cache.get("same", {}) for _ in range(8)))
    assert len({id(p) for p, _ in pages}) == 1 and len(builds.threads) == 1
    for i in range(10):
        await cache.get(f"p{i}", {})
    assert len(cache._entries) == 3


async def test_a_page_that_fails_to_build_is_a_500_page_without_details(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    runner = build_runner(app, channels={"discord": MemoryChannel()})
    assert runner.site is not None

    def broken(path: str, query: Mapping[str, str] | None = None) -> Page:
        raise RuntimeError("secret internals")

    runner.site.site.render = broken  # type: ignore[method-assign]

    async def body(client: httpx.AsyncClient) -> None:
        response = await client.get("/")
        assert response.status_code == 500
        assert "secret" not in response.text and "Traceback" not in response.text
        assert "could not be built" in response.text

    await serve(runner, body)
    assert "secret internals" in caplog.text  # the operator's log says why


def test_pages_are_rebuilt_for_new_data_or_a_new_day_not_for_bookkeeping(hot: World) -> None:
    site = hot.site()
    before = site.version()
    Leases(hot.store).acquire("scheduler")  # renewed every few seconds while running
    assert site.version() == before
    hot.store.ingest(posts=[post("new", ("2611.00001",))], seen_at=NOW)
    after_fetch = site.version()
    assert after_fetch != before
    digest = replace(hot.published[TODAY], day=date(2026, 11, 27))
    publish(hot.store, digest, "markdown:posts", datetime(2026, 11, 27, 8, tzinfo=UTC))
    assert site.version() != after_fetch
