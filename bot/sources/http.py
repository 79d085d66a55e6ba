"""Polite, bounded HTTP for the sources: every request has a deadline, a size limit and a host.

Politeness: a User-Agent with a contact, Retry-After honoured, arXiv's single spaced connection.
Bounds: a total deadline per request and per source run (which also caps Retry-After), a size
limit per source on the wire and after decompression, redirects only to the same host (or an
allowed one) over http(s), and no retry of what cannot heal (DNS failures get one).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import random
import ssl
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from bot import __version__
from bot.config import SourcesConfig
from bot.retry import RetryPolicy
from bot.sources.body import (
    ACCEPT_ENCODING,
    BodyTooLargeError,
    UnsupportedEncodingError,
    bounded,
    megabytes,
)
from bot.sources.errors import (
    DeadlineError,
    ParseError,
    RedirectError,
    SourceError,
    TooLargeError,
    UnreachableError,
)
from bot.sources.faults import Fault, classify, describe_error
from bot.timeutil import Timer
from bot.untrusted import clean_text

__all__ = [
    "Body",
    "PoliteHttp",
    "Reader",
    "RetryPolicy",
    "describe_error",
    "expect_ok",
    "expect_ok_streamed",
    "host_key",
    "make_client",
    "retry_after",
    "user_agent",
]

log = logging.getLogger("hotpapers.sources")
T = TypeVar("T")
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
DEFAULT_LIMIT = 16_000_000  # bytes, for a source the limits do not name
DEFAULT_POLICY = RetryPolicy()


def user_agent(contact: str) -> str:
    """The descriptive User-Agent every request carries, with a contact as arXiv asks."""
    return f"hotpapers/{__version__} (+{contact})"


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The trusted certificates (httpx's choice: SSL_CERT_FILE or certifi), loaded once a process.

    Loading them takes 20 ms; every client shares the one context (it is safe to share).
    """
    return httpx.create_ssl_context()


