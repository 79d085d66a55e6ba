"""Pause notices: which notice is due, claimed once, recorded, retried; across restarts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bot.channels import OutboundMessage
from bot.delivery.events import SubscriptionEvents
from bot.delivery.ledger import Ledger
from bot.delivery.notices import MAX_ATTEMPTS, Notice, PauseNotices, Told
from bot.store import Store
from bot.subscriptions import Subscription, Subscriptions
from tests.factories import NOW

CHANNEL = "slack:C0123456789"
REASON = "slack:C0123456789: the bot is not in this channel (not_in_channel)"


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "hotpapers.db")
    yield store
    store.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def subs(store: Store) -> Subscriptions:
    subscriptions = Subscriptions(store)
    subscriptions.save(Subscription(CHANNEL, workspace="T1", created_by="U7"), NOW)
    return subscriptions


@pytest.fixture
def events() -> SubscriptionEvents:
    return SubscriptionEvents()


def notices(
    store: Store, subs: Subscriptions, clock: Clock, events: SubscriptionEvents,
    platform: str = "slack",
) -> PauseNotices:  # fmt: skip
    """A PauseNotices as an adapter gets it (a new one is a restarted process)."""
    return PauseNotices(store, subs, Ledger(store, clock), events, clock, platform=platform)


@pytest.fixture
def pn(store: Store, subs: Subscriptions, clock: Clock, events: SubscriptionEvents) -> PauseNotices:
    return notices(store, subs, clock, events)


def posted(store: Store, clock: Clock, day: date, channel: str = CHANNEL) -> None:
    """Record a digest posted to the channel now, as delivery would."""
    ledger = Ledger(store, clock)
    ledger.plan(channel, day, [OutboundMessage({}, "x")], arxiv_ids=(), note="", trigger="test",
                scheduled_for=None)  # fmt: skip
    ledger.finish(channel, day, "sent")


def test_a_digest_paused_by_an_error_gets_one_notice_with_who_set_it_up(
    pn: PauseNotices, subs: Subscriptions
) -> None:
    subs.pause(CHANNEL, REASON, NOW)
    [notice] = pn.due()
    assert (notice.kind, notice.channel, notice.target) == ("paused", CHANNEL, "C0123456789")
    assert (notice.workspace, notice.created_by, notice.reason) == ("T1", "U7", REASON)
    assert pn.due() == []  # claimed: not handed out twice
    pn.record(notice, Told("U7"))
    assert pn.due() == []


def test_a_pause_someone_asked_for_gets_no_notice(pn: PauseNotices, subs: Subscriptions) -> None:
    subs.update(CHANNEL, {"paused": True, "paused_reason": ""}, NOW)
    assert pn.due() == []


def test_only_the_adapters_own_platform_is_looked_at(
    store: Store, subs: Subscriptions, clock: Clock, events: SubscriptionEvents
) -> None:
    subs.pause(CHANNEL, REASON, NOW)
    assert notices(store, subs, clock, events, "discord").due() == []
    assert len(notices(store, subs, clock, events, "slack").due()) == 1


def test_a_notice_claimed_before_a_crash_is_never_sent_again(
    pn: PauseNotices, store: Store, subs: Subscriptions, clock: Clock, events: SubscriptionEvents
) -> None:
    subs.pause(CHANNEL, REASON, NOW)
    assert len(pn.due()) == 1  # ... and the process dies before recording it
    restarted = notices(store, subs, clock, events)
    clock.now += timedelta(days=1)
    assert restarted.due() == []


def test_a_notice_that_could_not_be_sent_is_tried_again_later_then_given_up(
    pn: PauseNotices, subs: Subscriptions, clock: Clock, store: Store
) -> None:
    subs.pause(CHANNEL, REASON, NOW)
    for _ in range(MAX_ATTEMPTS):
        [notice] = pn.due()
        pn.record(notice, Told(retry=True, detail="connection refused"))
        assert pn.due() == []  # not before the backoff
        clock.now += timedelta(hours=1, seconds=1)
    assert pn.due() == []
    row = store.query_one("SELECT state, attempts FROM pause_notices")
    assert row == {"state": "failed", "attempts": MAX_ATTEMPTS}


def test_a_resumed_digest_says_it_works_once_its_next_digest_is_posted(
    pn: PauseNotices, subs: Subscriptions, store: Store, clock: Clock
) -> None:
    subs.pause(CHANNEL, REASON, NOW)
    [paused] = pn.due()
    pn.record(paused, Told("UOWNER"))
    clock.now += timedelta(hours=1)
    subs.resume(CHANNEL, clock.now)
    assert pn.due() == []  # resumed, but nothing posted yet
    clock.now += timedelta(hours=20)
    posted(store, clock, date(2026, 11, 27))
    [working] = pn.due()
    assert (working.kind, working.recipient, working.channel) == ("working", "UOWNER", CHANNEL)
    pn.record(working, Told("UOWNER"))
    clock.now += timedelta(days=2)
    posted(store, clock, date(2026, 11, 29))
    assert pn.due() == []


def test_a_digest_posted_before_the_resume_does_not_count(
    pn: PauseNotices, subs: Subscriptions, store: Store, clock: Clock
) -> None:
    posted(store, clock, date(2026, 11, 25))
    subs.pause(CHANNEL, REASON, NOW)
    [paused] = pn.due()
    pn.record(paused, Told("U7"))
    clock.now += timedelta(minutes=5)
    subs.resume(CHANNEL, clock.now)
    assert pn.due() == []


def test_a_digest_resumed_before_its_notice_went_out_gets_none(
    pn: PauseNotices, subs: Subscriptions, store: Store, clock: Clock
) -> None:
    subs.pause(CHANNEL, REASON, NOW)
    [paused] = pn.due()
    pn.record(paused, Told(retry=True))
    subs.resume(CHANNEL, NOW)
    clock.now += timedelta(days=1)
    posted(store, clock, date(2026, 11, 27))
    assert pn.due() == []


def test_nobody_reachable_means_no_works_again_notice_either(
    pn: PauseNotices, subs: Subscriptions, store: Store, clock: Clock
) -> None:
    subs.pause(CHANNEL, REASON, NOW)
    [paused] = pn.due()
    pn.record(paused, Told(detail="every admin is deactivated"))
    subs.resume(CHANNEL, NOW)
    clock.now += timedelta(days=1)
    posted(store, clock, date(2026, 11, 27))
    assert pn.due() == []


def test_a_new_pause_after_a_resume_is_a_new_notice(
    pn: PauseNotices, subs: Subscriptions, clock: Clock
) -> None:
    subs.pause(CHANNEL, REASON, NOW)
    [first] = pn.due()
    pn.record(first, Told("U7"))
    subs.resume(CHANNEL, NOW)
    assert pn.due() == []
    subs.pause(CHANNEL, "slack:C0123456789: the channel is archived (is_archived)", NOW)
    [second] = pn.due()
    assert second.id != first.id and "archived" in second.reason


def test_an_unsubscribed_channel_is_forgotten(pn: PauseNotices, subs: Subscriptions) -> None:
    subs.pause(CHANNEL, REASON, NOW)
    [paused] = pn.due()
    pn.record(paused, Told("U7"))
    subs.remove(CHANNEL)
    assert pn.due() == []
    subs.save(Subscription(CHANNEL), NOW)
    assert pn.due() == []


def test_two_processes_sweeping_at_once_send_one_notice(
    store: Store, subs: Subscriptions, clock: Clock, events: SubscriptionEvents
) -> None:
    subs.pause(CHANNEL, REASON, NOW)
    sweepers = [notices(store, subs, clock, events) for _ in range(4)]
    got: list[Notice] = []
    start = threading.Barrier(len(sweepers))

    def sweep(pn: PauseNotices) -> None:
        start.wait()
        got.extend(pn.due())

    threads = [threading.Thread(target=sweep, args=(pn,)) for pn in sweepers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 1


async def test_running_sends_a_notice_as_soon_as_a_change_is_heard(
    pn: PauseNotices, subs: Subscriptions, events: SubscriptionEvents
) -> None:
    told: list[Notice] = []
    arrived = asyncio.Event()

    async def tell(notice: Notice) -> Told:
        told.append(notice)
        arrived.set()
        return Told("U7")

    pn.every = 3600  # only a change can wake it within the test
    pn.start(tell)
    await asyncio.sleep(0.05)  # the first sweep found nothing
    await asyncio.to_thread(subs.pause, CHANNEL, REASON, NOW)
    await asyncio.to_thread(events.changed, None, CHANNEL)  # as the deliverer does, any thread
    await asyncio.wait_for(arrived.wait(), 5)
    await pn.close()
    assert [n.kind for n in told] == ["paused"]


async def test_a_tell_that_raises_is_not_tried_again(pn: PauseNotices, subs: Subscriptions) -> None:
    async def broken(notice: Notice) -> Told:
        raise RuntimeError("bug")

    subs.pause(CHANNEL, REASON, NOW)
    assert await pn.sweep(broken) == 1
    assert await pn.sweep(broken) == 0


class Gate:
    """A clock that, once armed, holds the thread reading it until opened (a slow store)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.armed = False
        self.entered = threading.Event()
        self.opened = threading.Event()

    def __call__(self) -> datetime:
        if self.armed:
            self.entered.set()
            self.opened.wait(10)
        return self.clock()


