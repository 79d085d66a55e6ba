"""A deliberate one-off post (`hotpapers post`), through the same ledger as the scheduler."""

from __future__ import annotations

import asyncio
from datetime import date

from bot.delivery.deliver import Deliverer, Outcome, Preview
from bot.delivery.ledger import Kind
from bot.delivery.schedule import local_day, run_on
from bot.subscriptions import Subscription
from bot.timeutil import Clock

__all__ = ["post_once", "preview_once"]


async def post_once(
    deliverer: Deliverer,
    sub: Subscription,
    day: date | None,
    clock: Clock,
    *,
    wait_seconds: float = 60.0,
    kind: Kind = "daily",
) -> Outcome:
    """Post a channel's digest for a day (default: today there) unless it is already out.

    A weekly one is the week up to that day's digest time, posted unless that ISO week's is
    already out (on whatever weekday). If another process is posting that very digest, wait
    for it (up to wait_seconds) and report what it did rather than posting alongside it.
    """
    day = day or local_day(sub, clock())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    while True:
        outcome = await deliverer.deliver(sub, run_on(sub, day, kind), "manual", reopen=True)
        if outcome.status != "busy" or loop.time() >= deadline:
            return outcome
        await asyncio.sleep(0.5)


async def preview_once(
    deliverer: Deliverer, sub: Subscription, day: date | None, clock: Clock, kind: Kind = "daily"
) -> Preview:
    """What post_once would post now (`hotpapers post --dry-run`); records nothing."""
    day = day or local_day(sub, clock())
    return await deliverer.worker.run(deliverer.preview, sub, run_on(sub, day, kind))