def make_client(
    config: SourcesConfig, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The one outbound HTTP client: our User-Agent, the configured timeout, no auto-redirects.

    Redirects are followed by PoliteHttp, which checks where each one leads. An injected
    transport (tests) needs no certificates.
    """
    return httpx.AsyncClient(
        transport=transport,
        verify=True if transport else tls_context(),
        headers={"User-Agent": user_agent(config.contact), "Accept-Encoding": ACCEPT_ENCODING},
        timeout=httpx.Timeout(config.timeout_seconds),
        follow_redirects=False,
    )


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


def host_key(url: str | httpx.URL) -> str:
    """The host (and port, when one is given) that spacing and pauses apply to."""
    parts = urlsplit(str(url))
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def _retryable(status: int) -> bool:
    """429 and every 5xx are worth another try; other statuses are final."""
    return status == 429 or status >= 500


class Body:
    """A response's body, decoded and within the source's limit: iterate it, or read() it."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        """Wrap the decoded chunks."""
        self._chunks = chunks

    def __aiter__(self) -> AsyncIterator[bytes]:
        """The chunks as they arrive."""
        return self._chunks

    async def read(self) -> bytes:
        """The whole body."""
        return b"".join([chunk async for chunk in self._chunks])


Reader = Callable[[httpx.Response, Body], Awaitable[T]]


async def _buffer(response: httpx.Response, body: Body) -> httpx.Response:
    """The response with its decoded body read, as httpx would give it."""
    content = await body.read()
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=content, request=response.request
    )


def _check_announced(response: httpx.Response, limit: int) -> None:
    """Refuse, before reading it, a body whose Content-Length is over the limit."""
    length = response.headers.get("content-length", "").strip()
    if length.isdigit() and int(length) > limit:
        raise BodyTooLargeError(limit, f"on the wire (it announces {megabytes(int(length))})")


def _raw(response: httpx.Response) -> tuple[AsyncIterator[bytes], str]:
    """The body as it comes off the wire, and the encoding to undo."""
    if response.is_stream_consumed:  # built in memory (a MockTransport): read and decoded
        return _once(response.content), ""
    return response.aiter_raw(), response.headers.get("content-encoding", "")


async def _once(content: bytes) -> AsyncIterator[bytes]:
    """A body that is already in memory, as a stream."""
    yield content


class _Again(Exception):
    """A try that may succeed if repeated: what went wrong and how long the server asked."""

    def __init__(self, problem: str, delay: float | None, fault: Fault) -> None:
        super().__init__(problem)
        self.problem = problem
        self.delay = delay
        self.fault = fault


class PoliteHttp:
    """Wraps an injected httpx.AsyncClient with the project's politeness rules and bounds."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        contact: str,
        clock: Timer,
        policy: RetryPolicy = DEFAULT_POLICY,
        spaced_hosts: Iterable[str] = (),
        spacing: float = 3.0,
        timeout: float = 30.0,
        request_deadline: float = 180.0,
        limits: Mapping[str, int] | None = None,
        redirect_hosts: Iterable[str] = (),
        rand: Callable[[], float] = random.random,
    ) -> None:
        """Space requests to spaced_hosts (arXiv's, as host_key() spells them) as one group.

        limits caps each source's responses in bytes; redirect_hosts are hosts a redirect may
        lead to besides the one asked; rand draws the jitter (tests pass a constant).
        """
        self._client = client
        self._clock = clock
        self.policy = policy
        self.user_agent = user_agent(contact)
        self.spaced_hosts = frozenset(h.lower() for h in spaced_hosts)
        self.spacing = spacing
        self._timeout = httpx.Timeout(timeout)
        self.request_deadline = request_deadline
        self._limits = dict(limits or {})
        self._redirect_hosts = frozenset(h.lower() for h in redirect_hosts)
        self._rand = rand
        self._group_lock = asyncio.Lock()
        self._group_last: float | None = None
        self._not_before: dict[str, float] = {}
        self._deadlines: dict[str, tuple[float, float]] = {}  # source: (ends, seconds)
        self._unreachable: dict[str, str] = {}  # host: why, for the rest of this run
        self.requests: Counter[str] = Counter()  # by host
        self.by_source: Counter[str] = Counter()

    @property
    def clock(self) -> Timer:
        """The clock requests are timed on."""
        return self._clock

    def is_spaced(self, host: str) -> bool:
        """True when the host shares arXiv's single, spaced connection."""
        return host.lower() in self.spaced_hosts

    def limit(self, source: str) -> int:
        """The largest response body the source accepts, in bytes."""
        return self._limits.get(source, DEFAULT_LIMIT)

    @contextmanager
    def deadline(self, source: str, seconds: float) -> Iterator[None]:
        """Bound every request of the source, and every wait between them, to `seconds`."""
        self._deadlines[source] = (self._clock.monotonic() + seconds, seconds)
        try:
            yield
        finally:
            self._deadlines.pop(source, None)

    def _past_deadline(self, source: str, doing: str) -> DeadlineError:
        """The error of a source whose run deadline has come."""
        _, seconds = self._deadlines.get(source, (math.inf, math.inf))
        return DeadlineError(source, f"{doing} would pass the source's {seconds:g} s deadline")

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
            previous, self._group_last = self._group_last, self._clock.monotonic()
            try:
                yield
            except httpx.ConnectError:
                self._group_last = previous  # no connection, so nothing reached arXiv
                raise

    async def _trace(self, event: str, info: Mapping[str, Any]) -> None:
        """Time the spacing from when a request really went out (after connecting), not queued."""
        if event.endswith("send_request_headers.started"):
            self._group_last = self._clock.monotonic()

    async def _cool_down(self, host: str, source: str, ends: float) -> None:
        """Wait out a pause that an earlier response from this host asked for."""
        wait = self._not_before.get(host, 0.0) - self._clock.monotonic()
        if wait <= 0:
            return
        if self._clock.monotonic() + wait >= ends:
            raise self._past(source, ends, f"waiting {wait:.0f} s for {host} to accept requests")
        await self._clock.sleep(wait)

    def _past(self, source: str, ends: float, doing: str) -> DeadlineError:
        """The error of a request whose deadline (its own or its source's) would pass."""
        run_ends, _ = self._deadlines.get(source, (math.inf, math.inf))
        if run_ends <= ends:
            return self._past_deadline(source, doing)
        return DeadlineError(
            source, f"{doing} would pass the {self.request_deadline:g} s request deadline"
        )

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
        """Send a request, retrying what may heal; the final response, its body read."""
        return await self.fetch(
            method,
            url,
            source=source,
            read=_buffer,
            params=params,
            headers=headers,
            json=json,
            form=form,
        )

    async def fetch(
        self,
        method: str,
        url: str,
        *,
        source: str,
        read: Reader[T],
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        form: Mapping[str, str] | None = None,
    ) -> T:
        """Send a request and hand the final response and its bounded body to read().

        read() runs within the deadline, so a stream is parsed as it arrives; a transport error
        while it reads is retried like any other.
        """
        host = host_key(url)
        request = self._client.build_request(
            method,
            url,
            params=params,
            headers={"User-Agent": self.user_agent, **(headers or {})},
            json=json,
            data=form,
            timeout=self._timeout,
            extensions={"trace": self._trace} if self.is_spaced(host) else {},
        )
        ends = min(self._clock.monotonic() + self.request_deadline, self._run_ends(source))
        for attempt in range(1, self.policy.attempts + 1):
            if host in self._unreachable:
                raise UnreachableError(source, self._unreachable[host])
            await self._cool_down(host, source, ends)
            try:
                async with self._slot(host):
                    self.requests[host] += 1
                    self.by_source[source] += 1
                    return await self._try(request, source, read, ends)
            except _Again as again:
                failure = again
            except httpx.TransportError as error:
                failure = _Again(
                    f"cannot reach {host} ({describe_error(error)})", None, classify(error)
                )
            self._give_up_or_pause(source, host, failure, attempt, ends)
        raise AssertionError("unreachable")  # pragma: no cover

    def _run_ends(self, source: str) -> float:
        """When the source's run deadline comes (infinity without one)."""
        return self._deadlines.get(source, (math.inf, math.inf))[0]

    def _give_up_or_pause(
        self, source: str, host: str, failure: _Again, attempt: int, ends: float
    ) -> None:
        """Raise when the failure cannot heal or the tries are spent; else schedule the retry."""
        if failure.fault is Fault.FINAL:
            raise SourceError(source, failure.problem)
        if failure.fault is Fault.UNREACHABLE and attempt >= 2:
            self._unreachable[host] = failure.problem  # the run's other requests fail at once
            raise UnreachableError(source, failure.problem)
        if attempt >= self.policy.attempts:
            raise SourceError(source, f"{failure.problem} after {attempt} attempts")
        asked = failure.delay
        if asked is not None and asked > self.policy.max_wait:
            raise SourceError(
                source, f"{failure.problem}; the server asked to wait {asked:.0f} s, over the limit"
            )
        wait = self.policy.delay(attempt, self._rand) if asked is None else asked
        if self._clock.monotonic() + wait >= ends:
            if asked is not None:
                doing = f"{failure.problem}; waiting the {asked:.0f} s the server asked"
            else:
                doing = f"{failure.problem}; another try"
            raise self._past(source, ends, doing)
        level = logging.DEBUG if failure.fault is Fault.UNREACHABLE else logging.WARNING
        log.log(level, "%s: %s; retrying in %.1f s", source, failure.problem, wait)
        self._not_before[host] = max(
            self._not_before.get(host, 0.0), self._clock.monotonic() + wait
        )

    async def _try(self, request: httpx.Request, source: str, read: Reader[T], ends: float) -> T:
        """One try within what is left of the deadline: send, follow redirects, read."""
        host = host_key(request.url)
        budget = ends - self._clock.monotonic()
        if budget <= 0:
            raise self._past(source, ends, f"another request to {host}")
        try:
            async with asyncio.timeout(None if math.isinf(budget) else budget):
                response = await self._send(request, source)
                try:
                    if _retryable(response.status_code):
                        delay = retry_after(response.headers, self._clock.now())
                        problem = f"HTTP {response.status_code} from {host}"
                        raise _Again(problem, delay, Fault.TRANSIENT)
                    _check_announced(response, self.limit(source))
                    body = bounded(*_raw(response), self.limit(source))
                    return await read(response, Body(body))
                finally:
                    await response.aclose()
        except TimeoutError:
            raise self._past(source, ends, f"waiting for {host} to answer") from None
        except BodyTooLargeError as error:
            raise TooLargeError(source, f"the answer from {host} is {error}") from None
        except UnsupportedEncodingError as error:
            raise ParseError(source, f"the answer from {host}: {error}") from None
        except zlib.error:
            raise ParseError(source, f"the answer from {host} does not decompress") from None

    async def _send(self, request: httpx.Request, source: str) -> httpx.Response:
        """Send, following redirects that stay on the host (or an allowed one) over http(s)."""
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._client.send(request, stream=True, follow_redirects=False)
            location = response.headers.get("location")
            if response.status_code not in REDIRECTS or location is None:
                return response
            await response.aclose()
            request = self._redirected(request, response.status_code, location, source)
        raise RedirectError(source, f"more than {MAX_REDIRECTS} redirects from {request.url.host}")

    def _redirected(
        self, request: httpx.Request, status: int, location: str, source: str
    ) -> httpx.Request:
        """The request a redirect asks for, if it may be followed; else a RedirectError."""
        where = location[:80]
        try:
            url = request.url.join(location)
        except (httpx.InvalidURL, ValueError):
            raise RedirectError(source, f"redirect to an invalid URL {where!r}") from None
        if url.scheme not in ("http", "https"):
            raise RedirectError(source, f"redirect to {where!r} refused: only http(s) is followed")
        if request.url.scheme == "https" and url.scheme == "http":
            raise RedirectError(source, f"redirect from https to {where!r} refused")
        same = host_key(url) == host_key(request.url)
        if not same and url.host.lower() not in self._redirect_hosts:
            raise RedirectError(
                source,
                f"redirect from {request.url.host} to another host refused ({where!r});"
                " allow it with [sources] redirect_hosts",
            )
        return _follow(request, status, url, same)