async def _stop_while_held(task: asyncio.Task[int], gate: Gate) -> None:
    """Cancel the sweep while its thread is held: it ends only once the thread has."""
    await asyncio.to_thread(gate.entered.wait, 10)
    task.cancel()
    await asyncio.sleep(0.05)  # the cancellation has reached the sweep; its thread still runs
    assert not task.done(), "the sweep ended with its write still running in a thread"
    gate.opened.set()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.fixture
def gate(clock: Clock) -> Gate:
    return Gate(clock)


@pytest.fixture
def gated(
    store: Store, subs: Subscriptions, gate: Gate, events: SubscriptionEvents
) -> PauseNotices:
    """Pause notices whose store work can be held (through the clock it reads), one pause due."""
    subs.pause(CHANNEL, REASON, NOW)
    return notices(store, subs, gate, events)  # type: ignore[arg-type]


def _states(store: Store) -> list[tuple[str, str, int]]:
    rows = store.query("SELECT channel, state, attempts FROM pause_notices ORDER BY channel")
    return [(r["channel"], r["state"], r["attempts"]) for r in rows]


async def test_a_sweep_stopped_while_claiming_hands_what_it_claimed_back(
    gated: PauseNotices, gate: Gate, store: Store
) -> None:
    gate.armed = True
    told: list[Notice] = []

    async def tell(notice: Notice) -> Told:
        told.append(notice)
        return Told("U7")

    await _stop_while_held(asyncio.create_task(gated.sweep(tell)), gate)
    assert told == [] and _states(store) == [(CHANNEL, "pending", 0)]  # not lost: unclaimed
    gate.armed = False
    assert await gated.sweep(tell) == 1 and [n.channel for n in told] == [CHANNEL]


