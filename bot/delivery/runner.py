"""`hotpapers run`: the one process that schedules, fetches, posts and answers /healthz."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.app import App
from bot.channels import Channel
from bot.delivery.defaults import ensure_markdown_default
from bot.delivery.deliver import Deliverer
from bot.delivery.health import Fetch, SourceStatus
from bot.delivery.lease import SCHEDULER, Leases
from bot.delivery.ledger import Ledger
from bot.delivery.platforms import Platforms, chat_platforms, open_platforms
from bot.delivery.queue import OutboundQueue
from bot.delivery.scheduler import DeliveryScheduler
from bot.delivery.status import channel_status
from bot.delivery.web import health_app, start_web

__all__ = ["Runner", "run"]

log = logging.getLogger(__name__)
SLACK_HTTP_PORT = 8080  # Slack's HTTP mode needs a server even when PORT is unset


class Runner:
    """Leader election, adapters, the scheduler and the web server of one process."""

    def __init__(
        self,
        app: App,
        *,
        fetch: Fetch | None = None,
        channels: Mapping[str, Channel] | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        """Post through the given channels (default: Markdown plus the configured adapters)."""
        self.app = app
        self.config = app.settings.config.delivery
        self.fetch = fetch
        self.stop = stop or asyncio.Event()
        self.leases = Leases(app.store, ttl=self.config.lease_seconds)
        self.ledger = Ledger(app.store, app.clock)
        self.queue = OutboundQueue()
        self.sources = SourceStatus(app.store)
        if channels is None:
            self.platforms = open_platforms(app)
        else:
            self.platforms = Platforms(dict(channels))
        self.role = "starting"
        self.scheduler: DeliveryScheduler | None = None
        self.port: int | None = None

    # -- health ----------------------------------------------------------------------------

    def health(self) -> tuple[bool, dict[str, Any]]:
        """The /healthz answer: ok, and what the scheduler, adapters and sources look like."""
        scheduler: dict[str, Any] = {"running": False}
        if self.scheduler is not None:
            jobs = self.scheduler.scheduler.get_jobs()
            times = [j.next_run_time for j in jobs if j.id.startswith("digest:")]
            upcoming = min((t for t in times if t is not None), default=None)
            scheduler = {
                "running": bool(self.scheduler.scheduler.running),
                "subscriptions": len(times),
                "next_digest": upcoming.isoformat() if upcoming else None,
                "posting": self.scheduler.deliverer.busy(),
                "queue": self.queue.stats(),
            }
        ok = self.role in ("starting", "standby") or (
            self.role == "leader" and scheduler["running"]
        )
        body = {
            "status": "ok" if ok else "unavailable",
            "role": self.role,
            "leader": self.leases.holder(SCHEDULER),
            "scheduler": scheduler,
            "adapters": self.platforms.health(),
            "sources": self.sources.summary(),
        }
        return ok, body

    def status(self, channel: str) -> str:
        """Commands' /digest status hook: last and next digest of a channel."""
        sub = self.app.subscriptions.get(channel)
        if sub is None:
            return "No digest subscription."
        waiting = self.platforms.waiting_for(sub.platform)
        return channel_status(sub, self.ledger, self.app.clock(), waiting_for=waiting)

    # -- lifecycle -------------------------------------------------------------------------

    async def run(self, *, host: str, port: int | None) -> None:
        """Serve /healthz, wait to lead, lead until stopped (or until the lease is lost)."""
        web_runner = await self._start_web(host, port)
        try:
            while not self.stop.is_set():
                if self.leases.acquire(SCHEDULER):
                    await self._lead()
                else:
                    await self._stand_by()
        finally:
            self.role = "stopped"
            self.leases.release_all()
            if web_runner is not None:
                await web_runner.cleanup()

    def _port(self, port: int | None) -> int | None:
        """The port to bind: the argument, else $PORT, else 8080 if Slack's HTTP mode needs it."""
        if port is not None:
            return port
        env = self.app.settings.env
        if env.port is not None:
            return env.port
        slack_http = "slack" in self.platforms.adapters and env.slack_app_token is None
        return SLACK_HTTP_PORT if slack_http else None

    async def _start_web(self, host: str, port: int | None) -> web.AppRunner | None:
        """Start the web server unless there is no port to bind."""
        chosen = self._port(port)
        if chosen is None:
            log.info("PORT is not set: no web server (GET /healthz needs one)")
            return None
        web_app = health_app(self.health)
        self.platforms.attach(web_app)
        runner, self.port = await start_web(web_app, host, chosen)
        log.info("listening on http://%s:%d (GET /healthz)", host, self.port)
        return runner

    async def _stand_by(self) -> None:
        """Another runner leads: check again every few seconds, until stopped."""
        if self.role != "standby":
            holder = self.leases.holder(SCHEDULER) or "another runner"
            log.warning("standby: %s holds the scheduler lease; not posting", holder)
        self.role = "standby"
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), min(self.config.lease_seconds / 3, 5.0))

    async def _lead(self) -> None:
        """Start adapters and the scheduler, renew the lease, stop cleanly."""
        log.info("leading the scheduler as %s", self.leases.me)
        self.role = "leader"
        await self.platforms.start()
        if not chat_platforms(self.app.settings):
            ensure_markdown_default(self.app)
        deliverer = Deliverer(
            self.app, self.ledger, self.leases, self.queue, self.platforms.channels
        )
        self.scheduler = DeliveryScheduler(
            self.app, deliverer, platforms=self.platforms.channels, fetch=self.fetch
        )
        commands = self.app.commands
        commands.on_change, commands.status = self.scheduler.on_change, self.status
        self._log_unscheduled()
        try:
            self.scheduler.start()
            await self._heartbeat()
        finally:
            self.role = "stopping"
            await self.scheduler.shutdown(self.config.shutdown_seconds)
            commands.on_change, commands.status = (lambda sub, channel: None), None
            await self.platforms.close()
            self.leases.release_all()

    async def _heartbeat(self) -> None:
        """Renew the leases until stopped; return early if another process took the lead."""
        every = self.config.lease_seconds / 3
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), every)
            self.leases.renew()
            if not self.leases.holds(SCHEDULER):
                log.error("lost the scheduler lease (paused too long?); standing down")
                return

    def _log_unscheduled(self) -> None:
        """Say which subscriptions cannot be posted by this process, and why."""
        for sub in self.app.subscriptions.all():
            waiting = self.platforms.waiting_for(sub.platform)
            if waiting and not sub.paused:
                log.warning("%s is not scheduled: %s", sub.channel, waiting)


def _install_signals(stop: asyncio.Event) -> list[signal.Signals]:
    """SIGTERM and SIGINT set the stop event (where the platform allows signal handlers)."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            continue
        installed.append(sig)
    return installed


async def run(
    app: App,
    *,
    fetch: Fetch | None = None,
    channels: Mapping[str, Channel] | None = None,
    host: str = "0.0.0.0",
    port: int | None = None,
    stop: asyncio.Event | None = None,
    handle_signals: bool = True,
) -> None:
    """Run everything until SIGTERM/SIGINT (or `stop` is set); the caller closes the app.

    port None means $PORT; with neither, no web server is started (unless Slack's HTTP mode
    needs one, then 8080). fetch defaults to app.extras["fetch"] when the lead wired one in.
    """
    stop = stop or asyncio.Event()
    fetch = fetch or app.extras.get("fetch")
    runner = Runner(app, fetch=fetch, channels=channels, stop=stop)
    installed = _install_signals(stop) if handle_signals else []
    try:
        await runner.run(host=host, port=port)
    finally:
        loop = asyncio.get_running_loop()
        for sig in installed:
            loop.remove_signal_handler(sig)
        log.info("stopped")
