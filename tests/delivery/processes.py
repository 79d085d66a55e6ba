"""Starting, killing and watching real runner processes against the fake platform."""

from __future__ import annotations

import asyncio
import functools
import os
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from bot.app import build_app
from bot.config import Config, Env, Settings
from bot.delivery.ledger import Ledger, part_key
from bot.store import Store
from bot.timeutil import utcnow
from tests.delivery.fakeplatform import FakePlatform
from tests.delivery.support import NINE_BERLIN, TLS, TODAY, seed, subscribe
from tests.forkserver import Child, ForkServer

ROOT = Path(__file__).resolve().parents[2]
# Another process holding the database's write lock (as a backup tool or a `sqlite3` shell left
# in a transaction would): `python -c HOLDER DB` says "holding", then lets go at a line on stdin.
HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


@dataclass(eq=False)
class Proc:
    """A running helper process and its log file."""

    child: Child
    log: Path

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def port(self) -> int | None:
        found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.text())
        return int(found[1]) if found else None

    async def kill(self) -> None:
        """kill -9, and wait until it is reaped (a zombie would still look alive to a lease)."""
        self.child.signal(signal.SIGKILL)
        await self.child.wait()

    async def stop(self) -> int:
        """SIGTERM, and the exit code of the graceful shutdown."""
        self.child.signal(signal.SIGTERM)
        return await asyncio.wait_for(self.child.wait(), 20)

    async def wait(self) -> int:
        """The exit code, once it has ended by itself."""
        return await self.child.wait()

    def logged(self, text: str) -> Callable[[], bool]:
        """A check for until(): the process has logged text."""
        return lambda: text in self.text()

    async def health(self) -> dict[str, object]:
        async with httpx.AsyncClient(verify=TLS) as client:
            response = await client.get(f"http://127.0.0.1:{self.port()}/healthz", timeout=5)
        return response.json()  # type: ignore[no-any-return]


class World:
    """A database with subscriptions, a fake platform, and helper processes."""

    def __init__(self, tmp_path: Path, fake: FakePlatform, forks: ForkServer) -> None:
        self.tmp = tmp_path
        self.db = tmp_path / "hotpapers.db"
        self.fake = fake
        self.forks = forks
        self.count = 0
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "HOTPAPERS_DELIVERY__LEASE_SECONDS": "3",
            "HOTPAPERS_DELIVERY__SWEEP_SECONDS": "1",
            "HOTPAPERS_MARKDOWN__FOLDER": str(tmp_path / "posts"),
        }

    def prepare(self, channels: list[str], **settings: object) -> Store:
        """Seed papers and subscribe channels (in this process, before any helper starts)."""
        store = Store(self.db)
        seed(store, count=8)
        app = build_app(Settings(Config(), Env(hotpapers_db=self.db)), store=store)
        for channel in channels:
            subscribe(app, channel, **settings)
        return store

    async def start(self, *args: str, now: str = "") -> Proc:
        """`python -m tests.delivery.proc ARGS` (forked warm: see tests/forkserver.py)."""
        self.count += 1
        log = self.tmp / f"proc-{self.count}.log"
        moment = now or (NINE_BERLIN + timedelta(seconds=5)).isoformat()
        argv = [*args, "--db", str(self.db), "--fake", self.fake.url, "--now", moment]
        spawn = functools.partial(self.forks.spawn, env=self.env, cwd=ROOT, stdout=log)
        return Proc(await asyncio.to_thread(spawn, "tests.delivery.proc", argv), log)


async def until(check: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll a condition; fail with `what` after `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


PARTS = 3  # top 6 papers, 2 per message


def posted_more_than(world: World, count: int) -> Callable[[], bool]:
    """A check for until(): the fake platform took more than count messages."""
    return lambda: len(world.fake.posted) > count


def expected(channel: str) -> list[str]:
    """The idempotency keys of a channel's digest today, part by part."""
    return [part_key(f"discord:{channel}", TODAY, i) for i in range(PARTS)]


def assert_each_channel_got_exactly_one_digest(world: World, channels: list[str]) -> None:
    """No message twice, every part of every channel's digest, and the ledger says sent."""
    keys = [(p.channel, p.key) for p in world.fake.posted]
    twice = [(p.channel, p.key, p.id, round(p.at, 3)) for p in world.fake.posted
             if keys.count((p.channel, p.key)) > 1]  # fmt: skip
    assert twice == []
    got = world.fake.by_channel()
    assert {c: got.get(c) for c in channels} == {c: expected(c) for c in channels}
    ledger = Ledger(Store(world.db), utcnow)
    assert {ledger.get(f"discord:{c}", TODAY).state for c in channels} == {"sent"}
