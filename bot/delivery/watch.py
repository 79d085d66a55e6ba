"""What /healthz reports, observed in the background so answering it never waits on SQLite.

A thread reads the store (who leads, how the sources did, the adapters' state) every second
and another probes whether writes go through; /healthz answers from the last observation and
from what the store says about its writes (no lock taken), so it answers at once even while
another process holds the database. It is 503, naming each failing part, when the store has
refused writes for longer than `delivery.store_unavailable_seconds`, or when this process leads
but its scheduler is not running or an enabled chat adapter is down. Failing sources are
reported in the body; they are not an outage of the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.delivery.health import SourceStatus
from bot.delivery.lease import SCHEDULER, Leases
from bot.delivery.platforms import Platforms
from bot.errors import StoreError
from bot.store import Store
from bot.workers import Worker

__all__ = ["OBSERVE_SECONDS", "HealthWatch", "Observed"]

log = logging.getLogger(__name__)
OBSERVE_SECONDS = 1.0  # how stale the leader, adapters and sources in /healthz may be
PROBE_SECONDS = 5.0  # how often a write is tried when nothing else writes


@dataclass(frozen=True)
class Observed:
    """The parts of /healthz read from the store and the adapters, and when."""

    leader: str | None = None
    adapters: dict[str, Any] = field(default_factory=dict)
    down: dict[str, str] = field(default_factory=dict)  # enabled adapter -> why it is down
    sources: dict[str, Any] = field(default_factory=dict)
    refreshes: dict[str, Any] = field(default_factory=dict)  # the scheduled refresh's record
    error: str = ""  # why the last observation failed, if it did
    at: float | None = None  # time.monotonic() of the last observation that worked


class HealthWatch:
    """Observes the store and the adapters in the background; answers /healthz from that."""

    def __init__(
        self,
        *,
        store: Store,
        leases: Leases,
        platforms: Platforms,
        sources: SourceStatus,
        unavailable_after: float,
        observe_seconds: float = OBSERVE_SECONDS,
        probe_seconds: float = PROBE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Watch these parts; the store is unavailable once writes fail for unavailable_after s."""
        self.store = store
        self.leases = leases
        self.platforms = platforms
        self.sources = sources
        self.unavailable_after = unavailable_after
        self.observe_seconds = observe_seconds
        self.probe_seconds = probe_seconds
        self.monotonic = monotonic
        self.observed = Observed()
        # Its own threads: a probe waiting out a locked store holds up nothing else.
        self._reader = Worker(1, "health-read")
        self._prober = Worker(1, "health-probe")

    # -- observing -------------------------------------------------------------------------

    async def watch(self, stop: asyncio.Event) -> None:
        """Observe until stop is set (probing writes alongside)."""
        probe = asyncio.create_task(self._probe(stop), name="health-probe")
        try:
            while not stop.is_set():
                await self.observe()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.observe_seconds)
        finally:
            probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await probe
            self._reader.close()
            self._prober.close()

    async def observe(self) -> None:
        """Read the leader, the adapters and the sources once (in the watch's thread)."""
        try:
            self.observed = await self._reader.run(self._read)
        except StoreError as error:
            previous = self.observed
            self.observed = Observed(
                previous.leader, previous.adapters, previous.down, previous.sources,
                previous.refreshes, str(error), previous.at,
            )  # fmt: skip

    def _read(self) -> Observed:
        """One observation (blocking)."""
        return Observed(
            leader=self.leases.holder(SCHEDULER),
            adapters=self.platforms.health(),
            down=self.platforms.down(),
            sources=self.sources.summary(),
            refreshes=self.sources.refreshes(),
            at=self.monotonic(),
        )

    async def _probe(self, stop: asyncio.Event) -> None:
        """Try a write now and then, so a locked store shows even when nothing else writes."""
        while not stop.is_set():
            try:
                await self._prober.run(self.store.probe_write)
            except StoreError as error:
                log.warning("the store refuses writes: %s", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.probe_seconds)

    # -- answering -------------------------------------------------------------------------

    def store_state(self) -> dict[str, Any]:
        """Whether writes go through, from the store's own account (no lock taken)."""
        writes = self.store.writes()
        blocked = writes.blocked_for(self.monotonic())
        return {
            "writable": writes.blocked_since is None,
            "blocked_seconds": round(blocked, 1),
            "error": writes.error or None,
        }

    def problems(self, *, leading: bool, scheduler_running: bool) -> list[str]:
        """What makes this process unhealthy now, one line per failing part."""
        problems = []
        store = self.store_state()
        if store["blocked_seconds"] >= self.unavailable_after:
            problems.append(
                f"store: writes blocked for {store['blocked_seconds']:.0f} s: {store['error']}"
            )
        if leading:
            if not scheduler_running:
                problems.append("scheduler: not running")
            problems += [f"{name}: {why}" for name, why in sorted(self.observed.down.items())]
        return problems
