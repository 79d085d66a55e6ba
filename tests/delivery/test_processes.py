"""Fault injection through real processes: kill -9 mid fan-out, post beside run, a permanent
error, processes migrating at once (failover is in test_failover.py)."""

from __future__ import annotations

import asyncio
import json
import random
import sys
from asyncio.subprocess import PIPE, STDOUT
from pathlib import Path

from bot.store import Store
from bot.subscriptions import Subscriptions
from tests.delivery.processes import (
    PARTS,
    World,
    assert_each_channel_got_exactly_one_digest,
    posted_more_than,
    until,
)
from tests.factories import snowflake


async def test_kill_9_at_random_points_of_a_fan_out_then_restart_posts_each_digest_once(
    world: World,
) -> None:
    channels = [snowflake(i) for i in range(40)]
    world.prepare([f"discord:{c}" for c in channels], top=6)
    total = len(channels) * PARTS
    rng = random.Random(20261126)
    kills_mid_fan_out = 0
    for _ in range(3):
        before = len(world.fake.posted)
        if before == total:
            break
        proc = await world.start("run")
        # Let it start posting (imports take most of a second), then kill it at a random point.
        await until(posted_more_than(world, before), 20, "the runner to post")
        await asyncio.sleep(rng.uniform(0.0, 0.6))
        await proc.kill()
        kills_mid_fan_out += len(world.fake.posted) < total
    assert kills_mid_fan_out >= 2, "the kills should land mid fan-out"
    final = await world.start("run")
    await until(final.logged("start-up catch-up done"), 30, "the last restart's catch-up")
    await until(lambda: len(world.fake.posted) >= total, 30, "every message")
    assert await final.stop() == 0
    assert_each_channel_got_exactly_one_digest(world, channels)
    assert world.fake.lookups > 0, "restarts looked up the messages that were in flight"


async def test_post_beside_run_goes_through_the_same_ledger(world: World) -> None:
    channels = [snowflake(i) for i in range(8)]
    world.prepare([f"discord:{c}" for c in channels], top=6)
    runner = await world.start("run")
    posts = [
        await world.start("post", "--channel", f"discord:{c}") for c in channels[:2] + channels[:1]
    ]
    for post in posts:
        assert await post.wait() == 0
    outcomes = [json.loads(p.text().strip().splitlines()[-1])["status"] for p in posts]
    assert set(outcomes) <= {"sent", "done"}
    await until(lambda: len(world.fake.posted) >= len(channels) * PARTS, 30, "every message")
    assert await runner.stop() == 0
    assert_each_channel_got_exactly_one_digest(world, channels)


async def test_a_permanent_error_pauses_only_its_subscription(world: World) -> None:
    channels = [snowflake(i) for i in range(6)]
    world.fake.rules.permanent[channels[3]] = 403
    world.prepare([f"discord:{c}" for c in channels], top=6)
    proc = await world.start("run")
    await until(lambda: len(world.fake.posted) >= 5 * PARTS, 20, "the other channels")
    await until(proc.logged(f"discord:{channels[3]} paused"), 10, "the pause")
    assert await proc.stop() == 0
    ok = [c for c in channels if c != channels[3]]
    assert_each_channel_got_exactly_one_digest(world, ok)
    paused = {s.channel: s.paused_reason for s in Subscriptions(Store(world.db)).all() if s.paused}
    assert paused == {f"discord:{channels[3]}": "403: missing access"}


async def test_processes_starting_together_apply_the_delivery_tables_once(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    Store(db).close()  # the core tables exist; the delivery tables do not yet
    # Each process imports, says so, and waits for the word: then all open the store at once.
    code = (
        "import sys; from datetime import datetime, UTC;"
        "from bot.store import Store; from bot.delivery.ledger import Ledger;"
        "from bot.delivery.lease import Leases;"
        "print('ready', flush=True); sys.stdin.readline(); s = Store(sys.argv[1]);"
        "Ledger(s, lambda: datetime.now(UTC)); Leases(s); print('ok')"
    )
    spawn = asyncio.create_subprocess_exec
    procs = [
        await spawn(sys.executable, "-c", code, str(db), stdin=PIPE, stdout=PIPE, stderr=STDOUT)
        for _ in range(5)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert (await proc.stdout.readline()).strip() == b"ready"
    for proc in procs:  # the word goes to all before anyone is waited for
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    outputs = [(await p.communicate())[0].decode() for p in procs]
    assert [o.strip().splitlines()[-1] for o in outputs] == ["ok"] * 5, outputs
