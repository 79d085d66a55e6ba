"""Weekly digests: once per week per subscription, through the same ledger as the daily one."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from bot.app import App, build_deliverer, build_scheduler
from bot.delivery.deliver import RetryPolicy
from bot.delivery.lease import Leases
from bot.delivery.ledger import Ledger, ledger_day, part_key
from bot.delivery.manual import post_once
from bot.delivery.queue import OutboundQueue
from bot.delivery.schedule import run_on
from bot.delivery.scheduler import KINDS, DeliveryScheduler
from bot.delivery.schema import migrations
from bot.delivery.status import channel_status, describe
from bot.store import Store
from bot.subscriptions import Subscription
from tests.delivery.fakechannel import MemoryChannel
from tests.delivery.support import NINE_BERLIN, TODAY, Clock, subscribe
from tests.factories import DISCORD, DISCORD_2, snowflake

THURSDAY = "thu"  # TODAY is a Thursday


def make(app: App, channel: MemoryChannel) -> DeliveryScheduler:
    deliverer = build_deliverer(app, {"discord": channel}, leases=Leases(app.store),
                                queue=OutboundQueue({}), retry=RetryPolicy(base=0.001))  # fmt: skip
    return build_scheduler(app, deliverer)


def react(app: App, channel: str, arxiv_id: str, *users: str, at: datetime) -> None:
    """People react to a single-paper message of ours in channel."""
    message = f"m-{arxiv_id}"
    app.reactions.remember("discord", channel, message, [arxiv_id])
    for user in users:
        app.signals.added("discord", channel, message, user, "👍", at)


def texts(channel: MemoryChannel, target: str) -> list[str]:
    return [message.text for _, message in channel.posts.get(target, [])]


async def test_a_weekly_and_a_daily_digest_on_the_same_day_each_post_exactly_once(
    app: App, clock: Clock
) -> None:
    channel = MemoryChannel(per_message=10)
    subscribe(app, DISCORD, weekly=THURSDAY)
    ids = app.store.query("SELECT arxiv_id FROM papers ORDER BY arxiv_id")
    react(app, DISCORD, ids[5]["arxiv_id"], "u1", "u2", at=NINE_BERLIN - timedelta(days=2))
    react(app, DISCORD_2, ids[4]["arxiv_id"], "u1", "u2", "u3", at=NINE_BERLIN)  # elsewhere
    scheduler = make(app, channel)
    await scheduler.start(catch_up=False)
    try:
        assert {j.id for j in scheduler.scheduler.get_jobs()} == {
            "digest:discord:10000000000000001", "weekly:discord:10000000000000001", "sweep",
        }  # fmt: skip
        daily, weekly = (
            await scheduler.fire(DISCORD),
            await scheduler.fire(DISCORD, "weekly"),
        )
        assert daily is not None and weekly is not None
        assert (daily.status, daily.kind, weekly.status, weekly.kind) == (
            "sent", "daily", "sent", "weekly",
        )  # fmt: skip
        again = [await scheduler.fire(DISCORD, k) for k in ("daily", "weekly")]
        assert [o.status for o in again if o is not None] == ["done", "done"]
        assert await scheduler.sweep() == []  # nothing missed, nothing unfinished
    finally:
        await scheduler.shutdown(1)
    ledger = Ledger(app.store, app.clock)
    week = ledger.get(DISCORD, TODAY, "weekly")
    assert week is not None and week.state == "sent"
    assert {p.key[:3] for p in week.parts} == {"hw-"}
    assert {p.key[:3] for p in ledger.get(DISCORD, TODAY).parts} == {"hp-"}
    daily_text, favourites, top = texts(channel, snowflake(1))  # the daily digest, then the weekly
    assert (
        favourites == f"1. A study of {ids[5]['arxiv_id']}" == f"1. A study of {week.arxiv_ids[0]}"
    )
    assert top == daily_text  # the week's top is this week's papers, most engagement first


async def test_the_weekly_favourites_count_people_and_the_overall_top_is_the_weeks(
    app: App,
) -> None:
    ids = [r["arxiv_id"] for r in app.store.query("SELECT arxiv_id FROM papers ORDER BY 1")]
    react(app, DISCORD, ids[3], "u1", "u2", "u3", at=NINE_BERLIN - timedelta(days=1))
    react(app, DISCORD, ids[5], "u1", at=NINE_BERLIN - timedelta(days=6))
    react(app, DISCORD, ids[0], "u9", at=NINE_BERLIN - timedelta(days=8))  # last week
    sub = subscribe(app, DISCORD, weekly=THURSDAY, top=3)
    week = app.weekly.week(sub.channel, sub.selection(), day=TODAY, end=NINE_BERLIN)
    favourites = [(p.paper.arxiv_id, p.score, p.explanation) for p in week.favourites.papers]
    assert favourites == [
        (ids[3], 3.0, "3 people here reacted"), (ids[5], 1.0, "1 person here reacted"),
    ]  # fmt: skip
    top = week.overall.papers
    assert [p.paper.arxiv_id for p in top] == ids[:3]  # by the week's engagement
    assert all(p.score == sum(p.breakdown.values()) for p in top)
    assert top[0].score == 15.0  # X: 0.05 x (100 reposts + 200 likes), undecayed, no growth bonus
    other = app.weekly.week(DISCORD_2, sub.selection(), day=TODAY, end=NINE_BERLIN)
    assert other.digests == (other.overall,)  # nobody reacted there: the top alone


async def test_an_empty_week_follows_the_empty_day_setting(app: App, clock: Clock) -> None:
    app.store.ingest(seen_at=NINE_BERLIN)  # a new generation, nothing in it
    clock.set(NINE_BERLIN + timedelta(days=30))  # a month on: no paper of this week
    channel = MemoryChannel()
    sub = subscribe(app, DISCORD, weekly="fri", empty_day="skip")
    deliverer = build_deliverer(app, {"discord": channel}, leases=Leases(app.store),
                                queue=OutboundQueue({}))  # fmt: skip
    day = (NINE_BERLIN + timedelta(days=30)).date()
    outcome = await deliverer.deliver(sub, run_on(sub, day, "weekly"), "manual")
    assert (outcome.status, outcome.kind) == ("skipped", "weekly")
    assert "empty week" in outcome.detail and channel.sends == 0


def test_a_ledger_from_before_weekly_digests_keeps_its_rows_as_daily(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    Store(path).close()
    db = Database(sqlite3.connect(path))
    migrations.apply(db, stop_before="m004_delivery_kinds")
    db.execute(
        "INSERT INTO deliveries (channel, day, state, trigger, created_at, updated_at, digest)"
        " VALUES (?, '2026-11-25', 'sent', 'schedule', '2026-11-25T08:00:00Z',"
        " '2026-11-25T08:00:00Z', '{}')",
        [DISCORD],
    )
    db.execute(
        "INSERT INTO delivery_parts (channel, day, part, key, message, state) VALUES"
        ' (?, \'2026-11-25\', 0, \'hp-1\', \'{"payload": {}, "text": "t",'
        ' "arxiv_ids": [], "extra": {}}\', \'sent\')',
        [DISCORD],
    )
    db.conn.commit()
    db.conn.close()
    store = Store(path)
    ledger = Ledger(store, lambda: datetime(2026, 11, 26, tzinfo=UTC))
    old = ledger.get(DISCORD, TODAY - timedelta(days=1))
    assert old is not None and old.kind == "daily" and [p.key for p in old.parts] == ["hp-1"]
    assert store.query_one("SELECT digest FROM deliveries") == {"digest": "{}"}
    assert ledger.get(DISCORD, TODAY - timedelta(days=1), "weekly") is None
    with store.transaction() as tx:  # the parts' foreign key follows the new key
        tx.execute("DELETE FROM deliveries")
    assert store.query("SELECT * FROM delivery_parts") == []
    assert part_key(DISCORD, TODAY, 0, "weekly") != part_key(DISCORD, TODAY, 0)
    assert len(part_key(DISCORD, TODAY, 99, "weekly")) <= 25
    store.close()


async def test_a_weekly_run_missed_while_down_is_caught_up_once_by_the_sweep(
    app: App, clock: Clock
) -> None:
    subscribe(app, DISCORD, weekly=THURSDAY)
    clock.set(NINE_BERLIN + timedelta(hours=2))  # started two hours after both were due
    channel = MemoryChannel(per_message=10)
    scheduler = make(app, channel)
    await scheduler.start(catch_up=False)  # up again: the sweep, not the start-up, catches up
    try:
        assert {j.id for j in scheduler.scheduler.get_jobs()} == {
            "digest:discord:10000000000000001", "weekly:discord:10000000000000001", "sweep",
        }  # fmt: skip
        assert channel.posts == {}  # starting posted nothing
        first = await scheduler.sweep()
        again = await scheduler.sweep()
    finally:
        await scheduler.shutdown(1)
    assert sorted((o.kind, o.status) for o in first) == [("daily", "sent"), ("weekly", "sent")]
    assert again == []
    ledger = Ledger(app.store, app.clock)
    assert [(d.trigger, d.state) for d in (ledger.get(DISCORD, TODAY, k) for k in KINDS) if d] == [
        ("catch-up", "sent"), ("catch-up", "sent"),
    ]  # fmt: skip
    sub = app.subscriptions.get(DISCORD)
    assert sub is not None
    text = channel_status(sub, ledger, clock())
    assert "\nNext weekly digest: Thu 2026-12-03 09:00 CET (in 166 h)" in text
    assert "Last digest: 2026-11-26: posted" in text
    monday = Ledger(app.store, app.clock).get(DISCORD, TODAY, "weekly")
    assert monday is not None and describe(monday, sub.timezone).startswith(
        "weekly, week of 2026-11-23: posted Thu 2026-11-26"
    )


def weeklies(app: App) -> list[tuple[str, str]]:
    """The weekly rows of the ledger: (day filed under, state)."""
    rows = app.store.query("SELECT day, state FROM deliveries WHERE kind = 'weekly' ORDER BY day")
    return [(r["day"], r["state"]) for r in rows]


def weekly_posts(channel: MemoryChannel) -> list[str]:
    """The keys of the weekly digests' messages posted, in order."""
    return [key for key in channel.keys(snowflake(1)) if key.startswith("hw-")]


