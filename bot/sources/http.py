"""Polite HTTP: a User-Agent with a contact, bounded retries, Retry-After, arXiv spacing."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from bot import __version__
from bot.sources.base import SourceError

__all__ = [
    "Clock",
    "PoliteHttp",
    "RetryPolicy",
    "SystemClock",
    "describe_error",
    "expect_ok",
    "host_key",
    "retry_after",
    "user_agent",
]

log = logging.getLogger("hotpapers.sources")


class Clock(Protocol):
    """Time as the HTTP layer sees it; tests pass a fake so no test really sleeps."""

    def now(self) -> datetime:
        """The current UTC time."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait this long."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """time.monotonic()."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """asyncio.sleep()."""
        await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry 429, 5xx and transport errors."""

    max_retries: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0
    # A server asking for a longer pause than this fails the source for this run instead of
    # stalling every other source behind it (X's rate-limit windows are 15 minutes).
    max_wait: float = 300.0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff for the given retry (0 = first retry), capped at max_delay."""
        return float(min(self.max_delay, self.base_delay * 2**attempt))


def user_agent(contact: str) -> str:
    """The descriptive User-Agent every request carries, with a contact as arXiv asks."""
    return f"hotpapers/{__version__} (+{contact})"


def retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds the server asked us to wait: Retry-After (seconds or date), else a reset time."""
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, (moment - now).total_seconds())
    # X sends x-rate-limit-reset and Bluesky ratelimit-reset, both as epoch seconds.
    for name in ("x-rate-limit-reset", "ratelimit-reset"):
        reset = headers.get(name, "").strip()
        if reset.isdigit():
            return max(0.0, int(reset) - now.timestamp())
    return None


def describe_error(error: httpx.TransportError) -> str:
    """A short description of a transport error."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def host_key(url: str) -> str:
    """The host (and port, when one is given) that spacing and pauses apply to."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def _retryable(status: int) -> bool:
    """429 and every 5xx are worth another try; other statuses are final."""
    return status == 429 or status >= 500


class PoliteHttp:
    """Wraps an injected httpx.AsyncClient with the project's politeness rules."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        contact: str,
        clock: Clock,
        policy: RetryPolicy = RetryPolicy(),
        spaced_hosts: Iterable[str] = (),
        spacing: float = 3.0,
        timeout: float = 30.0,
    ) -> None:
        """Space requests to spaced_hosts (arXiv's, as host_key() spells them) as one group."""
        self._client = client
        self._clock = clock
        self.policy = policy
        self.user_agent = user_agent(contact)
        self.spaced_hosts = frozenset(h.lower() for h in spaced_hosts)
        self.spacing = spacing
        self._timeout = httpx.Timeout(timeout)
        self._group_lock = asyncio.Lock()
        self._group_last: float | None = None
        self._not_before: dict[str, float] = {}
        self.requests: Counter[str] = Counter()  # by host
        self.by_source: Counter[str] = Counter()

    @property
    def clock(self) -> Clock:
        """The clock requests are timed on."""
        return self._clock

    def is_spaced(self, host: str) -> bool:
        """True when the host shares arXiv's single, spaced connection."""
        return host.lower() in self.spaced_hosts

    @asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        """Hold the spaced group's single slot, starting no sooner than spacing after the last."""
        if not self.is_spaced(host):
            yield
            return
        async with self._group_lock:
            if self._group_last is not None:
                wait = self._group_last + self.spacing - self._clock.monotonic()
                if wait > 0:
                    await self._clock.sleep(wait)
            self._group_last = self._clock.monotonic()
            yield

    async def _trace(self, event: str, info: Mapping[str, Any]) -> None:
        """Time the spacing from when a request really went out (after connecting), not queued."""
        if event.endswith("send_request_headers.started"):
            self._group_last = self._clock.monotonic()

    async def _cool_down(self, host: str) -> None:
        """Wait out a pause that an earlier response from this host asked for."""
        wait = self._not_before.get(host, 0.0) - self._clock.monotonic()
        if wait > 0:
            await self._clock.sleep(wait)

    async def get(self, url: str, *, source: str, **kwargs: Any) -> httpx.Response:
        """GET with retries; see request()."""
        return await self.request("GET", url, source=source, **kwargs)

    async def post(self, url: str, *, source: str, **kwargs: Any) -> httpx.Response:
        """POST with retries; see request()."""
        return await self.request("POST", url, source=source, **kwargs)

    async def request(
        self,
        method: str,
        url: str,
        *,
        source: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        form: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request, retrying 429, 5xx and transport errors; return the final response."""
        host = host_key(url)
        merged = {"User-Agent": self.user_agent, **(headers or {})}
        for attempt in range(self.policy.max_retries + 1):
            await self._cool_down(host)
            try:
                async with self._slot(host):
                    self.requests[host] += 1
                    self.by_source[source] += 1
                    response = await self._client.request(
                        method,
                        url,
                        params=params,
                        headers=merged,
                        json=json,
                        data=form,
                        timeout=self._timeout,
                        extensions={"trace": self._trace} if self.is_spaced(host) else {},
                    )
            except httpx.TransportError as error:
                problem, delay = f"cannot reach {host} ({describe_error(error)})", None
            else:
                if not _retryable(response.status_code):
                    return response
                problem = f"HTTP {response.status_code} from {host}"
                delay = retry_after(response.headers, self._clock.now())
            if attempt == self.policy.max_retries:
                raise SourceError(source, f"{problem} after {attempt + 1} attempts")
            self._pause(source, host, problem, delay, attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _pause(
        self, source: str, host: str, problem: str, delay: float | None, attempt: int
    ) -> None:
        """Make every request to host wait the asked-for or backoff delay before the next try."""
        wait = self.policy.backoff(attempt) if delay is None else delay
        if wait > self.policy.max_wait:
            raise SourceError(
                source, f"{problem}; the server asked to wait {wait:.0f} s, over the limit"
            )
        log.warning("%s: %s; retrying in %.1f s", source, problem, wait)
        self._not_before[host] = max(
            self._not_before.get(host, 0.0), self._clock.monotonic() + wait
        )


def expect_ok(response: httpx.Response, source: str) -> httpx.Response:
    """Raise a SourceError naming the status when a response is not 2xx."""
    if response.is_success:
        return response
    host = response.request.url.host
    raise SourceError(source, f"HTTP {response.status_code} from {host}: {_short(response.text)}")


def _short(text: str, limit: int = 120) -> str:
    """The start of a response body on one line, for error messages."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
