"""Run the enabled sources side by side, isolate their failures, store what each delivered."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

import httpx

from bot.config import Settings
from bot.sources.base import Batch, FetchContext, FetchResult, Listener, Sessions, Source
from bot.sources.health import (
    load_cursor,
    record_failure,
    record_skip,
    record_success,
    source_migrations,
)
from bot.sources.http import Clock, PoliteHttp, RetryPolicy, SystemClock, host_key
from bot.sources.lookup import lookup_papers, missing_ids
from bot.sources.registry import LOOKUP, registered
from bot.sources.report import FetchReport, SourceReport, reason_for
from bot.store import Store

__all__ = ["UnknownSourceError", "choose", "fetch_sources", "make_http", "refresh"]

log = logging.getLogger("hotpapers.sources")
ARXIV = "arxiv"  # the lookup follows this source, and shares its single spaced connection
_ARXIV_HOSTS = ("arxiv.org", "export.arxiv.org", "rss.arxiv.org", "oaipmh.arxiv.org")


class UnknownSourceError(ValueError):
    """A source name that is not registered."""


def choose(settings: Settings, only: Iterable[str] = ()) -> list[Source]:
    """The sources to run: those named in `only`, else the enabled ones, in registry order."""
    known = registered()
    wanted = list(only) or list(settings.config.sources.enabled)
    unknown = [name for name in wanted if name not in known]
    if unknown:
        where = "" if only else "[sources] enabled: "
        names = ", ".join(known)
        raise UnknownSourceError(f"{where}unknown source {unknown[0]!r}; known sources: {names}")
    return [source for name, source in known.items() if name in wanted]


def make_http(client: httpx.AsyncClient, settings: Settings, clock: Clock) -> PoliteHttp:
    """The polite HTTP layer configured from settings, with every arXiv endpoint in one group."""
    env, config = settings.env, settings.config.sources
    urls = (env.arxiv_rss_url, env.arxiv_api_url, env.arxiv_oai_url)
    policy = RetryPolicy(
        max_retries=config.max_retries,
        base_delay=config.retry_base_seconds,
        max_delay=config.retry_max_seconds,
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
    )


@dataclass
class _Runner:
    """Runs sources against one store and one HTTP layer, recording each one's health."""

    store: Store
    settings: Settings
    http: PoliteHttp
    clock: Clock
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
            note=result.note,
            cursor=result.cursor,
        )

    async def _store(self, name: str, result: FetchResult, started: float) -> SourceReport:
        """Store a fully parsed result and report it."""
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

    async def fetch(self, source: Source) -> _Fetched | SourceReport:
        """Fetch and parse one source; a skip or failure comes back as its report."""
        reason = source.unavailable(self.settings)
        if reason is not None:
            await asyncio.to_thread(record_skip, self.store, source.name, self.now, reason)
            return self._finish(SourceReport(source.name, "skipped", reason))
        started = self._started(source.name)
        try:
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
            papers, dropped = await lookup_papers(
                self.store, self.http, self.settings, ids, self.now, self.listener
            )
            note = f"{len(papers)} linked papers looked up"
            if dropped:
                note += f"; {len(dropped)} not returned by the API"
            result = FetchResult(Batch(papers=papers), {}, note)
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
    clock: Clock | None = None,
    sessions: Sessions | None = None,
    listener: Listener | None = None,
) -> FetchReport:
    """Run the chosen sources side by side, store each one's batch, and report who contributed.

    When arXiv succeeds, papers that posts and signals link but the store lacks are looked up
    through the arXiv API too (reported as "arxiv-lookup").
    """
    clock = clock or SystemClock()
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
    clock: Clock | None = None,
    sessions: Sessions | None = None,
) -> FetchReport:
    """What the scheduler runs: every enabled source for the latest listing, logged.

    Pass the same Sessions object on every call so Bluesky logs in once, not every run.
    """
    report = await fetch_sources(store, settings, client, clock=clock, sessions=sessions)
    log.log(logging.WARNING if report.failed else logging.INFO, "%s", report.headline())
    return report
