"""The scheduler: jobs from the table, changes, catch-up within grace, skips outside it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.app import App, build_deliverer, build_scheduler
from bot.delivery.deliver import RetryPolicy
from bot.delivery.lease import Leases
from bot.delivery.ledger import Ledger
from bot.delivery.queue import OutboundQueue
from bot.delivery.scheduler import DeliveryScheduler
from bot.sources.health import record_failure, record_skip, record_success
from bot.store import Store
from bot.subscriptions import WEEKDAYS
from tests.delivery.fakechannel import MemoryChannel
from tests.delivery.support import NINE_BERLIN, TODAY, Clock, subscribe
from tests.factories import DISCORD, DISCORD_2, SLACK, snowflake


def make(app: App, channel: MemoryChannel, fetch: Any = None) -> DeliveryScheduler:
    deliverer = build_deliverer(app, {"discord": channel}, leases=Leases(app.store),
                                queue=OutboundQueue({}), retry=RetryPolicy(base=0.001))  # fmt: skip
    return build_scheduler(app, deliverer, fetch=fetch)


async def test_jobs_are_built_from_the_table_and_follow_changes(app: App) -> None:
    subscribe(app, DISCORD)
    subscribe(app, DISCORD_2, paused=True)
    subscribe(app, SLACK)  # no Slack adapter in this process
    scheduler = make(app, MemoryChannel())
    await scheduler.start(catch_up=False)
    try:
        assert {j.id for j in scheduler.scheduler.get_jobs()} == {
            "digest:discord:10000000000000001",
            "sweep",
        }
        job = scheduler.scheduler.get_job("digest:discord:10000000000000001")
        assert str(job.trigger.timezone) == "Europe/Berlin"

        moved = app.subscriptions.update(DISCORD, {"time": "07:30"}, NINE_BERLIN)
        app.events.changed(moved, DISCORD)  # as /digest settings tells it
        fire = scheduler.next_fire(DISCORD)
        assert (fire.hour, fire.minute) == (7, 30)

        app.subscriptions.resume(DISCORD_2, NINE_BERLIN)  # as `hotpapers subscribe` would
        app.subscriptions.remove(DISCORD)
        await scheduler.reconcile()  # the sweep does this for changes made by other processes
        assert {j.id for j in scheduler.scheduler.get_jobs()} == {
            "digest:discord:10000000000000002",
            "sweep",
        }
    finally:
        await scheduler.shutdown(1)


async def test_on_change_from_another_thread_is_applied_on_the_event_loop(app: App) -> None:
    scheduler = make(app, MemoryChannel())
    await scheduler.start(catch_up=False)
    try:
        sub = subscribe(app, "discord:10000000000000007")
        thread = threading.Thread(target=scheduler.on_change, args=(sub, sub.channel))
        thread.start()
        thread.join()
        await asyncio.sleep(0.01)
        assert scheduler.next_fire("discord:10000000000000007") is not None
    finally:
        await scheduler.shutdown(1)


async def test_a_missed_run_is_caught_up_once(app: App, clock: Clock) -> None:
    subscribe(app, DISCORD, top=2)
    channel = MemoryChannel()
    clock.set(NINE_BERLIN + timedelta(hours=5, minutes=59))
    scheduler = make(app, channel)
    first = await scheduler.sweep()
    second = await scheduler.sweep()
    assert [(o.day, o.status) for o in first] == [(TODAY, "sent")]
    assert second == []
    assert len(channel.keys(snowflake(1))) == 1
    assert Ledger(app.store, app.clock).get(DISCORD, TODAY).trigger == "catch-up"


async def test_a_run_missed_beyond_the_grace_period_is_recorded_as_skipped(
    app: App, clock: Clock
) -> None:
    subscribe(app, DISCORD, top=2)
    channel = MemoryChannel()
    clock.set(NINE_BERLIN + timedelta(hours=6, minutes=1))
    assert await make(app, channel).sweep() == []
    delivery = Ledger(app.store, app.clock).get(DISCORD, TODAY)
    assert delivery.state == "skipped" and "past the 6 h grace period" in delivery.reason
    assert "2026-11-26 09:00 CET" in delivery.reason
    assert not channel.posts
    # Earlier days missed since the subscription began are on record too, never posted.
    assert Ledger(app.store, app.clock).get(DISCORD, TODAY - timedelta(days=3)).state == ("skipped")


async def test_a_new_subscription_starts_with_todays_digest_not_a_backlog(
    app: App, clock: Clock
) -> None:
    created = NINE_BERLIN + timedelta(hours=1)  # an hour after today's 09:00
    subscribe(app, DISCORD, created_at=created)
    channel = MemoryChannel()
    clock.set(created + timedelta(minutes=1))
    outcomes = await make(app, channel).sweep()
    assert [(o.day, o.status) for o in outcomes] == [(TODAY, "sent")]
    ledger = Ledger(app.store, app.clock)
    assert ledger.get(DISCORD, TODAY - timedelta(days=1)) is None  # no backlog, no record
    assert len(channel.posts[snowflake(1)]) == 2  # top 4 in messages of 2


async def test_a_subscription_made_late_in_the_day_starts_tomorrow(app: App, clock: Clock) -> None:
    created = NINE_BERLIN + timedelta(hours=10)
    subscribe(app, DISCORD, created_at=created)
    channel = MemoryChannel()
    clock.set(created + timedelta(minutes=1))
    scheduler = make(app, channel)
    assert await scheduler.sweep() == []
    assert await scheduler.fire(DISCORD) is None
    assert Ledger(app.store, app.clock).latest(DISCORD) is None
    clock.set(NINE_BERLIN + timedelta(days=1, seconds=2))
    outcome = await scheduler.fire(DISCORD)
    assert outcome is not None and outcome.day == TODAY + timedelta(days=1)


async def test_the_scheduler_runs_the_job_and_the_ledger_stops_a_repeat(
    app: App, clock: Clock
) -> None:
    subscribe(app, DISCORD, top=2)
    channel = MemoryChannel()
    clock.set(NINE_BERLIN + timedelta(seconds=1))
    scheduler = make(app, channel)
    await scheduler.start(catch_up=False)
    try:
        for _ in range(2):  # a wake-up at the wrong moment must not post twice
            scheduler.scheduler.modify_job(
                "digest:discord:10000000000000001", next_run_time=datetime.now(UTC)
            )
            for _ in range(100):
                await asyncio.sleep(0.01)
                if channel.posts and not scheduler.deliverer.busy():
                    break
        assert len(channel.keys(snowflake(1))) == 1
    finally:
        await scheduler.shutdown(1)


async def test_unfinished_deliveries_are_resumed_by_the_sweep_after_their_backoff(
    app: App, clock: Clock
) -> None:
    subscribe(app, DISCORD, top=2)
    outage = {"on": True}
    channel = MemoryChannel(fault=lambda t, n: _down() if outage["on"] else None)
    scheduler = make(app, channel)
    assert [o.status for o in await scheduler.sweep()] == ["retry"]
    outage["on"] = False
    assert await scheduler.sweep() == []  # still backing off
    clock.advance(minutes=2)
    assert [o.status for o in await scheduler.sweep()] == ["sent"]
    assert len(channel.keys(snowflake(1))) == 1


def _down() -> Any:
    from bot.channels import DeliveryError

    return DeliveryError("HTTP 503")


async def test_one_digest_per_local_day_across_a_dst_change(app: App, clock: Clock) -> None:
    subscribe(app, DISCORD, time="02:30", days=WEEKDAYS, top=2,
              created_at=datetime(2026, 10, 23, tzinfo=UTC))  # fmt: skip
    channel = MemoryChannel(per_message=5)
    scheduler = make(app, channel)
    moment = datetime(2026, 10, 24, 0, 0, tzinfo=UTC)  # Berlin falls back on 2026-10-25
    while moment < datetime(2026, 10, 27, tzinfo=UTC):
        clock.set(moment)
        await scheduler.sweep()
        await scheduler.fire(DISCORD)
        moment += timedelta(minutes=30)
    ledger = Ledger(app.store, app.clock)
    deliveries = {n: ledger.get(DISCORD, date(2026, 10, n)) for n in (24, 25, 26)}
    assert {n: d.state for n, d in deliveries.items()} == {24: "sent", 25: "sent", 26: "sent"}
    assert deliveries[25].scheduled_for == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # CEST
    assert deliveries[26].scheduled_for == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)  # CET
    assert len(channel.posts[snowflake(1)]) == 3


async def test_fetch_runs_at_start_when_data_is_stale_then_missed_runs_are_caught_up(
    app: App, clock: Clock
) -> None:
    subscribe(app, DISCORD, top=2)
    order: list[str] = []

    class Report:
        def headline(self) -> str:
            return "fetch: contributed: arxiv"

    async def fetch() -> Report:
        order.append("fetch")
        return Report()

    channel = MemoryChannel(fault=lambda t, n: order.append("post"))
    clock.set(NINE_BERLIN + timedelta(hours=1))
    scheduler = make(app, channel, fetch=fetch)
    await scheduler.start()
    try:
        for _ in range(200):
            await asyncio.sleep(0.01)
            if "post" in order:
                break
        assert order[:2] == ["fetch", "post"]
        ids = {j.id for j in scheduler.scheduler.get_jobs()}
        assert {
            "fetch:listing",
            "fetch:refresh",
            "sweep",
            "digest:discord:10000000000000001",
        } <= ids
    finally:
        await scheduler.shutdown(1)


@pytest.mark.parametrize(
    ("record", "fetches"),
    [
        (lambda store, at: record_skip(store, "x", at, "no X_BEARER_TOKEN"), True),
        (lambda store, at: record_failure(store, "arxiv", at, "offline", requests=1), True),
        (
            lambda store, at: record_success(
                store, "arxiv", at, (10, 0, 0), requests=1, note="", cursor={}
            ),
            False,
        ),
    ],
    ids=["skipped", "failed", "fetched"],
)
async def test_only_a_fetch_that_got_data_spares_the_start_up_fetch(
    app: App, clock: Clock, record: Callable[[Store, datetime], None], fetches: bool
) -> None:
    record(app.store, clock() - timedelta(minutes=5))  # a start a moment ago did this
    fetched = asyncio.Event()

    class Report:
        def headline(self) -> str:
            return "fetch: contributed: arxiv"

    async def fetch() -> Report:
        fetched.set()
        return Report()

    scheduler = make(app, MemoryChannel(), fetch=fetch)
    await scheduler.start()
    await scheduler.shutdown(10)  # waits for the start-up work in flight
    assert fetched.is_set() is fetches
