"""`hotpapers run`: the one process that schedules, fetches, posts and answers /healthz."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

from aiohttp import web

from bot.config import Config, Env
from bot.delivery.defaults import ensure_markdown_default
from bot.delivery.health import SourceStatus
from bot.delivery.lease import SCHEDULER, Leases
from bot.delivery.platforms import Platforms, chat_platforms
from bot.delivery.scheduler import DeliveryScheduler
from bot.delivery.web import health_app, start_web
from bot.site.web import SiteServer
from bot.subscriptions import Subscriptions
from bot.timeutil import Clock

__all__ = ["Runner", "run"]

log = logging.getLogger(__name__)
SLACK_HTTP_PORT = 8080  # Slack's HTTP mode needs a server even when PORT is unset


class Runner:
    """Leader election, adapters, the scheduler and the web server of one process."""

    def __init__(
        self,
        *,
        leases: Leases,
        platforms: Platforms,
        scheduler: DeliveryScheduler,
        subscriptions: Subscriptions,
        sources: SourceStatus,
        config: Config,
        env: Env,
        clock: Clock,
        site: SiteServer | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        """Lead with the scheduler when the lease allows; stop when `stop` is set."""
        self.leases = leases
        self.platforms = platforms
        self.scheduler = scheduler
        self.subscriptions = subscriptions
        self.sources = sources
        self.settings = config
        self.config = config.delivery
        self.env = env
        self.clock = clock
        self.site = site  # the web site, mounted beside /healthz (None: turned off)
        self.stop = stop or asyncio.Event()
        self.role = "starting"
        self.port: int | None = None
        self._led = False

    # -- health ----------------------------------------------------------------------------

    def health(self) -> tuple[bool, dict[str, Any]]:
        """The /healthz answer: ok, and what the scheduler, adapters and sources look like."""
        scheduler: dict[str, Any] = {"running": False}
        if self._led:
            jobs = self.scheduler.scheduler.get_jobs()
            times = [j.next_run_time for j in jobs if j.id.startswith("digest:")]
            upcoming = min((t for t in times if t is not None), default=None)
            scheduler = {
                "running": bool(self.scheduler.scheduler.running),
                "subscriptions": len(times),
                "next_digest": upcoming.isoformat() if upcoming else None,
                "posting": self.scheduler.deliverer.busy(),
                "queue": self.scheduler.deliverer.queue.stats(),
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
        if self.env.port is not None:
            return self.env.port
        slack_http = "slack" in self.platforms.adapters and self.env.slack_app_token is None
        return SLACK_HTTP_PORT if slack_http else None

    async def _start_web(self, host: str, port: int | None) -> web.AppRunner | None:
        """Start the web server unless there is no port to bind."""
        chosen = self._port(port)
        if chosen is None:
            log.info("PORT is not set: no web server (GET /healthz needs one)")
            return None
        web_app = health_app(self.health)
        self.platforms.attach(web_app)
        if self.site is not None:
            self.site.attach(web_app)  # last: it answers every GET no other route took
        runner, self.port = await start_web(web_app, host, chosen)
        site = ", the site at /" if self.site is not None else ""
        log.info("listening on http://%s:%d (GET /healthz%s)", host, self.port, site)
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
        self._led = True
        await self.platforms.start()
        if not chat_platforms(self.env):
            ensure_markdown_default(self.subscriptions, self.settings, self.clock())
        self._log_unscheduled()
        try:
            self.scheduler.start()
            await self._heartbeat()
        finally:
            self.role = "stopping"
            await self.scheduler.shutdown(self.config.shutdown_seconds)
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
        for sub in self.subscriptions.all():
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


async def run(runner: Runner, *, host: str = "0.0.0.0", port: int | None = None,
              handle_signals: bool = True) -> None:  # fmt: skip
    """Run until SIGTERM/SIGINT (or the runner's stop event is set); the caller closes the app.

    port None means $PORT; with neither, no web server is started (unless Slack's HTTP mode
    needs one, then 8080).
    """
    installed = _install_signals(runner.stop) if handle_signals else []
    try:
        await runner.run(host=host, port=port)
    finally:
        loop = asyncio.get_running_loop()
        for sig in installed:
            loop.remove_signal_handler(sig)
        log.info("stopped")
