"""/healthz tells the truth: an enabled adapter down is a 503 naming it, until it is back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import build_app, build_runner
from bot.delivery.runner import Runner
from bot.retry import RetryPolicy
from bot.sources.health import record_failure, record_refresh, record_refresh_skipped
from bot.store import Store
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.support import NOW, seed, settings
from tests.delivery.fakechannel import MemoryChannel
from tests.delivery.support import make_settings
from tests.delivery.test_runner import healthz, until

Report = tuple[int, dict[str, Any]]
FAST = RetryPolicy(base=0.05, cap=0.3)  # restarts paced as in production, only quicker
OBSERVE = 0.05  # /healthz's view refreshed as in production (every second), only quicker


def _no_http(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected outbound request to {request.url}")


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


async def health_until(runner: Runner, wanted: Callable[[Report], bool]) -> Report:
    """Ask /healthz until it answers as wanted (each answer comes at once)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline:
        report = await healthz(runner)
        if wanted(report):
            return report
        await asyncio.sleep(0.02)
    raise AssertionError(f"/healthz never answered as wanted; last: {report}")


def names(part: str) -> Callable[[Report], bool]:
    """A 503 whose problems name the part."""
    return lambda r: r[0] == 503 and any(p.startswith(f"{part}:") for p in r[1]["problems"])


def says(part: str, words: str) -> Callable[[Report], bool]:
    """A 503 whose problem with the part says these words."""
    return lambda r: (
        r[0] == 503 and any(p.startswith(f"{part}:") and words in p for p in r[1]["problems"])
    )


def ok(report: Report) -> bool:
    return report[0] == 200


async def test_healthz_is_503_while_discord_is_down_and_200_once_it_is_back_by_itself(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    store = Store(tmp_path / "hotpapers.db")
    seed(store)
    app = build_app(
        settings(fake, tmp_path / "hotpapers.db"),
        clock=lambda: NOW,
        store=store,
        transport=httpx.MockTransport(_no_http),
    )
    fake.outage = True  # Discord is unreachable when the bot boots
    runner = build_runner(app, restart=FAST, observe_seconds=OBSERVE)
    task = asyncio.create_task(runner.run(host="127.0.0.1", port=0))
    try:
        await until(lambda: runner.port is not None)
        _, report = await health_until(runner, says("discord", "failed to start"))
        assert report["role"] == "leader"
        assert "failed to start" in report["adapters"]["discord"]["error"]
        fake.outage = False  # it comes back: the adapter is started again, nobody restarts us
        _, report = await health_until(runner, ok)
        assert report["adapters"]["discord"]["connected"] is True
        assert fake.refused >= 1

        fake.outage = True  # then the connection drops and Discord refuses to take it back
        await fake.drop_gateway()
        await health_until(runner, says("discord", "disconnected"))
        fake.outage = False  # discord.py resumes the session by itself
        _, report = await health_until(runner, ok)
        assert report["adapters"]["discord"]["connected"] is True
        assert fake.ops(6), "the session was resumed, not identified afresh"
    finally:
        runner.stop.set()
        await asyncio.wait_for(task, 20)
        await app.aclose()


async def test_the_scheduler_not_running_is_a_503_and_failing_sources_or_refreshes_are_not(
    tmp_path: Path,
) -> None:
    app = build_app(make_settings(tmp_path), store=Store(tmp_path / "hotpapers.db"))
    runner = build_runner(app, channels={"discord": MemoryChannel()}, observe_seconds=OBSERVE)
    task = asyncio.create_task(runner.run(host="127.0.0.1", port=0))
    try:
        await until(lambda: runner.role == "leader")
        record_failure(app.store, "hackernews", NOW, "HTTP 502", requests=1)
        status, report = await health_until(
            runner, lambda r: "hackernews" in r[1]["sources"]
        )  # reported in the body, not an outage of the bot
        assert status == 200 and report["sources"]["hackernews"]["status"] == "failed"
        # A refresh held up behind a slow one says so too, without being an outage.
        record_refresh(app.store, NOW, None)
        record_refresh_skipped(app.store, NOW, "the previous refresh is still running")
        status, report = await health_until(runner, lambda r: r[1]["refreshes"]["skipped"] == 1)
        assert status == 200 and report["refreshes"]["last_finished"] is None
        assert report["refreshes"]["last_skip_reason"] == "the previous refresh is still running"
        runner.scheduler.scheduler.shutdown(wait=False)  # as if it had died under us
        status, report = await health_until(runner, names("scheduler"))
        assert report["problems"] == ["scheduler: not running"]
    finally:
        runner.stop.set()
        await asyncio.wait_for(task, 20)
        await app.aclose()
