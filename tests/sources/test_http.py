"""The polite HTTP layer: User-Agent, retries, backoff, Retry-After and arXiv's spacing."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from bot.sources.base import SourceError
from bot.sources.http import PoliteHttp, RetryPolicy, host_key, retry_after, user_agent

from .conftest import FakeClock, Router, respond

ARXIV = "export.arxiv.test"


def make(
    client: httpx.AsyncClient, clock: FakeClock, *, retries: int = 4, spacing: float = 3.0
) -> PoliteHttp:
    policy = RetryPolicy(max_retries=retries, base_delay=1.0, max_delay=8.0, max_wait=120.0)
    return PoliteHttp(
        client,
        contact="mailto:ops@example.org",
        clock=clock,
        policy=policy,
        spaced_hosts={ARXIV, "rss.arxiv.test"},
        spacing=spacing,
    )


async def test_every_request_carries_a_user_agent_with_the_contact(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hf.test", "/api", respond(200, "{}"))
    await make(client, clock).get("https://hf.test/api", source="huggingface")
    agent = router.seen[0].request.headers["user-agent"]
    assert agent == user_agent("mailto:ops@example.org")
    assert agent.startswith("hotpapers/") and "mailto:ops@example.org" in agent


async def test_5xx_is_retried_with_exponential_backoff(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hn.test", "/s", respond(503), respond(502), respond(500), respond(200, "ok"))
    response = await make(client, clock).get("https://hn.test/s", source="hackernews")
    assert response.status_code == 200
    assert clock.sleeps == [1.0, 2.0, 4.0]


async def test_backoff_is_capped(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hn.test", "/s", *[respond(500)] * 6, respond(200))
    http = make(client, clock, retries=6)
    await http.get("https://hn.test/s", source="hackernews")
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


async def test_exhausted_retries_raise_a_source_error_naming_host_and_status(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hn.test", "/s", respond(503))
    with pytest.raises(SourceError) as caught:
        await make(client, clock, retries=2).get("https://hn.test/s", source="hackernews")
    assert caught.value.source == "hackernews"
    assert caught.value.reason == "HTTP 503 from hn.test after 3 attempts"
    assert len(router.seen) == 3


async def test_retry_after_seconds_is_honoured_on_429(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hf.test", "/p", respond(429, **{"Retry-After": "17"}), respond(200))
    await make(client, clock).get("https://hf.test/p", source="huggingface")
    assert clock.sleeps == [17.0]
    assert router.seen[1].at - router.seen[0].at == 17.0


async def test_retry_after_http_date_is_honoured(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    later = format_datetime(clock.now() + timedelta(seconds=42), usegmt=True)
    router.add("hf.test", "/p", respond(503, **{"Retry-After": later}), respond(200))
    await make(client, clock).get("https://hf.test/p", source="huggingface")
    assert clock.sleeps == [42.0]


async def test_too_long_retry_after_fails_the_source_instead_of_stalling(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("x.test", "/2", respond(429, **{"Retry-After": "900"}))
    with pytest.raises(SourceError, match="asked to wait 900 s"):
        await make(client, clock).get("https://x.test/2", source="x")
    assert clock.sleeps == []


def test_rate_limit_reset_headers_count_as_retry_after() -> None:
    now = datetime(2024, 2, 5, 12, 0, tzinfo=UTC)
    reset = str(int(now.timestamp()) + 30)
    assert retry_after({"x-rate-limit-reset": reset}, now) == 30.0
    assert retry_after({"ratelimit-reset": reset}, now) == 30.0
    assert retry_after({"retry-after": "soon"}, now) is None
    assert retry_after({}, now) is None


async def test_transport_errors_are_retried_then_reported(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    router.add("hn.test", "/s", refuse)
    with pytest.raises(SourceError) as caught:
        await make(client, clock, retries=3).get("https://hn.test/s", source="hackernews")
    assert "cannot reach hn.test (ConnectError: connection refused) after 4 attempts" in str(
        caught.value
    )
    assert clock.sleeps == [1.0, 2.0, 4.0]


async def test_timeouts_are_retried(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    calls = []

    def slow_then_fine(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200)

    router.add("hf.test", "/p", slow_then_fine)
    response = await make(client, clock).get("https://hf.test/p", source="huggingface")
    assert response.status_code == 200 and len(calls) == 2


async def test_4xx_other_than_429_is_returned_not_retried(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("x.test", "/2", respond(401))
    response = await make(client, clock).get("https://x.test/2", source="x")
    assert response.status_code == 401 and len(router.seen) == 1 and clock.sleeps == []


async def test_arxiv_requests_start_at_least_the_spacing_apart_across_endpoints(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(ARXIV, "/api/query", respond(200))
    router.add("rss.arxiv.test", "/rss/cs.LG", respond(200))
    http = make(client, clock)
    urls = ["https://rss.arxiv.test/rss/cs.LG"] + ["https://export.arxiv.test/api/query"] * 4
    await asyncio.gather(*(http.get(u, source="arxiv") for u in urls))
    starts = [s.at for s in router.seen]
    assert len(starts) == 5
    assert all(b - a >= 3.0 for a, b in itertools.pairwise(starts))
    assert starts[-1] == pytest.approx(12.0)  # no more waiting than the spacing needs


async def test_other_hosts_are_not_held_behind_arxiv(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(ARXIV, "/api/query", respond(200))
    router.add("hf.test", "/p", respond(200))
    http = make(client, clock)
    await http.get("https://export.arxiv.test/api/query", source="arxiv")
    await http.get("https://hf.test/p", source="huggingface")
    await http.get("https://hf.test/p", source="huggingface")
    assert [s.at for s in router.to("hf.test")] == [0.0, 0.0]


async def test_arxiv_retry_waits_for_retry_after_and_keeps_the_spacing(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(ARXIV, "/api/query", respond(503, **{"Retry-After": "1"}), respond(200))
    await make(client, clock).get("https://export.arxiv.test/api/query", source="arxiv")
    first, second = (s.at for s in router.to(ARXIV))
    assert second - first >= 3.0  # Retry-After asked for 1 s, but arXiv's 3 s still hold


class FrozenClock(FakeClock):
    """A clock that records sleeps without moving, to see who waited for what."""

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


async def test_a_pause_asked_by_a_host_holds_every_request_to_it(router: Router) -> None:
    clock = FrozenClock()
    router.clock = clock
    router.add("hf.test", "/a", respond(429, **{"Retry-After": "10"}), respond(200))
    router.add("hf.test", "/b", respond(200))
    router.add("hn.test", "/c", respond(200))
    http = make(httpx.AsyncClient(transport=httpx.MockTransport(router)), clock)
    await http.get("https://hf.test/a", source="huggingface")
    assert clock.sleeps == [10.0]
    await http.get("https://hf.test/b", source="huggingface")  # same host: waits too
    assert clock.sleeps == [10.0, 10.0]
    await http.get("https://hn.test/c", source="hackernews")  # another host: no wait
    assert clock.sleeps == [10.0, 10.0]


async def test_requests_are_counted_by_host_and_source(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hf.test", "/p", respond(500), respond(200))
    http = make(client, clock)
    await http.get("https://hf.test/p", source="huggingface")
    assert http.requests["hf.test"] == 2 and http.by_source["huggingface"] == 2


def test_host_key_keeps_the_port_so_local_fakes_are_told_apart() -> None:
    assert host_key("https://export.arxiv.org/api/query") == "export.arxiv.org"
    assert host_key("http://127.0.0.1:8001/rss/") == "127.0.0.1:8001"


async def test_arxiv_spacing_counts_from_when_a_request_really_went_out(
    router: Router, clock: FakeClock
) -> None:
    async def slow_connect(request: httpx.Request) -> httpx.Response:
        clock.elapsed += 1.0  # connecting took a second before the request was sent
        await request.extensions["trace"]("http11.send_request_headers.started", {})
        return httpx.Response(200)

    client = httpx.AsyncClient(transport=httpx.MockTransport(slow_connect))
    http = make(client, clock)
    await http.get("https://export.arxiv.test/api/query", source="arxiv")
    await http.get("https://export.arxiv.test/api/query", source="arxiv")
    # Sent at 1 s, the second may not go out before 4 s: it waited 3 s, then connected 1 s.
    assert clock.sleeps == [3.0]
    assert clock.elapsed == 5.0
