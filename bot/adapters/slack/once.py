"""Socket Mode's retries run nothing twice: the HTTP gate's one-time claims, as Bolt middleware.

Slack redelivers an envelope it saw no ack for (a slow ack, a reconnect) with the same event id
or trigger id. Over HTTP the gate claims each delivery before Bolt sees it; Socket Mode is not
signed and never passes the gate, so this middleware makes the same claim inside Bolt.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.adapters.slack.deliveries import Deliveries, unique_key
from bot.errors import StoreError

__all__ = ["register_once"]

log = logging.getLogger("hotpapers.slack")


def register_once(bolt: AsyncApp, deliveries: Deliveries) -> None:
    """Acknowledge, without running it again, any delivery whose key was already claimed."""

    async def once(
        body: dict[str, Any],
        next: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        key = unique_key(body)
        if key is not None:
            try:
                first = await asyncio.to_thread(deliveries.claim, key)
            except (sqlite3.Error, StoreError) as error:
                # Unrecorded is safer run than dropped: the command's own checks still apply.
                log.warning("cannot record a Slack delivery: %s", error)
                first = True
            if not first:
                log.info("Slack retry of a handled delivery (%s): acknowledged, not run again", key)
                return BoltResponse(status=200, body="")
        await next()
        return None

    bolt.middleware(once)
