"""APScheduler jobs from the subscriptions table: digests, arXiv-calendar fetches, the sweep.

A subscription has a job for its daily digest and, when it has a weekly day, one for its
weekly digest; both are due at the subscription's time, and caught up and resumed alike.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Coroutine
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import DeliveryConfig
from bot.delivery.deliver import Deliverer, Outcome
from bot.delivery.events import SubscriptionEvents
from bot.delivery.health import Fetch, SourceStatus
from bot.delivery.ledger import Delivery, Kind, ledger_day
from bot.delivery.schedule import (
    Run,
    local_day,
    previous_run,
    runs_between,
    weekdays_of,
)
from bot.delivery.triggers import digest_trigger, listing_trigger
from bot.errors import StoreError
from bot.subscriptions import Subscription, Subscriptions
from bot.timeutil import Clock
from bot.workers import Worker

__all__ = ["DeliveryScheduler"]

log = logging.getLogger(__name__)
LOOKBACK = timedelta(days=7)  # how far back missed runs are looked for (and recorded)
STARTUP_FETCH_SECONDS = 300.0  # catch-up waits this long at most for a fresh fetch


KINDS: tuple[Kind, ...] = ("daily", "weekly")


def _job(kind: Kind, channel: str) -> str:
    """The APScheduler job id of a channel's digest of a kind."""
    return f"digest:{channel}" if kind == "daily" else f"weekly:{channel}"


