"""Run the enabled sources side by side, isolate their failures, store what each delivered."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime

import httpx

from bot.config import Settings
from bot.errors import UsageError
from bot.retry import RetryPolicy
from bot.sources.base import Batch, FetchContext, FetchResult, Listener, Sessions, Source
from bot.sources.errors import DeadlineError
from bot.sources.health import (
    load_cursor,
    record_failure,
    record_refresh,
    record_refresh_skipped,
    record_skip,
    record_success,
    source_migrations,
)
from bot.sources.http import PoliteHttp, host_key
from bot.sources.lookup import lookup_papers, missing_ids
from bot.sources.registry import LOOKUP, registered
from bot.sources.report import FetchReport, SourceReport, reason_for
from bot.store import Store
from bot.timeutil import SystemTimer, Timer
from bot.validators import unknown_name

__all__ = ["Refresher", "UnknownSourceError", "choose", "fetch_sources", "make_http", "refresh"]

log = logging.getLogger("hotpapers.sources")
ARXIV = "arxiv"  # the lookup follows this source, and shares its single spaced connection
_ARXIV_HOSTS = ("arxiv.org", "export.arxiv.org", "rss.arxiv.org", "oaipmh.arxiv.org")


class UnknownSourceError(UsageError):
    """A source name that is not registered."""


def choose(settings: Settings, only: Iterable[str] = ()) -> list[Source]:
    """The sources to run: those named in `only`, else the enabled ones, in registry order."""
    known = registered()
    wanted = list(only) or list(settings.config.sources.enabled)  # the config checked its names
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise UnknownSourceError(unknown_name(unknown[0], list(known), "source"))
    return [source for name, source in known.items() if name in wanted]


def make_http(
    client: httpx.AsyncClient,
    settings: Settings,
    clock: Timer,
    rand: Callable[[], float] = random.random,
) -> PoliteHttp:
    """The polite HTTP layer configured from settings, with every arXiv endpoint in one group."""
    env, config = settings.env, settings.config.sources
    urls = (env.arxiv_rss_url, env.arxiv_api_url, env.arxiv_oai_url)
    policy = RetryPolicy(
        attempts=config.max_retries + 1,
        base=config.retry_base_seconds,
        cap=config.retry_max_seconds,
        max_wait=config.max_retry_after_seconds,
    )
    return PoliteHttp(
        client,
        contact=config.contact,
        clock=clock,
        policy=policy,
        spaced_hosts={host_key(url) for url in urls} | set(_ARXIV_HOSTS),
        spacing=config.arxiv_delay_seconds,
        timeout=config.timeout_seconds,
        request_deadline=config.request_deadline_seconds,
        limits={name: int(mb * 1_000_000) for name, mb in config.max_response_mb.items()},
        redirect_hosts=config.redirect_hosts,
        rand=rand,
    )


@dataclass
class _Runner:
    """Runs sources against one store and one HTTP layer, recording each one's health."""

    store: Store
    settings: Settings
    http: PoliteHttp
    clock: Timer
    day: date | None
    sessions: Sessions
    listener: Listener | None
    now: datetime

    def _started(self, name: str) -> float:
        """Tell the listener a source started; return the start time."""
        if self.listener is not None:
            self.listener.started(name)
        return self.clock.monotonic()

    def _finish(self, report: SourceReport) -> SourceReport:
        """Tell the listener and the log how a source ended."""
        level = logging.WARNING if report.status == "failed" else logging.INFO
        if self.listener is not None:
            self.listener.finished(report.source, report.status, report.summary())
            level = logging.DEBUG  # the listener already shows it; the log would repeat it
        log.log(level, "%s", report.line())
        return report

    def _save(self, name: str, result: FetchResult, requests: int) -> None:
        """Store a batch in one transaction, then advance the source's health and cursor."""
        batch = result.batch
        self.store.ingest(batch.papers, batch.posts, batch.signals, seen_at=self.now)
        counts = (len(batch.papers), len(batch.posts), len(batch.signals))
        record_success(
            self.store,
            name,
            self.now,
            counts,
            requests=requests,
            dropped=batch.dropped.count,
            note=result.note,
            cursor=result.cursor,
        )

    async def _store(self, name: str, result: FetchResult, started: float) -> SourceReport:
        """Store a fully parsed result and report it."""
        result = replace(result, batch=result.batch.web_links_only())
        if self.listener is not None:
            self.listener.step(name, "storing", None, None)
        requests = self.http.by_source[name]
        await asyncio.to_thread(self._save, name, result, requests)
        return SourceReport.ok(name, result, requests, self.clock.monotonic() - started)

    async def _failed(self, name: str, error: Exception, started: float) -> SourceReport:
        """Record and report a failure; unexpected ones are logged with their traceback."""
        reason = reason_for(error)
        if reason.startswith("unexpected"):
            log.error("%s failed unexpectedly", name, exc_info=error)
        requests = self.http.by_source[name]
        await asyncio.to_thread(
            record_failure, self.store, name, self.now, reason, requests=requests
        )
        seconds = self.clock.monotonic() - started
        return SourceReport(name, "failed", reason, requests=requests, seconds=seconds)

    def _context(self, name: str, cursor: dict[str, object]) -> FetchContext:
        """What a source's fetch gets."""
        return FetchContext(
            source=name,
            http=self.http,
            settings=self.settings,
            now=self.now,
            day=self.day,
            cursor=cursor,
            sessions=self.sessions,
            listener=self.listener,
        )

    @asynccontextmanager
    async def _deadline(self, name: str) -> AsyncIterator[None]:
        """Bound a source's run: its requests and waits, and (as a backstop) everything else."""
        seconds = self.settings.config.sources.source_deadline_seconds
        with self.http.deadline(name, seconds):
            try:
                async with asyncio.timeout(seconds):
                    yield
            except TimeoutError:
                reason = f"stopped at the source's {seconds:g} s deadline"
                raise DeadlineError(name, reason) from None

    async def fetch(self, source: Source) -> _Fetched | SourceReport:
        """Fetch and parse one source; a skip or failure comes back as its report."""
        reason = source.unavailable(self.settings)
        if reason is not None:
            await asyncio.to_thread(record_skip, self.store, source.name, self.now, reason)
            return self._finish(SourceReport(source.name, "skipped", reason))
        started = self._started(source.name)
        try:
            async with self._deadline(source.name):
                cursor = await asyncio.to_thread(load_cursor, self.store, source.name)
                result = await source.fetch(self._context(source.name, cursor))
        except Exception as error:  # one source failing must never stop the others
            return self._finish(await self._failed(source.name, error, started))
        return _Fetched(source.name, result, started)

    async def complete(self, fetched: _Fetched) -> SourceReport:
        """Store a fetched batch and report it; a failure to store is that source's failure."""
        try:
            return self._finish(await self._store(fetched.name, fetched.result, fetched.started))
        except Exception as error:
            return self._finish(await self._failed(fetched.name, error, fetched.started))

    async def run(self, source: Source) -> SourceReport:
        """Fetch, parse and store one source; any failure is recorded and reported, not raised."""
        outcome = await self.fetch(source)
        return outcome if isinstance(outcome, SourceReport) else await self.complete(outcome)

    async def lookup(self, ids: list[str], started: float) -> SourceReport:
        """Look up the given linked papers through the arXiv API and store them."""
        try:
            async with self._deadline(LOOKUP):
                found = await lookup_papers(
                    self.store, self.http, self.settings, ids, self.now, self.listener
                )
            note = f"{len(found.papers)} linked papers looked up"
            if found.missing:
                note += f"; {len(found.missing)} not returned by the API"
            batch = Batch(papers=tuple(found.papers.values()), dropped=found.dropped)
            result = FetchResult(batch, {}, note)
            return self._finish(await self._store(LOOKUP, result, started))
        except Exception as error:  # the lookup failing must not lose what the sources stored
            return self._finish(await self._failed(LOOKUP, error, started))

    async def arxiv_and_lookup(self, fetched: _Fetched) -> list[SourceReport]:
        """Store the listing while looking up linked papers it does not hold.

        The lookup's candidates are read before the listing is stored (the store is one
        connection), so its requests go out while the listing is being written.
        """
        limit = self.settings.config.sources.arxiv_lookup_max
        if not limit:
            return [await self.complete(fetched)]
        started = self._started(LOOKUP)
        listed = {paper.arxiv_id for paper in fetched.result.batch.papers}
        try:
            ids = await asyncio.to_thread(missing_ids, self.store, limit, listed)
        except Exception as error:
            failed = self._finish(await self._failed(LOOKUP, error, started))
            return [await self.complete(fetched), failed]
        arxiv, lookup = await asyncio.gather(self.complete(fetched), self.lookup(ids, started))
        return [arxiv, lookup]


