"""Posting one channel's digest: exactly once, resumed after a crash, errors handled per kind."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.app import App, build_deliverer
from bot.channels import Channel, DeliveryError, OutboundMessage
from bot.delivery.deliver import Deliverer, RetryPolicy
from bot.delivery.lease import Leases
from bot.delivery.ledger import Ledger
from bot.delivery.queue import OutboundQueue
from bot.delivery.schedule import run_on
from bot.sources.health import record_failure, record_success, source_migrations
from tests.delivery.fakechannel import Fault, MemoryChannel
from tests.delivery.support import TODAY, Clock, subscribe
from tests.factories import DISCORD, DISCORD_2, snowflake

FAST = RetryPolicy(attempts=3, rate_limited=5, base=0.001, cap=0.01)


def make(app: App, channel: Channel, leases: Leases | None = None) -> Deliverer:
    return build_deliverer(app, {"discord": channel}, leases=leases or Leases(app.store),
                           queue=OutboundQueue({}), retry=FAST)  # fmt: skip


def failing(*sends: int, error: DeliveryError) -> Fault:
    """Fail the given send numbers with an error."""
    return lambda target, n: error if n in sends else None


async def test_a_digest_is_posted_once_and_a_second_run_posts_nothing(app: App) -> None:
    channel = MemoryChannel(per_message=2)
    sub = subscribe(app, DISCORD, top=4)
    deliverer = make(app, channel)
    first = await deliverer.deliver(sub, run_on(sub, TODAY), "schedule")
    second = await deliverer.deliver(sub, run_on(sub, TODAY), "catch-up")
    assert (first.status, second.status) == ("sent", "done")
    assert len(channel.keys(snowflake(1))) == 2 == channel.sends
    assert Ledger(app.store, app.clock).get(DISCORD, TODAY).state == "sent"


async def test_the_same_delivery_asked_twice_at_once_in_one_process_posts_once(
    app: App,
) -> None:
    # Two sweeps overlapping: the database lease is this process's for both, so only the
    # process's own claim, taken before anything is awaited, keeps the second one out.
    channel = MemoryChannel(per_message=2)
    sub = subscribe(app, DISCORD, top=4)
    deliverer = make(app, channel)
    run = run_on(sub, TODAY)
    outcomes = await asyncio.gather(*(deliverer.deliver(sub, run, f"sweep {n}") for n in range(3)))
    assert sorted(o.status for o in outcomes) == ["busy", "busy", "sent"]
    assert len(channel.keys(snowflake(1))) == 2 == channel.sends


async def test_a_planned_delivery_posts_and_finishes_while_planning_holds_every_thread(
    app: App,
) -> None:
    # In a fan-out, deliveries still being planned fill the worker's threads; the ledger's
    # marks around each send take the urgent lane, so a planned digest goes out meanwhile.
    release = threading.Event()
    busy: list[asyncio.Future[bool]] = []

    class Crowded(MemoryChannel):
        async def send(self, target: str, message: OutboundMessage, *, key: str) -> str:
            if not busy:  # the other deliveries' planning takes every thread from here on
                busy.extend(
                    asyncio.ensure_future(app.worker.run(release.wait))
                    for _ in range(app.worker.threads)
                )
            return await super().send(target, message, key=key)

    channel = Crowded(per_message=2)
    sub = subscribe(app, DISCORD, top=4)
    # A failsafe, not a bound: a lane stuck behind planning gets through once the threads are
    # let go, and fails the check below instead of hanging.
    asyncio.get_running_loop().call_later(30, release.set)
    outcome = await make(app, channel).deliver(sub, run_on(sub, TODAY), "schedule")
    held_throughout = not any(b.done() for b in busy)
    release.set()
    await asyncio.gather(*busy)
    assert held_throughout
    assert outcome.status == "sent"
    assert len(channel.keys(snowflake(1))) == 2
    assert Ledger(app.store, app.clock).get(DISCORD, TODAY).state == "sent"


async def test_a_crash_mid_fan_out_resumes_posting_only_what_is_missing(app: App) -> None:
    channel = MemoryChannel(per_message=1)
    sub = subscribe(app, DISCORD, top=4)
    ledger = Ledger(app.store, app.clock)
    messages = channel.render(app.service.digest(day=TODAY, ranking="hot",
                                                 selection=sub.selection()))  # fmt: skip
    delivery = ledger.plan(DISCORD, TODAY, messages, arxiv_ids=[], note="",
                           trigger="schedule", scheduled_for=None)  # fmt: skip
    # Before the crash: part 0 recorded sent; part 1 went out but the crash came before its
    # id was recorded; part 2 was marked sending but never reached the platform.
    for index, state in ((0, "sent"), (1, "sending"), (2, "sending")):
        ledger.set_part(DISCORD, TODAY, index, state, "x" if state == "sent" else None)
    for part in delivery.parts[:2]:
        await channel.send(snowflake(1), part.message, key=part.key)
    channel.sends = 0
    outcome = await make(app, channel).deliver(sub, run_on(sub, TODAY), "resume")
    assert outcome.status == "sent"
    assert channel.keys(snowflake(1)) == [p.key for p in delivery.parts]  # each once, in order
    assert channel.sends == 2  # parts 2 and 3; part 1 was found instead of resent
    assert [key for _, key in channel.lookups] == [delivery.parts[1].key, delivery.parts[2].key]


async def test_a_rate_limited_lookup_is_asked_again_never_taken_for_not_sent(app: App) -> None:
    limited = DeliveryError("429", retry_after=0.01)
    channel = MemoryChannel(per_message=4, lookup_fault=failing(1, error=limited))
    sub = subscribe(app, DISCORD, top=2)
    ledger = Ledger(app.store, app.clock)
    messages = channel.render(app.service.digest(day=TODAY, ranking="hot",
                                                 selection=sub.selection()))  # fmt: skip
    delivery = ledger.plan(DISCORD, TODAY, messages, arxiv_ids=[], note="",
                           trigger="schedule", scheduled_for=None)  # fmt: skip
    ledger.set_part(DISCORD, TODAY, 0, "sending")  # it went out, then the process died
    await channel.send(snowflake(1), delivery.parts[0].message, key=delivery.parts[0].key)
    channel.sends = 0
    outcome = await make(app, channel).deliver(sub, run_on(sub, TODAY), "resume")
    assert outcome.status == "sent"
    assert channel.sends == 0 and len(channel.keys(snowflake(1))) == 1
    assert len(channel.lookups) == 2  # the 429 on the first lookup; the second found it


async def test_transient_errors_are_retried_with_backoff_then_left_to_the_sweep(app: App) -> None:
    sub = subscribe(app, DISCORD, top=2)
    flaky = MemoryChannel(fault=failing(1, 2, error=DeliveryError("HTTP 502")))
    assert (await make(app, flaky).deliver(sub, run_on(sub, TODAY), "schedule")).status == "sent"
    assert len(flaky.keys(snowflake(1))) == 1
    assert flaky.lookups, "after an unclear failure it looks before resending"

    down = MemoryChannel(fault=lambda target, n: DeliveryError("HTTP 503"))
    other = subscribe(app, DISCORD_2, top=2)
    outcome = await make(app, down).deliver(other, run_on(other, TODAY), "schedule")
    assert outcome.status == "retry" and down.sends == FAST.attempts
    delivery = Ledger(app.store, app.clock).get(DISCORD_2, TODAY)
    assert delivery.state == "planned" and delivery.last_error == "HTTP 503"
    assert delivery.next_attempt_at > app.clock()


async def test_a_429_is_resent_after_retry_after_without_looking_first(app: App) -> None:
    sub = subscribe(app, DISCORD, top=2)
    channel = MemoryChannel(fault=failing(1, error=DeliveryError("429", retry_after=0.05)))
    deliverer = make(app, channel)
    outcome = await deliverer.deliver(sub, run_on(sub, TODAY), "schedule")
    assert outcome.status == "sent" and len(channel.keys(snowflake(1))) == 1
    assert channel.lookups == []  # a refused request posted nothing: no lookup needed
    assert deliverer.queue.stats()["discord"]["rate_limited"] == 1


async def test_a_permanent_error_pauses_only_that_subscription(app: App) -> None:
    gone = DeliveryError("404: unknown channel", permanent=True)
    channel = MemoryChannel(fault=lambda target, n: gone if target == snowflake(2) else None)
    subs = [subscribe(app, f"discord:{snowflake(i)}", top=2) for i in (1, 2, 3)]
    deliverer = make(app, channel)
    outcomes = [await deliverer.deliver(s, run_on(s, TODAY), "schedule") for s in subs]
    assert [o.status for o in outcomes] == ["sent", "failed", "sent"]
    paused = {s.channel: s.paused_reason for s in app.subscriptions.all() if s.paused}
    assert paused == {DISCORD_2: "404: unknown channel"}
    assert Ledger(app.store, app.clock).get(DISCORD_2, TODAY).state == "failed"


@pytest.mark.parametrize(("policy", "expected"), [("skip", "skipped"), ("note", "sent")])
async def test_empty_day_policy_skips_or_posts_a_short_note(
    app: App, clock: Clock, policy: str, expected: str
) -> None:
    sub = subscribe(app, DISCORD, categories=("astro-ph",), empty_day=policy)
    channel = MemoryChannel()
    outcome = await make(app, channel).deliver(sub, run_on(sub, TODAY), "schedule")
    assert outcome.status == expected
    if expected == "sent":
        [(_key, message)] = channel.posts[snowflake(1)]
        assert "No hot papers" in message.text
    else:
        assert "empty day" in outcome.detail and not channel.posts


async def test_a_failed_source_is_named_in_the_digest_and_the_ledger(app: App) -> None:
    app.store.migrate(source_migrations)
    record_failure(app.store, "hackernews", app.clock(), "timeout", requests=1)
    record_success(app.store, "arxiv", app.clock(), (1, 0, 0), requests=1, note="", cursor={})
    sub = subscribe(app, DISCORD, top=2)
    channel = MemoryChannel()
    assert (await make(app, channel).deliver(sub, run_on(sub, TODAY), "x")).status == "sent"
    assert "missing: hackernews" in channel.posts[snowflake(1)][0][1].text
    assert Ledger(app.store, app.clock).get(DISCORD, TODAY).reason == (
        "posted without HN (timeout)"
    )


@pytest.mark.parametrize("policy", ["post", "skip"])
async def test_a_failed_arxiv_listing_follows_the_configured_policy(app: App, policy: str) -> None:
    app.store.migrate(source_migrations)
    record_failure(app.store, "arxiv", app.clock(), "HTTP 503", requests=3)
    config = app.settings.config
    delivery = config.delivery.model_copy(update={"on_listing_failure": policy})
    app = replace(
        app, settings=replace(app.settings, config=config.model_copy(update={"delivery": delivery}))
    )
    sub = subscribe(app, DISCORD, top=2)
    outcome = await make(app, MemoryChannel()).deliver(sub, run_on(sub, TODAY), "schedule")
    if policy == "skip":
        assert outcome.status == "skipped" and "arXiv listing failed (HTTP 503)" in outcome.detail
    else:
        assert outcome.status == "sent"
        assert "arXiv (HTTP 503)" in Ledger(app.store, app.clock).get(DISCORD, TODAY).reason


async def test_no_digest_is_posted_the_day_after_an_arxiv_holiday_evening(app: App) -> None:
    config = app.settings.config
    sources = config.sources.model_copy(update={"arxiv_holidays": (TODAY - timedelta(days=1),)})
    app = replace(
        app, settings=replace(app.settings, config=config.model_copy(update={"sources": sources}))
    )
    sub = subscribe(app, DISCORD, top=2)
    channel = MemoryChannel()
    outcome = await make(app, channel).deliver(sub, run_on(sub, TODAY), "schedule")
    assert outcome.status == "skipped" and "arXiv holiday" in outcome.detail
    assert not channel.posts
    assert Ledger(app.store, app.clock).get(DISCORD, TODAY).state == "skipped"


async def test_papers_posted_are_marked_shown_so_the_next_day_does_not_repeat_them(
    app: App, clock: Clock
) -> None:
    sub = subscribe(app, DISCORD, top=2, repeat_days=7)
    channel = MemoryChannel(per_message=5)
    deliverer = make(app, channel)
    await deliverer.deliver(sub, run_on(sub, TODAY), "schedule")
    clock.advance(days=1)
    await deliverer.deliver(sub, run_on(sub, TODAY + timedelta(days=1)), "schedule")
    first, second = (m.arxiv_ids for _, m in channel.posts[snowflake(1)])
    assert len(first) == len(second) == 2 and not set(first) & set(second)


async def test_a_delivery_another_process_is_posting_is_left_alone(app: App) -> None:
    sub = subscribe(app, DISCORD)
    other = Leases(app.store, holder="elsewhere:1:abcd")
    assert other.acquire(f"delivery:discord:10000000000000001:{TODAY}")
    channel = MemoryChannel()
    outcome = await make(app, channel).deliver(sub, run_on(sub, TODAY), "schedule")
    assert outcome.status == "busy" and "elsewhere" in outcome.detail and not channel.sends


async def test_a_delivery_stops_before_sending_once_its_lease_is_lost(app: App) -> None:
    sub = subscribe(app, DISCORD, top=4)
    leases = Leases(app.store)

    def steal(target: str, n: int) -> None:
        # After the first message, another process takes the delivery over.
        with app.store.transaction() as tx:
            tx.execute("UPDATE delivery_leases SET holder = 'elsewhere:1:x'")
        return None

    channel = MemoryChannel(per_message=2, fault=steal)
    outcome = await make(app, channel, leases).deliver(sub, run_on(sub, TODAY), "schedule")
    assert outcome.status == "busy" and len(channel.keys(snowflake(1))) == 1
