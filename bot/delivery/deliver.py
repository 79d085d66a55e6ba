"""Posting one channel's digest for one day exactly once, resuming whatever a crash left.

A channel's daily digest and its weekly one (`Run.kind`) are separate deliveries in the ledger.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from bot.channels import Channel, DeliveryError, OutboundMessage
from bot.config import DeliveryConfig
from bot.delivery.events import SubscriptionEvents
from bot.delivery.health import SourceStatus
from bot.delivery.lease import Leases
from bot.delivery.ledger import Delivery, Kind, Ledger, Part, ledger_day
from bot.delivery.planner import Plan, Skip, plan_digest, plan_weekly
from bot.delivery.queue import OutboundQueue
from bot.delivery.schedule import Run
from bot.errors import StoreError
from bot.retry import RetryPolicy
from bot.service import HotPapersService
from bot.site.publish import Publisher
from bot.store import Store
from bot.subscriptions import Subscription, Subscriptions
from bot.timeutil import Clock
from bot.weekly import WeeklyDigests
from bot.workers import Worker

__all__ = ["Deliverer", "Outcome", "Preview", "RetryPolicy"]

log = logging.getLogger(__name__)
Status = Literal["sent", "skipped", "failed", "retry", "busy", "done"]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt came to."""

    channel: str
    day: date
    status: Status  # done: the ledger already had a finished row; busy: someone else posts it
    detail: str = ""
    kind: Kind = "daily"


@dataclass(frozen=True)
class Preview:
    """What delivering a channel's digest for a day would post now, without posting it."""

    channel: str
    day: date
    messages: tuple[OutboundMessage, ...]
    note: str  # what it would do: post, resume, nothing (and why)


class _LeaseLostError(Exception):
    """Another process took over the delivery (we were too slow to renew)."""


class _RefusedError(Exception):
    """The platform refused a send with 429: certainly not posted."""

    def __init__(self, error: DeliveryError) -> None:
        """Wrap the 429."""
        super().__init__(error.reason)
        self.error = error


