"""Shared fixtures: payload files, a fake clock, settings pointing at fake hosts, a mock router."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import Config, Env, Settings, SourcesConfig
from bot.sources.base import FetchContext, Sessions
from bot.sources.orchestrator import make_http
from bot.store import Store

PAYLOADS = Path(__file__).parent / "payloads"
# Monday 2024-02-05 09:00 US Eastern: the latest listing is the one dated that Monday.
MONDAY_MORNING = datetime(2024, 2, 5, 14, 0, tzinfo=UTC)

TEST_ENV = {
    "arxiv_rss_url": "https://rss.arxiv.test/rss/",
    "arxiv_api_url": "https://export.arxiv.test/api/query",
    "arxiv_oai_url": "https://oai.arxiv.test/oai",
    "hf_api_url": "https://hf.test/api",
    "hn_api_url": "https://hn.test/api/v1",
    "bluesky_api_url": "https://bsky.test/xrpc",
    "x_api_url": "https://x.test/2",
}


def read_payload(name: str) -> bytes:
    """The bytes of a payload file."""
    return (PAYLOADS / name).read_bytes()


class FakeClock:
    """A clock whose sleeps return at once and move time forward."""

    def __init__(self, start: datetime = MONDAY_MORNING) -> None:
        self.start = start
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return self.elapsed

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds
        await asyncio.sleep(0)


def make_settings(env: dict[str, Any] | None = None, **sources: Any) -> Settings:
    """Settings with fake hosts, small categories and no credentials unless given."""
    values: dict[str, Any] = {
        "categories": ("cs.LG", "cs.CL"),
        "contact": "mailto:test@example.org",
    }
    values.update(sources)
    config = Config(sources=SourcesConfig(**values))
    return Settings(config=config, env=Env(**{**TEST_ENV, **(env or {})}))


@dataclass
class Seen:
    """A request the mock saw, and when on the fake clock."""

    request: httpx.Request
    at: float


Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Router:
    """A MockTransport handler dispatching on host and path, recording every request."""

    clock: FakeClock
    routes: dict[tuple[str, str], Handler | list[Handler]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def add(self, host: str, path: str, *handlers: Handler) -> None:
        """Answer host+path with the handlers in turn (the last one repeats)."""
        self.routes[(host, path)] = list(handlers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(Seen(request, self.clock.monotonic()))
        handlers = self.routes.get((request.url.host, request.url.path))
        if not handlers:
            return httpx.Response(404, text=f"no route for {request.url}")
        assert isinstance(handlers, list)
        handler = handlers.pop(0) if len(handlers) > 1 else handlers[0]
        return handler(request)

    def to(self, host: str) -> list[Seen]:
        """The requests sent to one host."""
        return [s for s in self.seen if s.request.url.host == host]


def respond(status: int = 200, body: bytes | str = b"", **headers: str) -> Handler:
    """A handler that always gives the same answer."""
    content = body.encode() if isinstance(body, str) else body
    return lambda request: httpx.Response(status, content=content, headers=headers)


def payload_response(name: str, status: int = 200, **headers: str) -> Handler:
    """A handler answering with a payload file."""
    return respond(status, read_payload(name), **headers)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def router(clock: FakeClock) -> Router:
    return Router(clock)


@pytest.fixture
def client(router: Router) -> Iterator[httpx.AsyncClient]:
    yield httpx.AsyncClient(transport=httpx.MockTransport(router))


@pytest.fixture
def store() -> Iterator[Store]:
    db = Store(":memory:")
    yield db
    db.close()


def make_context(
    client: httpx.AsyncClient,
    clock: FakeClock,
    settings: Settings | None = None,
    *,
    source: str = "arxiv",
    day: date | None = None,
    cursor: dict[str, Any] | None = None,
    sessions: Sessions | None = None,
) -> FetchContext:
    """A fetch context on the mock client and fake clock."""
    settings = settings or make_settings()
    return FetchContext(
        source=source,
        http=make_http(client, settings, clock),
        settings=settings,
        now=clock.now(),
        day=day,
        cursor=cursor or {},
        sessions=sessions or Sessions(),
    )