def change(app: App, scheduler: DeliveryScheduler, **settings: str) -> Subscription:
    """Change the subscription as /digest settings does: saved, and the scheduler told."""
    old = app.subscriptions.get(DISCORD)
    assert old is not None
    sub = app.subscriptions.save(replace(old, **settings), app.clock())
    scheduler.on_change(sub, DISCORD)
    return sub


async def test_moving_the_weekly_day_after_this_weeks_post_waits_for_next_week(
    app: App, clock: Clock
) -> None:
    subscribe(app, DISCORD, weekly=THURSDAY, days=("thu",))
    channel = MemoryChannel(per_message=10)
    scheduler = make(app, channel)
    await scheduler.start(catch_up=False)
    try:
        first = await scheduler.fire(DISCORD, "weekly")  # Thursday 26 November
        assert first is not None and first.status == "sent" and first.day == date(2026, 11, 23)
        posted = weekly_posts(channel)
        sub = change(app, scheduler, weekly="fri")
        status = channel_status(sub, Ledger(app.store, app.clock), clock())
        assert "Next weekly digest: Fri 2026-12-04 09:00 CET" in status  # not tomorrow
        clock.set(NINE_BERLIN + timedelta(days=1))  # Friday, the new day: this week is done
        friday = await scheduler.fire(DISCORD, "weekly")
        assert friday is not None and friday.status == "done"
        assert [o for o in await scheduler.sweep() if o.kind == "weekly"] == []
        change(app, scheduler, weekly="mon")
        clock.set(NINE_BERLIN + timedelta(days=4))  # Monday 30 November: a new week
        monday = await scheduler.fire(DISCORD, "weekly")
        again = await scheduler.fire(DISCORD, "weekly")
        assert monday is not None and monday.status == "sent"
        assert again is not None and again.status == "done"
        assert [o for o in await scheduler.sweep() if o.kind == "weekly"] == []
    finally:
        await scheduler.shutdown(1)
    # The sweep on Friday found the week before's Friday never posted: recorded as missed.
    assert weeklies(app) == [("2026-11-16", "skipped"), ("2026-11-23", "sent"),
                             ("2026-11-30", "sent")]  # fmt: skip
    keys = weekly_posts(channel)
    assert keys[: len(posted)] == posted and len(keys) == 2 * len(posted)
    assert {key.split("-")[1] for key in keys} == {"20261123", "20261130"}  # one key per week