class Deliverer:
    """Claims, plans, posts and finishes deliveries through the ledger and the queue."""

    def __init__(
        self,
        *,
        service: HotPapersService,
        store: Store,
        subscriptions: Subscriptions,
        ledger: Ledger,
        leases: Leases,
        queue: OutboundQueue,
        channels: Mapping[str, Channel],
        sources: SourceStatus,
        events: SubscriptionEvents,
        config: DeliveryConfig,
        holidays: Collection[date],
        clock: Clock,
        publisher: Publisher,
        worker: Worker,
        urgent: Worker,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        weekly: WeeklyDigests | None = None,
    ) -> None:
        """Wire the pieces; channels maps a platform name to its adapter (read live).

        events hears of every subscription a permanent error pauses; holidays are the evenings
        arXiv announces nothing ([sources] arxiv_holidays); publisher makes the site's page of
        a day, which the first digest posted that day publishes.
        """
        self.service = service
        self.store = store
        self.subscriptions = subscriptions
        self.ledger = ledger
        self.leases = leases
        self.queue = queue
        self.channels = channels
        self.sources = sources
        self.events = events
        self.config = config
        self.holidays = holidays
        self.clock = clock
        self.publisher = publisher
        self.worker = worker  # claiming and planning (store calls, ranking, rendering) run here
        # What the ledger records around each send runs here instead, so a send never waits
        # for the deliveries still being planned ahead of it (a thread pool serves in order).
        self.urgent = urgent
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.weekly = weekly  # makes weekly digests (none: a weekly run is put off, and logged)
        self._inflight: set[tuple[str, date, Kind]] = set()

    def busy(self) -> int:
        """How many deliveries this process is posting right now."""
        return len(self._inflight)

    async def deliver(
        self, sub: Subscription, run: Run, trigger: str, *, reopen: bool = False
    ) -> Outcome:
        """Post a subscription's digest for a run's day unless the ledger says it is done.

        reopen (a deliberate `hotpapers post`) also posts a day recorded as skipped, and
        resumes one that failed: neither posted anything that would then be posted twice.
        """
        async with self.queue.delivery(sub.platform):  # bounded per platform
            try:
                return await self._claimed(sub, run, trigger, reopen)
            except StoreError as error:
                # Locked by another process, or the disk is full: the ledger is as it was
                # (a part that may be out is looked up first), so the sweep resumes it later.
                log.warning("%s %s: delivery waits for the store: %s", sub.channel, run.day, error)
                return _outcome(sub, run, "retry", str(error))
            except Exception as error:
                # A bug (in ranking, a renderer...) must not stop the other channels' digests.
                log.exception("%s %s: delivery failed", sub.channel, run.day)
                return _outcome(sub, run, "retry", f"{type(error).__name__}: {error}")

    async def _claimed(self, sub: Subscription, run: Run, trigger: str, reopen: bool) -> Outcome:
        """deliver() under the delivery's lease."""
        key = (sub.channel, ledger_day(run.day, run.kind), run.kind)
        channel = self.channels.get(sub.platform)
        if channel is None:
            return _outcome(sub, run, "retry", f"no {sub.platform} adapter is running")
        if key in self._inflight:
            return _outcome(sub, run, "busy", "already being posted by this process")
        # Claimed in this process before anything is awaited: the lease below is this process's
        # too, so it would not stop a second task of ours (two sweeps) from posting alongside.
        self._inflight.add(key)
        try:
            return await self._leased(sub, run, trigger, channel, reopen)
        finally:
            self._inflight.discard(key)

    async def _leased(
        self, sub: Subscription, run: Run, trigger: str, channel: Channel, reopen: bool
    ) -> Outcome:
        """_claimed() under the delivery's lease, which keeps other processes out."""
        weekly = ":weekly" if run.kind == "weekly" else ""
        lease = f"delivery:{sub.channel}{weekly}:{ledger_day(run.day, run.kind).isoformat()}"
        claimed = await self.worker.run(self._claim, sub, run, trigger, channel, lease, reopen)
        if claimed is None:
            holder = await self.worker.run(self.leases.holder, lease) or "another process"
            return _outcome(sub, run, "busy", f"being posted by {holder}")
        outcome: Outcome | None = None
        try:
            if isinstance(claimed, Outcome):
                outcome = claimed
            elif claimed.state != "planned":
                outcome = _done(claimed)
            else:
                outcome = await self._post(sub, claimed, channel, lease)
        finally:
            if outcome is None or outcome.status != "sent":  # a sent one let go as it finished
                await self.urgent.run(self.leases.release, lease)
        log.info("%s %s%s: %s%s", sub.channel, run.day, " (weekly)" if weekly else "",
                 outcome.status, f" ({outcome.detail})" if outcome.detail else "")  # fmt: skip
        return outcome

    def _claim(
        self, sub: Subscription, run: Run, trigger: str, channel: Channel, lease: str,
        reopen: bool,
    ) -> Delivery | Outcome | None:  # fmt: skip
        """Take the delivery's lease and its ledger row, planned now if it had none (blocking).

        None: another process holds the lease. The digest is ranked and rendered before the
        write lock is taken; the lease and the plan are then recorded in one commit (a
        thousand-channel fan-out waits on the store's one writer, commit by commit).
        """
        known = self.ledger.get(sub.channel, run.day, run.kind)
        plan = self._planned(sub, run, channel) if _unplanned(known, reopen) else None
        page = None
        if isinstance(plan, Plan) and plan.digest is not None:
            page = self.publisher.copy(sub.channel, run.day, plan.digest)
        with self.store.transaction():  # an error undoes the lease with the rest
            if not self.leases.acquire(lease):
                return None
            return self._recorded(sub, run, trigger, channel, reopen, (plan, page))

    def preview(self, sub: Subscription, run: Run, *, reopen: bool = True) -> Preview:
        """What deliver() would post now, planned the same way, recording nothing (blocking).

        reopen as for deliver(): a deliberate post also resumes a failed day and redoes a
        skipped one.
        """
        channel = self.channels.get(sub.platform)
        if channel is None:
            return Preview(sub.channel, run.day, (), f"no {sub.platform} adapter is running")
        delivery = self.ledger.get(sub.channel, run.day, run.kind)
        resumed = ("planned", "failed") if reopen else ("planned",)
        if delivery is not None and delivery.state in resumed:
            pending = tuple(p.message for p in delivery.parts if p.state != "sent")
            note = f"would post the {len(pending)} message(s) not yet out, as planned before"
            return Preview(sub.channel, run.day, pending, note)
        if delivery is not None and not (reopen and delivery.state == "skipped"):
            return Preview(sub.channel, run.day, (), f"nothing: {_done(delivery).detail}")
        plan = self._planned(sub, run, channel)
        if plan is None:
            return Preview(sub.channel, run.day, (), "nothing: no weekly digests are made here")
        if isinstance(plan, Skip):
            return Preview(sub.channel, run.day, (), f"would skip the day: {plan.reason}")
        note = f"would post {len(plan.messages)} message(s)"
        if plan.note:
            note += f", {plan.note}"
        return Preview(sub.channel, run.day, plan.messages, note)

    def _recorded(
        self, sub: Subscription, run: Run, trigger: str, channel: Channel, reopen: bool,
        planned: tuple[Plan | Skip | None, str | None],
    ) -> Delivery | Outcome:  # fmt: skip
        """The run's delivery from the ledger, recorded from `planned` if it has none (blocking).

        planned: the plan made before the write lock and the site's page of it; had the ledger
        no row then, but one now (another process), that row stands.
        """
        delivery = self.ledger.get(sub.channel, run.day, run.kind)
        if reopen and delivery is not None and self.ledger.reopen(sub.channel, run.day, run.kind):
            delivery = self.ledger.get(sub.channel, run.day, run.kind)
        if not _unplanned(delivery, reopen):
            assert delivery is not None
            return delivery
        plan, page = planned
        if plan is None:  # not planned before the lock (the ledger had a row then): now
            plan = self._planned(sub, run, channel)
            if isinstance(plan, Plan) and plan.digest is not None:
                page = self.publisher.copy(sub.channel, run.day, plan.digest)
        return self._plan(sub, run, trigger, plan, page, replace_skipped=reopen)

    def _plan(
        self, sub: Subscription, run: Run, trigger: str, plan: Plan | Skip | None,
        page: str | None, *, replace_skipped: bool,
    ) -> Delivery | Outcome:  # fmt: skip
        """Freeze the plan's messages in the ledger, or record why there are none (blocking)."""
        if plan is None:
            return _outcome(sub, run, "retry", "no weekly digests are made in this process")
        if isinstance(plan, Skip):
            self.ledger.skip(
                sub.channel, run.day, plan.reason, trigger=trigger, scheduled_for=run.at,
                kind=run.kind,
            )  # fmt: skip
            return _outcome(sub, run, "skipped", plan.reason)
        try:
            return self.ledger.plan(
                sub.channel, run.day, plan.messages, arxiv_ids=plan.arxiv_ids, note=plan.note,
                trigger=trigger, scheduled_for=run.at, replace_skipped=replace_skipped,
                digest=page, kind=run.kind,
            )  # fmt: skip
        except LookupError:
            # Another process recorded the day meanwhile (e.g. skipped it): theirs stands.
            existing = self.ledger.get(sub.channel, run.day, run.kind)
            assert existing is not None
            return _done(existing)

    def _planned(self, sub: Subscription, run: Run, channel: Channel) -> Plan | Skip | None:
        """The messages of the run's digest, or why there are none (None: cannot make it here)."""
        if run.kind == "weekly":
            if self.weekly is None:
                return None
            return plan_weekly(self.weekly, sub, run.day, run.at, channel)
        failing = self.sources.failing()
        return plan_digest(
            self.service, sub, run.day, channel, failing, self.config.on_listing_failure,
            self.holidays,
        )  # fmt: skip

    async def _post(
        self, sub: Subscription, delivery: Delivery, channel: Channel, lease: str
    ) -> Outcome:
        """Send every part not yet sent, in order; finish when all are out."""
        pending = [p for p in delivery.parts if p.state != "sent"]
        last: tuple[Part, str] | None = None
        for part in pending:
            try:
                result = await self._send_part(sub, delivery, part, channel, lease)
            except _LeaseLostError:
                return _result(delivery, "busy", "lost the delivery lease")
            if isinstance(result, Outcome):
                return result
            if part is pending[-1]:
                last = (part, result)  # recorded together with the finish: one commit fewer
            else:
                await self.urgent.run(self._sent, sub, delivery, part, result, channel)
        await self.urgent.run(self._finish, sub, delivery, last, lease, channel)
        detail = f"{len(delivery.parts)} message(s)"
        if delivery.reason:
            detail += f", {delivery.reason}"
        return _result(delivery, "sent", detail)

    async def _send_part(
        self, sub: Subscription, delivery: Delivery, part: Part, channel: Channel, lease: str
    ) -> str | Outcome:
        """Post one message, retrying transient errors: its id, or an Outcome if we stop."""
        state, failures, limited = part.state, 0, 0
        while True:
            try:
                found = await self._find(sub, part, channel) if state == "sending" else None
                if found is None:
                    state = "sending"  # from here on the message may be out: look before resending
                    found = await self._send(sub, delivery, part, channel, lease)
                return found
            except _RefusedError as refused:
                # The send itself got a 429: nothing was posted, so no lookup is needed.
                state, error = "pending", refused.error
            except DeliveryError as error_:
                error = error_  # from a lookup (state stays "sending") or a failed send
            except _LeaseLostError:
                raise
            except Exception as error_:
                # Adapter faults that are not DeliveryError: the message may or may not be out.
                error = DeliveryError(f"{type(error_).__name__}: {error_}")
                log.warning("%s: unexpected error posting part %d", sub.channel, part.index,
                            exc_info=True)  # fmt: skip
            if error.permanent:
                return await self.urgent.run(self._fail, sub, delivery, error.reason)
            if error.retry_after is not None:
                limited += 1  # the queue holds the platform for Retry-After: no sleep here
                if limited >= self.retry.rate_limited:
                    reason = f"rate limited: {error.reason}"
                    return await self.urgent.run(self._later, sub, delivery, reason)
                continue
            failures += 1
            if failures >= self.retry.attempts:
                return await self.urgent.run(self._later, sub, delivery, error.reason)
            await self.sleep(self.retry.delay(failures))

    async def _find(self, sub: Subscription, part: Part, channel: Channel) -> str | None:
        """Ask the platform whether a message with this key is already there."""
        async with self.queue.slot(sub.platform, sub.target, message=False):
            async with asyncio.timeout(self.retry.timeout):
                return await channel.find_sent(sub.target, part.key)

    async def _send(
        self, sub: Subscription, delivery: Delivery, part: Part, channel: Channel, lease: str
    ) -> str:
        """Post one message within the platform's limits, recorded as sending just before."""

        def mark() -> Awaitable[None]:
            return self.urgent.run(self._mark_sending, sub, delivery, part, lease)

        try:
            # Marked once the queue has a place in flight for it (not while it waits for one:
            # after a crash only the messages truly in flight need a lookup), before the place
            # in the platform's window is taken, so the mark never counts against the limit.
            async with self.queue.slot(sub.platform, sub.target, ready=mark):
                async with asyncio.timeout(self.retry.timeout):
                    return await channel.send(sub.target, part.message, key=part.key)
        except DeliveryError as error:
            if error.retry_after is None:
                raise
            # Refused with 429: the platform took nothing, so the part is pending again.
            await self.urgent.run(
                self.ledger.set_part, sub.channel, delivery.day, part.index, "pending",
                kind=delivery.kind,
            )  # fmt: skip
            raise _RefusedError(error) from error

    def _mark_sending(self, sub: Subscription, delivery: Delivery, part: Part, lease: str) -> None:
        """Record that the message is about to go out, if we still hold the delivery."""
        with self.store.transaction():  # check and act under one write lock
            if not self.leases.holds(lease):
                raise _LeaseLostError(lease)
            self.ledger.set_part(
                sub.channel, delivery.day, part.index, "sending", kind=delivery.kind
            )

    def _sent(
        self, sub: Subscription, delivery: Delivery, part: Part, message_id: str,
        channel: Channel,
    ) -> None:  # fmt: skip
        """Record a message as sent, with what it shows: one commit (blocking)."""
        with self.store.transaction():
            self.ledger.set_part(
                sub.channel, delivery.day, part.index, "sent", message_id, kind=delivery.kind
            )
            channel.remember(sub.target, message_id, part.message)

    def _finish(
        self, sub: Subscription, delivery: Delivery, last: tuple[Part, str] | None, lease: str,
        channel: Channel,
    ) -> None:  # fmt: skip
        """Record the last message, mark the papers shown, close the delivery: one commit."""
        with self.store.transaction():
            if last is not None:
                self._sent(sub, delivery, *last, channel)
            if delivery.kind == "daily":  # a weekly recap shows papers again on purpose
                self.store.mark_shown(sub.channel, delivery.arxiv_ids, self.clock())
            self.ledger.finish(sub.channel, delivery.day, "sent", kind=delivery.kind)
            self.leases.release(lease)

    def _fail(self, sub: Subscription, delivery: Delivery, reason: str) -> Outcome:
        """A permanent error: close the delivery and pause only this subscription."""
        self.ledger.finish(sub.channel, delivery.day, "failed", reason, kind=delivery.kind)
        # A one-off `hotpapers post` may target a channel with no subscription to pause.
        with contextlib.suppress(LookupError):
            self.subscriptions.pause(sub.channel, reason, self.clock())
        self.events.changed(None, sub.channel)  # no longer scheduled
        log.error("%s paused: %s", sub.channel, reason)
        return _result(delivery, "failed", reason)

    def _later(self, sub: Subscription, delivery: Delivery, reason: str) -> Outcome:
        """Give up for now; the sweep tries again after a backoff that grows per attempt."""
        wait = min(1800.0, 60.0 * 2 ** min(delivery.attempts, 5))
        retry_at = self.clock() + timedelta(seconds=wait)
        self.ledger.note_error(sub.channel, delivery.day, reason, retry_at, kind=delivery.kind)
        return _result(delivery, "retry", reason)


def _unplanned(delivery: Delivery | None, reopen: bool) -> bool:
    """Whether the ledger's row (if any) leaves the run to be planned: none, or a skipped day
    that a deliberate post (reopen) redoes."""
    return delivery is None or (reopen and delivery.state == "skipped")


def _done(delivery: Delivery) -> Outcome:
    """The outcome for a day the ledger already closed."""
    detail = delivery.reason or f"{len(delivery.message_ids)} message(s)"
    return _result(delivery, "done", f"{delivery.state} before: {detail}")


def _outcome(sub: Subscription, run: Run, status: Status, detail: str) -> Outcome:
    """The outcome of a run (a weekly one's day: its week's Monday, as the ledger files it)."""
    return Outcome(sub.channel, ledger_day(run.day, run.kind), status, detail, run.kind)


def _result(delivery: Delivery, status: Status, detail: str) -> Outcome:
    """The outcome of a delivery in the ledger."""
    return Outcome(delivery.channel, delivery.day, status, detail, delivery.kind)
