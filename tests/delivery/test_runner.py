"""The runner in-process: the Markdown blog with no tokens, /healthz, standby, hooks, shutdown."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import bot.app
from bot.adapters.markdown import MarkdownChannel
from bot.app import App, build_app, build_runner
from bot.channels import OutboundMessage
from bot.delivery.lease import SCHEDULER, Leases
from bot.delivery.ledger import Ledger
from bot.delivery.platforms import Platforms
from bot.delivery.runner import Runner
from bot.store import Store
from tests.delivery.fakechannel import MemoryChannel
from tests.delivery.processes import HOLDER
from tests.delivery.support import (
    NINE_BERLIN,
    TLS,
    TODAY,
    Clock,
    make_settings,
    seed,
    subscribe,
)
from tests.delivery.test_lease import live_stranger
from tests.factories import DISCORD, snowflake


async def until(check: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait for a condition the runner brings about in the background."""
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def running(runner: Runner, body: Callable[[], Awaitable[Any]]) -> Any:
    """Run the runner around body (with a web server on a free port), then stop it."""
    task = asyncio.create_task(runner.run(host="127.0.0.1", port=0))
    try:
        await until(lambda: runner.port is not None and runner.role != "starting")
        return await body()
    finally:
        runner.stop.set()
        await asyncio.wait_for(task, 10)


async def healthz(runner: Runner) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(verify=TLS) as client:
        response = await client.get(f"http://127.0.0.1:{runner.port}/healthz")
    return response.status_code, response.json()


def exists(path: Path) -> bool:
    return path.exists()


def posted(app: App, channel: str) -> bool:
    """Today's digest of the channel is out."""
    delivery = Ledger(app.store, app.clock).get(channel, TODAY)
    return delivery is not None and delivery.state == "sent"