async def test_a_restart_after_the_day_moved_mid_week_catches_up_nothing_then_next_week_once(
    app: App, clock: Clock
) -> None:
    monday = NINE_BERLIN - timedelta(days=3)  # Monday 23 November, 09:00 Berlin
    clock.set(monday)
    sub = subscribe(app, DISCORD, weekly="mon", days=("mon",))
    channel = MemoryChannel(per_message=10)
    deliverer = build_deliverer(app, {"discord": channel}, leases=Leases(app.store),
                                queue=OutboundQueue({}))  # fmt: skip
    sent = await deliverer.deliver(sub, run_on(sub, monday.date(), "weekly"), "schedule")
    assert sent.status == "sent"
    app.subscriptions.save(replace(sub, weekly=THURSDAY), monday)  # changed while it was down
    clock.set(NINE_BERLIN + timedelta(hours=1))  # Thursday, started within the grace period
    for _ in range(2):  # a second restart changes nothing either
        scheduler = make(app, channel)
        await scheduler.start(catch_up=False)
        try:
            assert [o for o in await scheduler.sweep() if o.kind == "weekly"] == []
        finally:
            await scheduler.shutdown(1)
    assert weeklies(app) == [("2026-11-23", "sent")]  # nothing recorded as missed either
    clock.set(NINE_BERLIN + timedelta(days=7, hours=1))  # next Thursday, down at 09:00
    scheduler = make(app, channel)
    await scheduler.start(catch_up=False)
    try:
        caught = [o for o in await scheduler.sweep() if o.kind == "weekly"]
        assert [(o.status, o.day) for o in caught] == [("sent", date(2026, 11, 30))]
        assert [o for o in await scheduler.sweep() if o.kind == "weekly"] == []
    finally:
        await scheduler.shutdown(1)
    assert weeklies(app) == [("2026-11-23", "sent"), ("2026-11-30", "sent")]