_DROPPED_ON_GET = ("content-length", "content-type", "transfer-encoding")


def _follow(request: httpx.Request, status: int, url: httpx.URL, same_host: bool) -> httpx.Request:
    """The next request of a redirect chain, as browsers make it (303: GET; 307/308: as is)."""
    method = request.method
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method = "GET"
    dropped = {"host"}
    if method != request.method:
        dropped.update(_DROPPED_ON_GET)
    if not same_host:
        dropped.update(("authorization", "cookie"))  # credentials are for the host asked
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in dropped]
    content = request.content if method == request.method else None
    extensions = request.extensions
    return httpx.Request(method, url, headers=headers, content=content, extensions=extensions)


def expect_ok(response: httpx.Response, source: str) -> httpx.Response:
    """Raise a SourceError naming the status when a response is not 2xx."""
    if response.is_success:
        return response
    host = response.request.url.host
    raise SourceError(source, f"HTTP {response.status_code} from {host}: {_short(response.text)}")


async def expect_ok_streamed(response: httpx.Response, body: Body, source: str) -> None:
    """expect_ok() for a response whose body is still a stream."""
    if not response.is_success:
        start = b""
        async for chunk in body:
            start += chunk
            if len(start) >= 1000:
                break
        text = start.decode("utf-8", "replace")
        host = response.request.url.host
        raise SourceError(source, f"HTTP {response.status_code} from {host}: {_short(text)}")


def _short(text: str, limit: int = 120) -> str:
    """The start of a response body on one line, for error messages."""
    line = " ".join(clean_text(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
