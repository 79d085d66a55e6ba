"""The polite HTTP layer: User-Agent, retries, backoff, Retry-After and arXiv's spacing."""

from __future__ import annotations

import asyncio
import errno
import gzip
import itertools
import socket
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from bot.config import SourcesConfig
from bot.retry import RetryPolicy
from bot.sources.errors import (
    DeadlineError,
    RedirectError,
    SourceError,
    TooLargeError,
    UnreachableError,
)
from bot.sources.http import PoliteHttp, host_key, make_client, retry_after, tls_context, user_agent

from .conftest import FakeClock, Handler, Router, respond

ARXIV = "export.arxiv.test"


def make(
    client: httpx.AsyncClient, clock: FakeClock, *, retries: int = 4, spacing: float = 3.0
) -> PoliteHttp:
    policy = RetryPolicy(attempts=retries + 1, base=1.0, cap=8.0, max_wait=120.0)
    return PoliteHttp(
        client,
        contact="mailto:ops@example.org",
        clock=clock,
        policy=policy,
        spaced_hosts={ARXIV, "rss.arxiv.test"},
        spacing=spacing,
        rand=lambda: 1.0,  # backoff at its ceiling, so waits are exact; jitter is tested apart
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


async def test_clients_share_one_tls_context_that_verifies_certificates() -> None:
    clients = [make_client(SourcesConfig()) for _ in range(2)]
    context = tls_context()
    assert tls_context() is context  # the CA bundle is read once a process, not per client
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs() or context.cert_store_stats()["x509_ca"] > 0
    for client in clients:
        await client.aclose()


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


# -- bounds: what cannot heal, deadlines, sizes, redirects ---------------------------------


def bounded_http(
    client: httpx.AsyncClient,
    clock: FakeClock,
    *,
    deadline: float = 120.0,
    limit: int = 1000,
    redirect_hosts: tuple[str, ...] = (),
    spaced_hosts: tuple[str, ...] = (),
) -> PoliteHttp:
    return PoliteHttp(
        client,
        contact="mailto:ops@example.org",
        clock=clock,
        policy=RetryPolicy(attempts=5, base=1.0, cap=8.0, max_wait=300.0),
        spaced_hosts=spaced_hosts,
        request_deadline=deadline,
        limits={"hackernews": limit},
        redirect_hosts=redirect_hosts,
        rand=lambda: 0.5,
    )


def no_such_host(request: httpx.Request) -> httpx.Response:
    try:
        raise socket.gaierror(-2, "Name or service not known")
    except socket.gaierror as cause:
        raise httpx.ConnectError(str(cause), request=request) from cause


async def test_an_unknown_host_is_tried_twice_then_every_request_to_it_fails_at_once(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hn.test", "/s", no_such_host)
    http = bounded_http(client, clock)
    with pytest.raises(UnreachableError) as caught:
        await http.get("https://hn.test/s", source="hackernews")
    assert caught.value.reason == "cannot reach hn.test (Name or service not known)"
    assert len(router.seen) == 2 and clock.sleeps == [0.5]  # one retry, jittered
    with pytest.raises(UnreachableError):
        await http.get("https://hn.test/other", source="hackernews")
    assert len(router.seen) == 2  # known unreachable for the rest of the run: not asked again


async def test_a_refused_connection_counts_as_unreachable(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        try:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
        except OSError as cause:
            raise httpx.ConnectError("All connection attempts failed", request=request) from cause

    router.add("hn.test", "/s", refuse)
    with pytest.raises(UnreachableError, match=r"cannot reach hn.test \(Connection refused\)"):
        await bounded_http(client, clock).get("https://hn.test/s", source="hackernews")
    assert len(router.seen) == 2


@pytest.mark.parametrize(
    "error",
    [
        httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'file://'."),
        httpx.ConnectError("certificate verify failed"),
    ],
)
async def test_errors_that_cannot_heal_are_not_retried(
    error: httpx.TransportError, client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        if isinstance(error, httpx.ConnectError):
            try:
                raise ssl.SSLCertVerificationError("certificate verify failed")
            except ssl.SSLError as cause:
                raise error from cause
        raise error

    router.add("hn.test", "/s", fail)
    with pytest.raises(SourceError):
        await bounded_http(client, clock).get("https://hn.test/s", source="hackernews")
    assert len(router.seen) == 1 and clock.sleeps == []


async def test_backoff_has_full_jitter(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hn.test", "/s", respond(503), respond(503), respond(200))
    await bounded_http(client, clock).get("https://hn.test/s", source="hackernews")
    assert clock.sleeps == [0.5, 1.0]  # half of each ceiling (1, 2) with rand() = 0.5


async def test_retry_after_past_the_request_deadline_fails_at_once(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hn.test", "/s", respond(503, **{"Retry-After": "299"}))
    with pytest.raises(DeadlineError) as caught:
        await bounded_http(client, clock).get("https://hn.test/s", source="hackernews")
    assert caught.value.reason == (
        "HTTP 503 from hn.test; waiting the 299 s the server asked would pass"
        " the 120 s request deadline"
    )
    assert len(router.seen) == 1 and clock.sleeps == []


async def test_a_retry_after_storm_ends_within_the_request_deadline(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hn.test", "/s", respond(429, **{"Retry-After": "50"}))
    with pytest.raises(DeadlineError, match="request deadline"):
        await bounded_http(client, clock).get("https://hn.test/s", source="hackernews")
    assert clock.sleeps == [50.0, 50.0] and clock.elapsed <= 120.0


async def test_retry_after_past_the_source_deadline_fails_at_once(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hn.test", "/s", respond(429, **{"Retry-After": "60"}))
    http = bounded_http(client, clock)
    with http.deadline("hackernews", 30.0), pytest.raises(DeadlineError) as caught:
        await http.get("https://hn.test/s", source="hackernews")
    assert "would pass the source's 30 s deadline" in caught.value.reason
    assert clock.sleeps == []


async def test_a_body_that_never_ends_is_cut_at_the_request_deadline(clock: FakeClock) -> None:
    class Trickle(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b"{"
            await asyncio.Event().wait()  # and then nothing, for ever

    def slow(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Trickle())

    client = httpx.AsyncClient(transport=httpx.MockTransport(slow))
    http = bounded_http(client, clock, deadline=0.2)
    with pytest.raises(DeadlineError, match=r"waiting for hn.test to answer would pass"):
        await http.get("https://hn.test/s", source="hackernews")


async def test_a_body_announced_over_the_limit_is_refused_unread(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    big = httpx.ByteStream(bytes(5000))
    headers = {"Content-Length": "5000"}
    router.add("hn.test", "/s", lambda r: httpx.Response(200, headers=headers, stream=big))
    with pytest.raises(TooLargeError) as caught:
        await bounded_http(client, clock).get("https://hn.test/s", source="hackernews")
    assert caught.value.reason == (
        "the answer from hn.test is larger than 0.001 MB on the wire (it announces 0.005 MB)"
    )
    assert len(router.seen) == 1  # not retried


async def test_a_body_over_the_limit_that_does_not_say_so_is_cut_on_the_wire(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    big = httpx.ByteStream(bytes(5000))
    router.add("hn.test", "/s", lambda r: httpx.Response(200, stream=big))
    with pytest.raises(TooLargeError) as caught:
        await bounded_http(client, clock).get("https://hn.test/s", source="hackernews")
    assert caught.value.reason == "the answer from hn.test is larger than 0.001 MB on the wire"


async def test_a_gzip_bomb_is_refused_once_it_inflates_past_the_limit(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    wire = gzip.compress(bytes(1_000_000))
    headers = {"Content-Encoding": "gzip"}
    stream = httpx.ByteStream(wire)
    router.add("hn.test", "/s", lambda r: httpx.Response(200, headers=headers, stream=stream))
    http = bounded_http(client, clock, limit=100_000)
    with pytest.raises(TooLargeError, match=r"larger than 0\.1 MB decompressed"):
        await http.get("https://hn.test/s", source="hackernews")


async def test_a_compressed_body_within_the_limit_is_decoded(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    headers = {"Content-Encoding": "gzip"}
    stream = httpx.ByteStream(gzip.compress(b'{"hits": []}'))
    router.add("hn.test", "/s", lambda r: httpx.Response(200, headers=headers, stream=stream))
    response = await bounded_http(client, clock).get("https://hn.test/s", source="hackernews")
    assert response.json() == {"hits": []} and "content-encoding" not in response.headers


def redirect(location: str, status: int = 302) -> Handler:
    return respond(status, Location=location)


async def test_a_redirect_on_the_same_host_is_followed(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hn.test", "/old", redirect("/new"))
    router.add("hn.test", "/new", respond(200, "moved"))
    response = await bounded_http(client, clock).get("https://hn.test/old", source="hackernews")
    assert response.text == "moved"
    assert [s.request.url.path for s in router.seen] == ["/old", "/new"]


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("https://elsewhere.test/x", "redirect from hn.test to another host refused"),
        ("file:///etc/passwd", "only http(s) is followed"),
        ("http://hn.test/plain", "redirect from https to 'http://hn.test/plain' refused"),
    ],
)
async def test_a_redirect_off_the_host_or_off_http_fails_at_once(
    location: str, reason: str, client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hn.test", "/s", redirect(location))
    with pytest.raises(RedirectError) as caught:
        await bounded_http(client, clock).get("https://hn.test/s", source="hackernews")
    assert reason in caught.value.reason
    assert len(router.seen) == 1 and clock.sleeps == []  # never retried


async def test_an_allowed_host_is_followed_without_the_credentials(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hn.test", "/s", redirect("https://mirror.test/s"))
    router.add("mirror.test", "/s", respond(200, "mirrored"))
    http = bounded_http(client, clock, redirect_hosts=("mirror.test",))
    headers = {"Authorization": "Bearer secret"}
    response = await http.get("https://hn.test/s", source="hackernews", headers=headers)
    assert response.text == "mirrored"
    first, second = (s.request for s in router.seen)
    assert first.headers["authorization"] == "Bearer secret"
    assert "authorization" not in second.headers and second.headers["host"] == "mirror.test"


async def test_a_redirect_loop_ends(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hn.test", "/s", redirect("/s"))
    with pytest.raises(RedirectError, match="more than 5 redirects"):
        await bounded_http(client, clock).get("https://hn.test/s", source="hackernews")


async def test_a_303_after_a_post_is_followed_with_a_get(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("hn.test", "/login", redirect("/done", 303))
    router.add("hn.test", "/done", respond(200, "ok"))
    http = bounded_http(client, clock)
    await http.post("https://hn.test/login", source="hackernews", json={"a": 1})
    second = router.seen[1].request
    assert second.method == "GET" and second.content == b""
    assert "content-type" not in second.headers


async def test_a_request_that_never_connected_owes_arxiv_no_spacing(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(ARXIV, "/api/query", no_such_host)
    http = bounded_http(client, clock, spaced_hosts=(ARXIV,))
    with pytest.raises(UnreachableError):
        await http.get("https://export.arxiv.test/api/query", source="arxiv")
    assert clock.sleeps == [0.5]  # the jittered retry alone, not arXiv's 3 s on top