async def test_posting_the_week_on_demand_counts_as_its_weekly_digest(
    app: App, clock: Clock
) -> None:
    sub = subscribe(app, DISCORD, weekly="fri", days=("thu",))
    channel = MemoryChannel(per_message=10)
    deliverer = build_deliverer(app, {"discord": channel}, leases=Leases(app.store),
                                queue=OutboundQueue({}))  # fmt: skip
    posted = await post_once(deliverer, sub, None, app.clock, kind="weekly")
    assert (posted.status, posted.kind, posted.day) == ("sent", "weekly", date(2026, 11, 23))
    twice = await post_once(deliverer, sub, TODAY - timedelta(days=2), app.clock, kind="weekly")
    assert twice.status == "done"  # Tuesday of the same week: already out
    clock.set(NINE_BERLIN + timedelta(days=1))  # Friday, its scheduled day
    scheduler = make(app, channel)
    await scheduler.start(catch_up=False)
    try:
        friday = await scheduler.fire(DISCORD, "weekly")
        assert friday is not None and friday.status == "done"
    finally:
        await scheduler.shutdown(1)
    daily = await post_once(deliverer, sub, TODAY, app.clock)  # the daily digest is its own
    assert (daily.status, daily.kind) == ("sent", "daily")
    assert weeklies(app) == [("2026-11-23", "sent")]


