"""Subscription changes, told to whoever schedules digests in this process.

Chat commands change subscriptions and a failed delivery pauses one; the scheduler must hear of
both, but it is built after them (it needs the deliverer, which needs the adapters, which need
the commands). This small object is built first and handed to all of them instead.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.subscriptions import Subscription

__all__ = ["Listener", "SubscriptionEvents"]

Listener = Callable[[Subscription | None, str], None]


class SubscriptionEvents:
    """A channel's subscription was saved, removed or paused; listeners may be on any thread."""

    def __init__(self) -> None:
        """No listener yet: a change with nobody scheduling is simply not acted on."""
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        """Call listener(sub, channel) on every change (the scheduler does, once built)."""
        self._listeners.append(listener)

    def changed(self, sub: Subscription | None, channel: str) -> None:
        """The channel's subscription is now sub (None: removed, or no longer to be posted)."""
        for listener in self._listeners:
            listener(sub, channel)
