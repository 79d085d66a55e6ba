"""`hotpapers run`: the one process that schedules, fetches, posts and answers /healthz."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.config import Config, Env
from bot.delivery.defaults import ensure_markdown_default
from bot.delivery.lease import SCHEDULER, Leases
from bot.delivery.platforms import Platforms, chat_platforms
from bot.delivery.scheduler import DeliveryScheduler
from bot.delivery.watch import HealthWatch
from bot.delivery.web import health_app, start_web
from bot.errors import StoreError
from bot.retry import RetryPolicy
from bot.site.web import SiteServer
from bot.subscriptions import Subscriptions
from bot.timeutil import Clock
from bot.workers import Worker

__all__ = ["Runner", "run"]

log = logging.getLogger(__name__)
SLACK_HTTP_PORT = 8080  # Slack's HTTP mode needs a server even when PORT is unset
RANK_SECONDS = 60.0  # how often the rankings are brought up to date in the background
# Waiting out a store another process holds: capped backoff with full jitter between tries
# (each try itself waits for SQLite's lock up to the store's timeout).
STORE_RETRY = RetryPolicy(base=1.0, cap=20.0)


class Runner:
    """Leader election, adapters, the scheduler and the web server of one process.

    It never waits on SQLite on the event loop: store calls go to the worker's threads, and
    /healthz answers from what the health watch observed. A store locked by another process is
    waited out (the lead is kept, or handed over cleanly if someone else took it meanwhile).
    """

    def __init__(
        self,
        *,
        leases: Leases,
        platforms: Platforms,
        scheduler: DeliveryScheduler,
        subscriptions: Subscriptions,
        watch: HealthWatch,
        config: Config,
        env: Env,
        clock: Clock,
        worker: Worker,
        urgent: Worker,
        rank: Callable[[], None] | None = None,
        retry: RetryPolicy = STORE_RETRY,
        site: SiteServer | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        """Lead with the scheduler when the lease allows; stop when `stop` is set.

        rank brings the rankings up to date (run in the worker every RANK_SECONDS while
        leading, so chat commands and digests find them ready); urgent renews the leases, so
        a fan-out's planning queued in worker never delays a renewal.
        """
        self.leases = leases
        self.platforms = platforms
        self.scheduler = scheduler
        self.subscriptions = subscriptions
        self.watch = watch
        self.settings = config
        self.config = config.delivery
        self.env = env
        self.clock = clock
        self.worker = worker
        self.urgent = urgent
        self.rank = rank
        self.retry = retry
        self.site = site  # the web site, mounted beside /healthz (None: turned off)
        self.stop = stop or asyncio.Event()
        self.role = "starting"
        self.port: int | None = None
        self._led = False
        self._up = False  # leading with adapters and scheduler started: health judges them

    # -- health ----------------------------------------------------------------------------

    def health(self) -> tuple[bool, dict[str, Any]]:
        """The /healthz answer, from memory alone: ok, and what each part looks like."""
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
        problems = self.watch.problems(leading=self._up, scheduler_running=scheduler["running"])
        seen = self.watch.observed
        body = {
            "status": "unavailable" if problems else "ok",
            "problems": problems,
            "role": self.role,
            "leader": seen.leader,
            "scheduler": scheduler,
            "store": self.watch.store_state(),
            "adapters": seen.adapters,
            "sources": seen.sources,
            "refreshes": seen.refreshes,
        }
        return not problems, body

    # -- lifecycle -------------------------------------------------------------------------

    async def run(self, *, host: str, port: int | None) -> None:
        """Serve /healthz, wait to lead, lead until stopped (or until the lease is lost)."""
        web_runner = await self._start_web(host, port)
        watched = asyncio.Event()
        watching = asyncio.create_task(self.watch.watch(watched), name="health-watch")
        try:
            while not self.stop.is_set():
                took = await self._acquire()
                if took:
                    await self._lead()
                elif took is False:
                    await self._stand_by()
        finally:
            self.role = "stopped"
            await self._release_all()
            watched.set()
            await watching
            if web_runner is not None:
                await web_runner.cleanup()

    async def _acquire(self) -> bool | None:
        """Take the scheduler lease if free: True, False (someone leads), None (store locked)."""
        failures = 0
        while not self.stop.is_set():
            try:
                return await self.worker.run(self.leases.acquire, SCHEDULER)
            except StoreError as error:
                failures += 1
                log.warning("cannot reach the scheduler lease (try %d): %s", failures, error)
                await self._pause(self.retry.delay(failures))
        return None

    async def _pause(self, seconds: float) -> None:
        """Wait that long, or until stopped."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)

    async def _release_all(self) -> None:
        """Give back every lease (they expire by themselves if the store refuses)."""
        try:
            await self.worker.run(self.leases.release_all)
        except StoreError as error:
            log.warning("leases not released (they expire by themselves): %s", error)

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
            with contextlib.suppress(StoreError):
                holder = await self.worker.run(self.leases.holder, SCHEDULER)
                log.warning("standby: %s holds the scheduler lease; not posting",
                            holder or "another runner")  # fmt: skip
        self.role = "standby"
        await self._pause(min(self.config.lease_seconds / 3, 5.0))

    async def _lead(self) -> None:
        """Start adapters and the scheduler, renew the lease, stop cleanly."""
        log.info("leading the scheduler as %s", self.leases.me)
        self.role = "leader"
        self._led = True
        # Rank before the adapters take commands, so the first /hot after a start is warm.
        await self._rank_once()
        await self.platforms.start()
        ranking: asyncio.Task[None] | None = None
        try:
            if not chat_platforms(self.env):
                await self.worker.run(
                    ensure_markdown_default, self.subscriptions, self.settings, self.clock()
                )
            await self.worker.run(self._log_unscheduled)
            await self.scheduler.start()
            self._up = True
            if self.rank is not None:
                ranking = asyncio.create_task(self._keep_ranked(), name="rankings")
            await self._heartbeat()
        finally:
            self.role = "stopping"
            self._up = False
            if ranking is not None:
                ranking.cancel()
            await self.scheduler.shutdown(self.config.shutdown_seconds)
            await self.platforms.close()
            await self._release_all()

    async def _heartbeat(self) -> None:
        """Renew the leases until stopped; return early if another process took the lead.

        A renewal the store refuses (another process holds it) is tried again with backoff:
        the lease may expire meanwhile, but nobody can take it while the store is held, so
        once it frees up either the renewal wins and this process keeps leading, or another
        runner took the lease first and this one stands down.
        """
        every = self.config.lease_seconds / 3
        failures = 0
        while not self.stop.is_set():
            await self._pause(min(self.retry.delay(failures), every) if failures else every)
            if self.stop.is_set():
                return
            try:
                await self.urgent.run(self.leases.renew)
                held = await self.urgent.run(self.leases.holds, SCHEDULER)
            except StoreError as error:
                failures += 1
                log.warning("leases not renewed (try %d), still leading: %s", failures, error)
                continue
            if failures:
                log.info("leases renewed again after %d failed tries", failures)
                failures = 0
            if not held:
                log.error("lost the scheduler lease (paused too long?); standing down")
                return

    async def _keep_ranked(self) -> None:
        """Bring the rankings up to date every RANK_SECONDS (in the worker)."""
        while True:
            await asyncio.sleep(RANK_SECONDS)
            await self._rank_once()

    async def _rank_once(self) -> None:
        """Bring the rankings up to date (in the worker); a failure is logged, not raised."""
        if self.rank is None:
            return
        try:
            await self.worker.run(self.rank)
        except StoreError as error:
            log.warning("rankings not brought up to date: %s", error)
        except Exception:
            log.exception("bringing the rankings up to date failed")

    def _log_unscheduled(self) -> None:
        """Say which subscriptions cannot be posted by this process, and why (blocking)."""
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