@dataclass(frozen=True, slots=True)
class _Fetched:
    """A source's parsed result, not stored yet."""

    name: str
    result: FetchResult
    started: float


def _as_report(name: str, outcome: object) -> SourceReport:
    """A run's report; a failure while recording a failure still becomes a failed report."""
    if isinstance(outcome, SourceReport):
        return outcome
    if isinstance(outcome, Exception):
        return SourceReport(name, "failed", reason_for(outcome))
    if isinstance(outcome, BaseException):
        raise outcome  # cancellation and interrupts are not a source's failure
    raise TypeError(f"{name}: unexpected outcome {outcome!r}")


async def fetch_sources(
    store: Store,
    settings: Settings,
    client: httpx.AsyncClient,
    *,
    day: date | None = None,
    only: Iterable[str] = (),
    clock: Timer | None = None,
    sessions: Sessions | None = None,
    listener: Listener | None = None,
) -> FetchReport:
    """Run the chosen sources side by side, store each one's batch, and report who contributed.

    When arXiv succeeds, papers that posts and signals link but the store lacks are looked up
    through the arXiv API too (reported as "arxiv-lookup").
    """
    clock = clock or SystemTimer()
    chosen = choose(settings, only)
    await asyncio.to_thread(store.migrate, source_migrations)
    now = clock.now()
    runner = _Runner(
        store=store,
        settings=settings,
        http=make_http(client, settings, clock),
        clock=clock,
        day=day,
        sessions=sessions if sessions is not None else Sessions(),
        listener=listener,
        now=now,
    )
    arxiv = next((s for s in chosen if s.name == ARXIV), None)
    others = [s for s in chosen if s is not arxiv]
    jobs: list[Awaitable[object]] = [runner.run(s) for s in others]
    if arxiv is not None:
        jobs.append(runner.fetch(arxiv))
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    reports = [_as_report(s.name, o) for s, o in zip(others, outcomes, strict=False)]
    if arxiv is not None:
        last = outcomes[-1]
        if isinstance(last, _Fetched):
            listing, *lookup = await runner.arxiv_and_lookup(last)
            reports = [listing, *reports, *lookup]  # registry order, the lookup last
        else:
            reports.insert(0, _as_report(ARXIV, last))
    return FetchReport(now, clock.now(), day, tuple(reports))


