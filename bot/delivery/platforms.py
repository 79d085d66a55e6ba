"""The channels a process can post to: Markdown always, Discord and Slack when configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from bot.channels import Channel
from bot.delivery.platform_state import PlatformState, chat_platforms
from bot.errors import ConfigError
from bot.retry import RetryPolicy

if TYPE_CHECKING:  # `hotpapers status` asks chat_platforms without starting a web server
    from aiohttp import web

__all__ = ["Adapter", "PlatformState", "Platforms", "chat_platforms"]

log = logging.getLogger(__name__)


class Adapter(Channel, Protocol):
    """A chat adapter: a Channel with a connection to start and close, and health."""

    async def start(self) -> None:
        """Connect; return once ready."""
        ...

    async def close(self) -> None:
        """Disconnect."""
        ...

    def health(self) -> dict[str, Any]:
        """What /healthz shows; `connected` says whether it is up right now."""
        ...

    def gone(self) -> str | None:
        """Why the connection is gone for good (start() must run again), or None."""
        ...


# How often a supervisor looks whether a started adapter's connection is gone for good.
WATCH_SECONDS = 1.0
# Restarting an adapter that is down: capped exponential backoff with full jitter, for ever.
RESTART = RetryPolicy(base=1.0, cap=60.0)
Sleep = Callable[[float], Awaitable[None]]


class _Refused(Exception):
    """The platform refused the configuration (a token): retrying will not help."""


class Platforms:
    """The channel per platform, the chat adapters among them, and their state.

    An adapter that fails to start, or whose connection is gone for good, is started again
    in the background with capped exponential backoff and full jitter until it is back; its
    channel is left out meanwhile, so deliveries wait and are caught up once it returns.
    """

    def __init__(
        self,
        channels: dict[str, Channel],
        adapters: dict[str, Adapter],
        state: PlatformState,
        *,
        restart: RetryPolicy = RESTART,
        watch_seconds: float = WATCH_SECONDS,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """channels holds every channel, the adapters included (the deliverer reads it live)."""
        self.channels = channels
        self.adapters = adapters
        self.state = state
        self.restart = restart
        self.watch_seconds = watch_seconds
        self.sleep = sleep
        self._supervisors: dict[str, asyncio.Task[None]] = {}

    def attach(self, web_app: web.Application) -> None:
        """Let adapters mount routes (Slack's HTTP mode) before the web server starts."""
        for adapter in self.adapters.values():
            attach = getattr(adapter, "attach", None)
            if attach is not None:
                attach(web_app)

    async def start(self) -> None:
        """Connect every adapter; one that fails never blocks the others and is retried."""
        self.state.running.update(p for p in self.channels if p not in self.adapters)
        for platform, adapter in list(self.adapters.items()):
            try:
                started = await self._start(platform, adapter)
            except _Refused as refused:
                log.error("%s adapter not started: %s", platform, refused)
                self.state.failed(platform, str(refused))
                self.channels.pop(platform, None)
                continue
            self._supervisors[platform] = asyncio.create_task(
                self._supervise(platform, adapter, started), name=f"supervise-{platform}"
            )

    async def _start(self, platform: str, adapter: Adapter, attempt: int = 0) -> bool:
        """Start one adapter; True once it runs, False (recorded, logged) if it failed."""
        try:
            await adapter.start()
        except ConfigError as error:
            raise _Refused(str(error)) from error
        except Exception as error:
            if attempt == 0:
                log.exception("%s adapter failed to start; retrying in the background", platform)
            else:
                log.warning("%s adapter still down (attempt %d): %s", platform, attempt, error)
            self.state.failed(platform, f"failed to start: {error}")
            self.channels.pop(platform, None)
            self.state.running.discard(platform)
            return False
        if attempt:
            log.info("%s adapter is back after %d attempt(s)", platform, attempt)
        self.channels[platform] = adapter
        self.state.up(platform)
        return True

    async def _supervise(self, platform: str, adapter: Adapter, started: bool) -> None:
        """Restart an adapter whenever it is down, until close() cancels this."""
        try:
            await self._restarting(platform, adapter, started)
        except _Refused as refused:
            # A refused token does not heal by waiting: say so once, and stop trying.
            log.error("%s adapter not started: %s", platform, refused)
            self.state.failed(platform, str(refused))

    async def _restarting(self, platform: str, adapter: Adapter, started: bool) -> None:
        """Watch a started adapter; start it again with backoff whenever it is down."""
        while True:
            if started:
                while (why := adapter.gone()) is None:
                    await self.sleep(self.watch_seconds)
                log.warning("%s connection lost for good (%s); reconnecting", platform, why)
                self.state.failed(platform, f"connection lost: {why}")
                self.channels.pop(platform, None)
                self.state.running.discard(platform)
            attempt = 0
            started = False
            while not started:
                attempt += 1
                await self.sleep(self.restart.delay(attempt))
                with contextlib.suppress(Exception):
                    await adapter.close()  # what the failed start or lost connection left
                started = await self._start(platform, adapter, attempt)

    async def close(self) -> None:
        """Stop restarting, and disconnect every adapter."""
        for task in self._supervisors.values():
            task.cancel()
        for task in self._supervisors.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._supervisors.clear()
        self.state.running.difference_update(self.channels)
        for platform, adapter in self.adapters.items():
            try:
                await adapter.close()
            except Exception:
                log.exception("%s adapter failed to close", platform)

    def health(self) -> dict[str, Any]:
        """Each platform's health, or why it is not running."""
        report: dict[str, Any] = {
            name: {"error": why} for name, why in list(self.state.errors.items())
        }
        for name, channel in list(self.channels.items()):
            health = getattr(channel, "health", None)
            report[name] = health() if callable(health) else {"platform": name}
        return report

    def down(self) -> dict[str, str]:
        """Each enabled chat adapter that is not up right now, and why."""
        down = {}
        for platform in sorted(self.state.configured):
            adapter = self.adapters.get(platform)
            if platform in self.state.errors:
                down[platform] = self.state.errors[platform]
            elif adapter is None:
                if platform not in self.channels:  # (a channel given in its place is up)
                    down[platform] = "not built"
            elif platform not in self.state.running:
                down[platform] = "starting"
            elif adapter.health().get("connected") is False:
                down[platform] = "disconnected; reconnecting"
        return down

    def waiting_for(self, platform: str) -> str:
        """Why a platform's subscriptions are not scheduled here ('' when they are)."""
        if platform in self.channels:
            return ""
        return f"no {platform} adapter: {self.state.waiting_for(platform) or 'not built here'}"
