"""A deliberate one-off post (`hotpapers post`), through the same ledger as the scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date

from bot.app import App
from bot.channels import Channel
from bot.delivery.deliver import Deliverer, Outcome
from bot.delivery.lease import Leases
from bot.delivery.ledger import Ledger
from bot.delivery.queue import OutboundQueue
from bot.delivery.schedule import local_day, run_on
from bot.subscriptions import Subscription

__all__ = ["post_once"]


async def post_once(
    app: App,
    sub: Subscription,
    day: date | None,
    channels: Mapping[str, Channel],
    *,
    wait_seconds: float = 60.0,
) -> Outcome:
    """Post a channel's digest for a day (default: today there) unless it is already out.

    If another process is posting that very digest, wait for it (up to wait_seconds) and
    report what it did rather than posting alongside it.
    """
    config = app.settings.config.delivery
    day = day or local_day(sub, app.clock())
    deliverer = Deliverer(
        app,
        Ledger(app.store, app.clock),
        Leases(app.store, ttl=config.lease_seconds),
        OutboundQueue(),
        channels,
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    while True:
        outcome = await deliverer.deliver(sub, run_on(sub, day), "manual", reopen=True)
        if outcome.status != "busy" or loop.time() >= deadline:
            return outcome
        await asyncio.sleep(0.5)