async def test_without_chat_tokens_the_runner_writes_the_daily_blog_post(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    clock.set(NINE_BERLIN + timedelta(minutes=30))  # 08:30 UTC: the blog's 08:00 UTC was due
    markdown = MarkdownChannel(app.settings.config.markdown)
    runner = build_runner(app, channels={"markdown": markdown})
    post = tmp_path / "posts" / "hot-papers-2026-11-26.md"

    async def body() -> dict[str, Any]:
        await until(lambda: exists(post))
        status, report = await healthz(runner)
        assert status == 200
        return report

    report = await running(runner, body)
    [sub] = app.subscriptions.all()
    assert sub.channel == f"markdown:{tmp_path / 'posts'}" and sub.time == "08:00"
    assert report["role"] == "leader" and report["scheduler"]["running"]
    assert report["scheduler"]["subscriptions"] == 1
    assert report["adapters"]["markdown"]["writable"] is True
    assert Ledger(app.store, app.clock).get(sub.channel, TODAY).state == "sent"
    assert Leases(app.store).holder(SCHEDULER) is None  # released on the way out


async def test_a_second_runner_stands_by_while_the_first_leads(app: App) -> None:
    subscribe(app, DISCORD)
    other = Leases(app.store, holder=live_stranger())
    assert other.acquire(SCHEDULER)
    channel = MemoryChannel()
    runner = build_runner(app, channels={"discord": channel})

    async def body() -> tuple[int, dict[str, Any]]:
        await asyncio.sleep(0.2)
        return await healthz(runner)

    status, report = await running(runner, body)
    assert status == 200 and report["role"] == "standby"
    assert report["leader"] == other.me
    assert not channel.posts


async def test_the_leader_ranks_before_its_adapters_take_commands(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first /hot after a start finds the rankings ready instead of ranking cold.
    order: list[str] = []
    ranked = bot.app.rank_ahead
    started = Platforms.start

    def rank(app: App) -> None:
        order.append("ranked")
        ranked(app)

    async def start(self: Platforms) -> None:
        order.append("adapters started")
        await started(self)

    monkeypatch.setattr(bot.app, "rank_ahead", rank)
    monkeypatch.setattr(Platforms, "start", start)
    runner = build_runner(app, channels={"discord": MemoryChannel()})
    await running(runner, lambda: until(lambda: runner.role == "leader" and len(order) >= 2))
    assert order[:2] == ["ranked", "adapters started"]


async def test_leading_runner_sets_the_chat_command_hooks(app: App, clock: Clock) -> None:
    subscribe(app, DISCORD, top=2)
    runner = build_runner(app, channels={"discord": MemoryChannel()})

    async def body() -> str:
        await until(lambda: posted(app, DISCORD))
        reply = app.commands.digest(DISCORD, "settings time=10:00", can_manage=True)
        assert "10:00" in reply.text
        assert runner.scheduler is not None
        fire = runner.scheduler.next_fire(DISCORD).astimezone(UTC)
        assert (fire.hour, fire.minute) == (9, 0)  # 10:00 Berlin is 09:00 UTC
        return app.commands.digest(DISCORD, "status", can_manage=False).text

    text = await running(runner, body)
    assert "Last digest: 2026-11-26: posted Thu 2026-11-26 09:00 CET (1 message(s))" in text
    assert "Next digest: Fri 2026-11-27 10:00 CET" in text
    # Once the runner stopped, changes are saved but nothing is scheduled any more.
    reply = app.commands.digest(DISCORD, "settings time=11:00", can_manage=True)
    assert "11:00" in reply.text and runner.scheduler.next_fire(DISCORD) is None


class SlowChannel(MemoryChannel):
    async def send(self, target: str, message: OutboundMessage, *, key: str) -> str:
        await asyncio.sleep(0.3)
        return await super().send(target, message, key=key)


async def test_shutdown_lets_posts_in_flight_finish(app: App) -> None:
    subscribe(app, DISCORD, top=4)
    channel = SlowChannel(per_message=1)
    runner = build_runner(app, channels={"discord": channel})

    async def body() -> None:
        await until(lambda: channel.sends >= 1)

    await running(runner, body)  # stop is set while the first of four messages is out
    assert len(channel.keys(snowflake(1))) == 4
    assert Ledger(app.store, app.clock).get(DISCORD, TODAY).state == "sent"


class LockHolder:
    """Another process holding the database's write lock until told to let go."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def hold(cls, db: Path) -> LockHolder:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLDER, str(db),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        assert await process.stdout.readline() == b"holding\n"
        return cls(process)

    async def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"go\n")
        await self.process.stdin.drain()
        assert await self.process.wait() == 0


async def test_a_store_held_by_another_process_is_waited_out_reported_and_survived(
    tmp_path: Path, clock: Clock
) -> None:
    # Short leases, sweeps and thresholds, and writes that give up after 0.2 s, so a hold of
    # a second or two goes through every stage: refused renewals, refused deliveries, 503.
    settings = make_settings(
        tmp_path, lease_seconds=1.5, sweep_seconds=0.3, store_unavailable_seconds=0.5
    )
    app = build_app(settings, clock=clock, store=Store(settings.env.hotpapers_db, timeout=0.2))
    try:
        seed(app.store)
        clock.set(NINE_BERLIN - timedelta(hours=1))  # nothing due yet
        subscribe(app, DISCORD, top=2)
        channel = MemoryChannel()
        runner = build_runner(app, channels={"discord": channel}, observe_seconds=0.1)

        async def body() -> list[tuple[int, dict[str, Any]]]:
            await until(lambda: runner.role == "leader")
            holder = await LockHolder.hold(settings.env.hotpapers_db)
            try:
                clock.set(NINE_BERLIN + timedelta(minutes=1))  # the digest is due, but held up
                seen = [await healthz(runner)]
                while seen[-1][0] != 503 and len(seen) < 2000:  # each answered at once
                    seen.append(await healthz(runner))
                for _ in range(5):
                    seen.append(await healthz(runner))
                assert not channel.posts and runner.role == "leader"
            finally:
                await holder.release()
            await until(lambda: posted(app, DISCORD))
            seen.append(await healthz(runner))
            for _ in range(2000):  # the leader is observed every 0.1 s
                if seen[-1][0] == 200 and seen[-1][1]["leader"] is not None:
                    break
                seen.append(await healthz(runner))
            return seen

        seen = await running(runner, body)
    finally:
        await app.aclose()
    held = [report for status, report in seen if status == 503]
    assert len(held) >= 6
    for report in held:
        assert report["role"] == "leader" and report["store"]["writable"] is False
        (problem,) = report["problems"]
        assert problem.startswith("store: writes blocked for") and "locked" in problem
    status, report = seen[-1]
    assert status == 200 and report["problems"] == [] and report["role"] == "leader"
    assert report["leader"] == runner.leases.me
    assert len(channel.keys(snowflake(1))) == 1  # posted once, after the hold