def old_ledger(path: Path, rows: list[tuple[str, str]]) -> Store:
    """A store whose ledger predates filing weeklies by week, with weekly rows (day, state)."""
    Store(path).close()
    db = Database(sqlite3.connect(path))
    migrations.apply(db, stop_before="m005_weekly_by_week")
    for day, state in rows:
        db.execute(
            "INSERT INTO deliveries (channel, kind, day, state, trigger, created_at, updated_at)"
            " VALUES (?, 'weekly', ?, ?, 'schedule', ?, ?)",
            [DISCORD, day, state, f"{day}T08:00:00Z", f"{day}T08:00:00Z"],
        )
        db.execute(
            "INSERT INTO delivery_parts (channel, kind, day, part, key, message, state)"
            ' VALUES (?, \'weekly\', ?, 0, ?, \'{"payload": {}, "text": "t",'
            ' "arxiv_ids": [], "extra": {}}\', \'sent\')',
            [DISCORD, day, part_key(DISCORD, date(2000, 1, 1), 0) + day],
        )
    db.execute(
        "INSERT INTO deliveries (channel, kind, day, state, trigger, created_at, updated_at)"
        " VALUES (?, 'daily', '2026-11-26', 'sent', 'schedule', '2026-11-26', '2026-11-26')",
        [DISCORD],
    )
    db.conn.commit()
    db.conn.close()
    return Store(path)


def test_the_migration_files_weekly_rows_by_week_keeping_one_per_week(tmp_path: Path) -> None:
    # Week of 16 Nov: one on Friday. Week of 23 Nov: posted Monday, then the day moved to
    # Friday and it was posted again (the old bug), plus a skipped Sunday: the Monday one stays.
    store = old_ledger(tmp_path / "old.db", [
        ("2026-11-20", "sent"), ("2026-11-29", "skipped"), ("2026-11-27", "sent"),
        ("2026-11-23", "sent"),
    ])  # fmt: skip
    ledger = Ledger(store, lambda: datetime(2026, 11, 30, tzinfo=UTC))
    rows = store.query("SELECT day, state FROM deliveries WHERE kind = 'weekly' ORDER BY day")
    assert [(r["day"], r["state"]) for r in rows] == [
        ("2026-11-16", "sent"), ("2026-11-23", "sent"),
    ]  # fmt: skip
    parts = store.query("SELECT day, key FROM delivery_parts ORDER BY day")
    assert [(p["day"], p["key"][-10:]) for p in parts] == [
        ("2026-11-16", "2026-11-20"), ("2026-11-23", "2026-11-23"),
    ]  # fmt: skip  # each row's own parts, under their old keys (one may be on its way out)
    week = ledger.get(DISCORD, date(2026, 11, 27), "weekly")  # any day of the week finds it
    assert week is not None and week.day == date(2026, 11, 23) and len(week.parts) == 1
    daily = ledger.get(DISCORD, TODAY)
    assert daily is not None and daily.day == TODAY  # daily rows are as they were
    assert ledger.days(DISCORD, date(2026, 11, 18), "weekly") == {date(2026, 11, 16),
                                                                  date(2026, 11, 23)}  # fmt: skip
    store.close()


def test_weekly_keys_name_the_week_and_stay_unique_per_part() -> None:
    week = [date(2026, 11, 23) + timedelta(days=i) for i in range(7)]
    assert {ledger_day(d, "weekly") for d in week} == {date(2026, 11, 23)}
    assert [ledger_day(d) for d in week] == week
    assert {part_key(DISCORD, d, 0, "weekly") for d in week} == {
        part_key(DISCORD, week[0], 0, "weekly")
    }
    keys = {part_key(c, d, p, k) for c in (DISCORD, DISCORD_2) for d in week for p in range(3)
            for k in ("daily", "weekly")}  # fmt: skip
    assert len(keys) == 2 * 3 * (7 + 1)
