"""Failover through real processes: two runners at once, then the standby takes over; a missed
run caught up once across restarts."""

from __future__ import annotations

from datetime import timedelta

from bot.delivery.ledger import Ledger
from bot.store import Store
from bot.timeutil import utcnow
from tests.delivery.processes import PARTS, World, assert_each_channel_got_exactly_one_digest, until
from tests.delivery.support import NINE_BERLIN, TODAY
from tests.factories import snowflake

# Its own file so that xdist runs it beside test_processes.py: both mostly wait on processes.


async def test_two_runners_at_once_post_once_and_the_standby_takes_over(world: World) -> None:
    channels = [snowflake(i) for i in range(20)]
    world.prepare([f"discord:{c}" for c in channels], top=6)
    first = await world.start("run", "--port", "0")
    second = await world.start("run", "--port", "0")
    total = len(channels) * PARTS
    await until(lambda: len(world.fake.posted) >= total, 30, "every message")
    await until(lambda: bool(first.port() and second.port()), 10, "both web servers")
    roles = {p: (await p.health())["role"] for p in (first, second)}
    assert sorted(roles.values()) == ["leader", "standby"]
    leader = next(p for p, role in roles.items() if role == "leader")
    standby = second if leader is first else first
    await leader.kill()
    await until(standby.logged("leading the scheduler"), 10, "the standby to lead")
    assert (await standby.health())["role"] == "leader"
    assert await standby.stop() == 0
    assert_each_channel_got_exactly_one_digest(world, channels)


async def test_a_missed_run_is_caught_up_once_and_one_past_grace_is_skipped(
    world: World,
) -> None:
    late, gone = snowflake(1), snowflake(2)
    world.prepare([f"discord:{late}"], top=6)  # 09:00 Berlin: 2 h before "now", within grace
    world.prepare([f"discord:{gone}"], top=6, time="02:00")  # 8 h before "now": past grace
    now = (NINE_BERLIN + timedelta(hours=2)).isoformat()
    for _ in range(2):  # the second start must not post again
        proc = await world.start("run", now=now)
        await until(proc.logged("start-up catch-up done"), 20, "the catch-up")
        assert await proc.stop() == 0
    assert_each_channel_got_exactly_one_digest(world, [late])
    assert gone not in world.fake.by_channel()
    skipped = Ledger(Store(world.db), utcnow).get(f"discord:{gone}", TODAY)
    assert skipped.state == "skipped" and "past the 6 h grace period" in skipped.reason