async def refresh(
    store: Store,
    settings: Settings,
    client: httpx.AsyncClient,
    *,
    clock: Timer | None = None,
    sessions: Sessions | None = None,
) -> FetchReport:
    """Every enabled source for the latest listing, logged.

    Pass the same Sessions object on every call so Bluesky logs in once, not every run.
    """
    report = await fetch_sources(store, settings, client, clock=clock, sessions=sessions)
    log.log(logging.WARNING if report.failed else logging.INFO, "%s", report.headline())
    return report


class Refresher:
    """What the scheduler runs: refresh(), never two at once; a refresh due while one is still
    going is skipped, and the skip recorded for `hotpapers sources` and /healthz."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        client: httpx.AsyncClient,
        *,
        clock: Timer | None = None,
    ) -> None:
        """Refresh into store through client; sessions are kept from one refresh to the next."""
        self._store = store
        self._settings = settings
        self._client = client
        self._clock = clock or SystemTimer()
        self._sessions = Sessions()
        self._lock = asyncio.Lock()
        self._started: datetime | None = None

    async def __call__(self) -> FetchReport:
        """Run one refresh, or record why it was skipped."""
        now = self._clock.now()
        await asyncio.to_thread(self._store.migrate, source_migrations)
        if self._lock.locked():
            since = self._started.isoformat(timespec="seconds") if self._started else "?"
            reason = f"the refresh started at {since} is still running"
            await asyncio.to_thread(record_refresh_skipped, self._store, now, reason)
            log.warning("refresh skipped: %s", reason)
            return FetchReport(now, now, None, (), skipped=reason)
        async with self._lock:
            self._started = now
            await asyncio.to_thread(record_refresh, self._store, now, None)
            try:
                return await refresh(
                    self._store,
                    self._settings,
                    self._client,
                    clock=self._clock,
                    sessions=self._sessions,
                )
            finally:
                finished = self._clock.now()
                await asyncio.to_thread(record_refresh, self._store, now, finished)