async def test_a_sweep_stopped_while_telling_keeps_the_one_in_flight_and_hands_back_the_rest(
    pn: PauseNotices, store: Store, subs: Subscriptions
) -> None:
    other = "slack:C0123456780"
    subs.save(Subscription(other, workspace="T1", created_by="U8"), NOW)
    subs.pause(CHANNEL, REASON, NOW)
    subs.pause(other, REASON.replace(CHANNEL, other), NOW)
    telling = asyncio.Event()

    async def hangs(notice: Notice) -> Told:
        telling.set()
        await asyncio.Event().wait()  # the platform never answers
        raise AssertionError("unreachable")

    sweep = asyncio.create_task(pn.sweep(hangs))
    await asyncio.wait_for(telling.wait(), 5)
    sweep.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sweep
    # The one being sent may have gone out: never again. The other never left: sent next time.
    assert sorted(s for _, s, _ in _states(store)) == ["pending", "sending"]
    assert [n.kind for n in pn.due()] == ["paused"]


async def test_a_sweep_stopped_while_recording_lets_the_record_land_first(
    gated: PauseNotices, gate: Gate, store: Store
) -> None:
    async def tell(notice: Notice) -> Told:
        gate.armed = True  # record() reads the clock next, in its thread
        return Told("U7")

    await _stop_while_held(asyncio.create_task(gated.sweep(tell)), gate)
    assert _states(store) == [(CHANNEL, "sent", 1)]  # landed before the cancellation ended