class DeliveryScheduler:
    """Keeps one cron job per active subscription and decides which runs are due."""

    def __init__(
        self,
        *,
        subscriptions: Subscriptions,
        deliverer: Deliverer,
        events: SubscriptionEvents,
        sources: SourceStatus,
        config: DeliveryConfig,
        clock: Clock,
        worker: Worker,
        fetch: Fetch | None = None,
    ) -> None:
        """Schedule subscriptions whose platform has a running channel; hear of their changes.

        worker runs the store calls, off the event loop.
        """
        self.subscriptions = subscriptions
        self.worker = worker
        self.deliverer = deliverer
        self.sources = sources
        self.config = config
        self.clock = clock
        self.fetch = fetch
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._subs: dict[str, Subscription] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._fetching: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        events.listen(self.on_change)

    @property
    def grace(self) -> timedelta:
        """How late a run may still be posted."""
        return timedelta(hours=self.config.grace_hours)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, *, catch_up: bool = True) -> None:
        """Start APScheduler with every job; catch up missed runs in the background.

        A runner that lost the lead and wins it back starts the scheduler again: afresh.
        """
        if self.scheduler.state != STATE_STOPPED or self._subs:
            self.scheduler = AsyncIOScheduler(timezone=UTC)
            self._subs = {}
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self.scheduler.start()
        await self.reconcile()
        self._add_periodic_jobs()
        if catch_up:
            self.spawn(self._startup())

    def _add_periodic_jobs(self) -> None:
        """The sweep and, with a fetch wired in, the arXiv-calendar fetch jobs."""
        sweep = IntervalTrigger(seconds=self.config.sweep_seconds, timezone=UTC)
        self.scheduler.add_job(self._spawn_sweep, sweep, id="sweep", coalesce=True)
        if self.fetch is None:
            log.warning("no fetch job wired in: digests rank whatever the store already holds")
            return
        listing = listing_trigger(self.config.listing_fetch_time)
        self.scheduler.add_job(self._spawn_fetch, listing, id="fetch:listing", coalesce=True)
        if self.config.refresh_minutes:
            every = IntervalTrigger(minutes=self.config.refresh_minutes, timezone=UTC)
            self.scheduler.add_job(self._spawn_fetch, every, id="fetch:refresh", coalesce=True)

    async def shutdown(self, wait_seconds: float) -> None:
        """Stop scheduling, let posts in flight finish for up to wait_seconds, then cancel."""
        self._loop = None  # changes are no longer acted on
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for task in self._fetching:
            task.cancel()  # a fetch is only worth finishing if we stay up
        pending = {t for t in self._tasks if not t.done()}
        if pending:
            log.info("waiting up to %.0f s for %d task(s) in flight", wait_seconds, len(pending))
            _, late = await asyncio.wait(pending, timeout=wait_seconds)
            for task in late:
                task.cancel()  # the ledger says what is missing; the next start posts it
            if late:
                await asyncio.wait(late)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a coroutine as a tracked task, so shutdown can wait for it."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        """Forget a finished task, and log its error: nobody else awaits it."""
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if isinstance(error, StoreError):  # locked or full: the next sweep tries again
            log.warning("scheduler job postponed: %s", error)
        elif error is not None:
            log.error("background task failed", exc_info=error)

    async def _startup(self) -> None:
        """Fetch first if the data is stale, then catch up whatever was missed."""
        last = await self.worker.run(self.sources.last_fetch)
        stale = last is None or self.clock() - last > timedelta(minutes=30)
        if self.fetch is not None and stale:
            try:
                await asyncio.wait_for(self.run_fetch(), STARTUP_FETCH_SECONDS)
            except TimeoutError:
                log.warning("start-up fetch still running; catching up on the stored data")
        outcomes = await self.sweep()
        counts = Counter(o.status for o in outcomes)
        log.info("start-up catch-up done: %s", ", ".join(f"{n} {s}" for s, n in counts.items())
                 or "nothing was due")  # fmt: skip

    # -- subscriptions -> jobs -------------------------------------------------------------

    def schedulable(self, sub: Subscription) -> bool:
        """True when the subscription is active and its platform is running here."""
        return not sub.paused and sub.platform in self.deliverer.channels

    async def reconcile(self) -> None:
        """Make the jobs match the table (changes may come from another process, e.g. the CLI)."""
        subs = await self.worker.run(self.subscriptions.all)
        current = {s.channel: s for s in subs if self.schedulable(s)}
        for channel in set(self._subs) - set(current):
            self._unschedule(channel)
        for channel, sub in current.items():
            if self._subs.get(channel) != sub:
                self._schedule(sub)

    def on_change(self, sub: Subscription | None, channel: str) -> None:
        """Commands' hook: reschedule one channel (thread-safe: adapters may call from threads)."""
        if self._loop is None:
            return
        if threading.get_ident() == self._thread:
            self._apply(sub, channel)
        else:
            self._loop.call_soon_threadsafe(self._apply, sub, channel)

    def _apply(self, sub: Subscription | None, channel: str) -> None:
        """Add, replace or remove a channel's job; a new one may be owed today's digest."""
        if sub is None or not self.schedulable(sub):
            self._unschedule(channel)
            return
        new = channel not in self._subs
        self._schedule(sub)
        if new:
            self.spawn(self.sweep())

    def _schedule(self, sub: Subscription) -> None:
        """Add or replace the jobs of a subscription: its daily digest, and its weekly one."""
        for kind in KINDS:
            job = _job(kind, sub.channel)
            if not weekdays_of(sub, kind):
                if self.scheduler.get_job(job) is not None:
                    self.scheduler.remove_job(job)
                continue
            self.scheduler.add_job(
                self._spawn_fire,
                digest_trigger(sub, kind),
                args=[sub.channel, kind],
                id=job,
                replace_existing=True,
                coalesce=True,
                misfire_grace_time=max(1, int(self.grace.total_seconds())),
            )
        self._subs[sub.channel] = sub
        log.info("scheduled %s", sub.describe())

    def _unschedule(self, channel: str) -> None:
        """Remove a channel's jobs if it has any."""
        if self._subs.pop(channel, None) is not None:
            for kind in KINDS:
                if self.scheduler.get_job(_job(kind, channel)) is not None:
                    self.scheduler.remove_job(_job(kind, channel))
            log.info("unscheduled %s", channel)

    def next_fire(self, channel: str, kind: Kind = "daily") -> datetime | None:
        """When APScheduler will next run a channel's job (of a kind)."""
        job = self.scheduler.get_job(_job(kind, channel))
        return job.next_run_time if job is not None else None

    # -- jobs ------------------------------------------------------------------------------

    # Job functions are coroutines (APScheduler runs plain functions in a thread pool) that
    # hand the work to tracked tasks: APScheduler cancels its own tasks on shutdown, and a
    # graceful shutdown lets posts in flight finish.

    async def _spawn_fire(self, channel: str, kind: Kind = "daily") -> None:
        """Job: a digest time came."""
        self.spawn(self.fire(channel, kind))

    async def _spawn_sweep(self) -> None:
        """Job: the periodic sweep."""
        self.spawn(self.sweep())

    async def _spawn_fetch(self) -> None:
        """Job: a fetch on arXiv's calendar or a refresh."""
        self.spawn(self.run_fetch())

    async def fire(self, channel: str, kind: Kind = "daily") -> Outcome | None:
        """Post the channel's latest due run; the clock and ledger decide, not the wake-up."""
        sub = await self.worker.run(self.subscriptions.get, channel)
        if sub is None or not self.schedulable(sub):
            return None
        now = self.clock()
        run = previous_run(sub, now, kind)
        if run is None or now - run.at > self.grace or run.at < self._owed_from(sub, now, kind):
            return None
        return await self.deliverer.deliver(sub, run, "schedule")

    def _owed_from(self, sub: Subscription, now: datetime, kind: Kind = "daily") -> datetime:
        """Runs at or after this moment are owed to the channel.

        A new subscription is owed nothing from before it existed (no backlog flood), except
        the run of the day it was made, when that is within the grace period: it starts with
        today's digest.
        """
        start = now - LOOKBACK
        created = sub.created_at
        if created is None:
            return start
        first = previous_run(sub, created, kind)
        if first and first.day == local_day(sub, created) and created - first.at <= self.grace:
            return max(start, first.at)
        return max(start, created)

    async def run_fetch(self) -> None:
        """Fetch from the sources once (the fetch refuses to overlap itself and records a skip)."""
        if self.fetch is None:
            return
        task = asyncio.current_task()
        if task is not None:
            self._fetching.add(task)
        try:
            report = await self.fetch()
        except Exception:
            log.exception("fetch failed")
            return
        finally:
            self._fetching.discard(task)
        log.debug("%s", report.headline())  # the fetch logs its own summary

    # -- catch-up and retries ----------------------------------------------------------------

    async def sweep(self) -> list[Outcome]:
        """Catch up missed runs, retry unfinished deliveries, and pick up outside changes."""
        await self.reconcile()
        work = await self.worker.run(self._due, dict(self._subs), self.clock())
        if not work:
            return []
        return list(await asyncio.gather(
            *(self.deliverer.deliver(sub, run, why) for sub, run, why in work.values())
        ))  # fmt: skip

    def _due(
        self, subs: dict[str, Subscription], now: datetime
    ) -> dict[tuple[str, Kind, date], tuple[Subscription, Run, str]]:
        """What the sweep posts: missed runs and unfinished deliveries (reads the ledger)."""
        work: dict[tuple[str, Kind, date], tuple[Subscription, Run, str]] = {}
        for sub in subs.values():
            for kind in KINDS:
                for run in self._missed(sub, now, kind):
                    work[(sub.channel, kind, ledger_day(run.day, kind))] = (sub, run, "catch-up")
        for delivery in self.deliverer.ledger.unfinished():
            item = self._resumable(subs, delivery, now)
            if item is not None:
                work.setdefault((delivery.channel, delivery.kind, delivery.day), item)
        return work

    def _missed(self, sub: Subscription, now: datetime, kind: Kind = "daily") -> list[Run]:
        """Runs with no ledger row: the latest within grace is due, older ones are skipped.

        A weekly run's row is its week's: a week already posted (on another weekday before the
        day was changed) owes nothing more.
        """
        start = self._owed_from(sub, now, kind) - timedelta(microseconds=1)
        runs = runs_between(sub, start, now, kind)
        if not runs:
            return []
        have = self.deliverer.ledger.days(sub.channel, runs[0].day, kind)
        missing = [r for r in runs if ledger_day(r.day, kind) not in have]
        due = [missing.pop()] if missing and now - missing[-1].at <= self.grace else []
        for run in missing:
            local = run.at.astimezone(ZoneInfo(sub.timezone))
            reason = (
                f"missed: not posted at {local:%Y-%m-%d %H:%M %Z} (runner down or subscription"
                f" paused) and past the {self.config.grace_hours:g} h grace period"
            )
            self.deliverer.ledger.skip(
                sub.channel, run.day, reason, trigger="catch-up", scheduled_for=run.at, kind=kind
            )
        if missing:
            days = f"{missing[0].day}" + (f" to {missing[-1].day}" if len(missing) > 1 else "")
            log.warning("%s: %d %s run(s) missed beyond the grace period (%s), recorded as skipped",
                        sub.channel, len(missing), kind, days)  # fmt: skip
        return due

    def _resumable(
        self, subs: dict[str, Subscription], delivery: Delivery, now: datetime
    ) -> tuple[Subscription, Run, str] | None:
        """An unfinished delivery to resume now, or None (not yet, or never)."""
        sub = subs.get(delivery.channel)
        if sub is None or (delivery.next_attempt_at and delivery.next_attempt_at > now):
            return None
        at = delivery.scheduled_for or now
        if not delivery.started and now - at > self.grace:
            reason = f"not posted within the grace period; last error: {delivery.last_error}"
            self.deliverer.ledger.finish(
                delivery.channel, delivery.day, "skipped", reason, kind=delivery.kind
            )
            return None
        # A digest already partly posted is always completed: posting only what is missing.
        return sub, Run(at=at, day=delivery.day, kind=delivery.kind), "resume"
