"""/slack/events over HTTP: 401 unless signed, 400 if malformed, 413 if huge, never 500; a
replayed or retried delivery runs once; refusals are one short line that never quotes a body."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import sqlite3
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.response import BoltResponse

from bot.adapters.slack.deliveries import Deliveries
from bot.adapters.slack.gate import MAX_BODY_BYTES
from bot.adapters.slack.routes import SlackEndpoints
from bot.app import slack_adapter
from bot.delivery.web import start_web
from bot.store import Store
from tests.adapters.slack.conftest import MakeApp
from tests.adapters.slack.support import ADMIN, SECRET, SlackSim, responses
from tests.factories import SLACK

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MARK = "zq7-body-marker"  # in every body: it must never reach the log


def signature(body: bytes, stamp: int, secret: str = SECRET) -> str:
    """Slack's v0 signature over raw bytes."""
    base = f"v0:{stamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed(
    body: bytes, content_type: str | None = FORM, stamp: int | None = None
) -> dict[str, str]:
    """Headers Slack would send with body, signed now (or at stamp)."""
    stamp = int(time.time()) if stamp is None else stamp
    headers = {"X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": signature(body, stamp)}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


async def raw(slack: SlackSim, request: bytes, answers: int = 1) -> list[bytes]:
    """Send bytes to the server as they are; return the status lines of its answers."""
    url = urlsplit(slack.url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(request)
    await writer.drain()
    statuses = []
    for _ in range(answers):
        statuses.append((await reader.readline()).strip())
        length = 0
        while (line := await reader.readline()).strip():
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
    writer.close()
    await writer.wait_closed()
    return statuses


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The refusal lines logged so far."""
    return [r.getMessage() for r in caplog.records if r.name == "hotpapers.slack"]


def assert_clean(caplog: pytest.LogCaptureFixture) -> None:
    """No traceback and no body (or header value) in anything logged."""
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert "Traceback" not in caplog.text
    assert MARK not in caplog.text
    assert all(len(r.getMessage()) < 200 for r in caplog.records)


async def nothing_happened(slack: SlackSim) -> None:
    """Give a wrongly accepted request time to act, then check it did not."""
    await asyncio.sleep(0.1)
    assert [c.method for c in slack.fake.calls if c.method != "auth.test"] == []


@pytest.fixture(autouse=True)
def capture(caplog: pytest.LogCaptureFixture) -> None:
    """Capture everything, debug included."""
    caplog.set_level(logging.DEBUG)


def hot_form(slack: SlackSim, text: str = "2", **fields: str) -> bytes:
    """A /hot command body carrying the marker."""
    body, _ = slack.command_body("/hot", text)
    return (body + "&" + urlencode({"marker": MARK, **fields})).encode()


# -- unauthenticated: 401 (or 413), before anything is parsed ---------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"X-Slack-Request-Timestamp": "not-a-number"},
        {"X-Slack-Request-Timestamp": "1e9"},
        {"X-Slack-Request-Timestamp": "-1"},
        {"X-Slack-Request-Timestamp": "99999999999999999999999999"},
        {"X-Slack-Request-Timestamp": str(int(time.time()) - 301)},
        {"X-Slack-Request-Timestamp": ""},
        {"X-Slack-Signature": "v1=" + "0" * 64},
        {"X-Slack-Signature": "v0=" + "z" * 64},
        {"X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Signature": "v0=ü"},
        {"X-Slack-Signature": ""},
        {"Content-Encoding": "gzip"},
    ],
)
async def test_a_malformed_or_wrong_header_is_a_401_and_runs_nothing(
    slack: SlackSim, caplog: pytest.LogCaptureFixture, change: dict[str, str]
) -> None:
    body = hot_form(slack)
    status, answer = await slack.send(body, {**signed(body), **change})
    assert status == 401
    assert MARK not in answer
    await nothing_happened(slack)
    assert_clean(caplog)
    [line] = refusals(caplog)
    assert line.startswith("Slack POST /slack/events from 127.0.0.1: ")


async def test_other_methods_are_a_405(slack: SlackSim) -> None:
    for method in ("GET", "PUT", "DELETE"):
        async with slack.session.request(method, slack.url) as response:
            assert response.status == 405


async def test_slacks_unsigned_certificate_probe_gets_a_200_and_runs_nothing(
    slack: SlackSim,
) -> None:
    # Slack sends ssl_check without signature headers; Bolt answers it before verifying.
    assert await slack.send(b"ssl_check=1&token=abc", {"Content-Type": FORM}) == (200, "")
    smuggled = b"ssl_check=1&command=/hot&text=5"
    assert (await slack.send(smuggled, {"Content-Type": FORM}))[0] == 401
    await nothing_happened(slack)


@pytest.mark.parametrize("missing", ["X-Slack-Request-Timestamp", "X-Slack-Signature"])
async def test_a_missing_header_is_a_401(slack: SlackSim, missing: str) -> None:
    body = hot_form(slack)
    headers = signed(body)
    del headers[missing]
    assert (await slack.send(body, headers))[0] == 401
    await nothing_happened(slack)


async def test_a_header_repeated_is_a_401(slack: SlackSim) -> None:
    body = hot_form(slack)
    headers = [*signed(body).items(), ("X-Slack-Signature", signature(body, 1))]
    async with slack.session.post(slack.url, data=body, headers=headers) as response:
        assert response.status == 401
    await nothing_happened(slack)


async def test_non_utf8_header_bytes_are_a_401(
    slack: SlackSim, caplog: pytest.LogCaptureFixture
) -> None:
    path = urlsplit(slack.url).path.encode()
    request = (
        b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nX-Slack-Request-Timestamp: \xff\xfe1\r\n"
        b"X-Slack-Signature: v0=\x80\r\nContent-Length: 2\r\n\r\nhi"
    )
    assert await raw(slack, request) == [b"HTTP/1.1 401 Unauthorized"]
    assert_clean(caplog)


async def test_requests_aiohttp_cannot_parse_are_a_400_and_one_line_without_traceback(
    slack: SlackSim, caplog: pytest.LogCaptureFixture
) -> None:
    path = urlsplit(slack.url).path.encode()
    head = b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n"
    for broken in (
        b"X-Slack-Signature: " + MARK.encode() * 1000 + b"\r\nContent-Length: 0\r\n\r\n",
        b"Content-Length: " + MARK.encode() + b"\r\n\r\n",
        b"Transfer-Encoding: chunked\r\n\r\n" + MARK.encode() + b"\r\n",
        b"X-" + MARK.encode() + b"\x01: 1\r\nContent-Length: 0\r\n\r\n",
    ):
        [status] = await raw(slack, head + broken)
        assert status.split()[1] == b"400"
    assert_clean(caplog)
    lines = [r.getMessage() for r in caplog.records if r.name == "hotpapers.web"]
    assert len(lines) == 4 and all("malformed HTTP request" in line for line in lines)


async def test_a_non_utf8_body_is_a_401_unsigned_and_a_400_signed(slack: SlackSim) -> None:
    body = b"command=/hot&text=caf\xe9&" + MARK.encode()
    assert (await slack.send(body, signed(body) | {"X-Slack-Signature": "v0=" + "a" * 64}))[
        0
    ] == 401
    status, answer = await slack.send(body, signed(body))
    assert (status, json.loads(answer)) == (400, {"error": "body is not UTF-8"})
    await nothing_happened(slack)


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b'{"command": "/hot", ' + MARK.encode(), FORM, "malformed body"),  # JSON, cut short
        (b"command=/hot&text=5", JSON, "malformed body"),  # a form sent as JSON
        (b"payload=" + MARK.encode(), FORM, "malformed body"),  # interactivity, not JSON
        (b'payload=["x"]', FORM, "malformed body"),
        (b'[1, "' + MARK.encode() + b'"]', JSON, "malformed body"),
        (b'{"type": "x", "team": 5}', JSON, "malformed body"),  # Bolt's team lookup raises
        (b'{"type": "x", "authorizations": ["x"]}', JSON, "malformed body"),
        (b'"' + MARK.encode() + b'"', JSON, "malformed body"),
        (b"text=5&marker=" + MARK.encode(), FORM, "body has no type or command"),
        (b"", FORM, "body has no type or command"),
        (b'{"type": "event_callback", "event_id": "Ev9"}', JSON, "malformed event"),
    ],
)
async def test_a_signed_but_malformed_body_is_a_400(
    slack: SlackSim,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
    reason: str,
) -> None:
    status, answer = await slack.send(body, signed(body, content_type))
    assert (status, json.loads(answer)) == (400, {"error": reason})
    await nothing_happened(slack)
    assert_clean(caplog)


async def test_a_body_over_the_cap_is_a_413_by_its_length(
    slack: SlackSim, caplog: pytest.LogCaptureFixture
) -> None:
    body = MARK.encode() * (MAX_BODY_BYTES // len(MARK) + 1)
    status, _ = await slack.send(body, signed(body))
    assert status == 413
    assert_clean(caplog)


async def test_a_chunked_body_is_refused_as_it_passes_the_cap(slack: SlackSim) -> None:
    headers = "".join(f"{name}: {value}\r\n" for name, value in signed(b"x").items())
    chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
    request = (
        f"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n{headers}\r\n"
    ).encode() + chunk * 64  # 4 MiB, no Content-Length to refuse it by
    # The rest of the body is read and dropped, and the connection serves the next request.
    answers = await raw(slack, request + b"0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 2)
    assert answers == [b"HTTP/1.1 413 Request Entity Too Large", b"HTTP/1.1 200 OK"]


async def test_a_body_at_the_cap_is_read_and_checked(slack: SlackSim) -> None:
    body = b"x" * MAX_BODY_BYTES
    assert (await slack.send(body, signed(body)))[0] == 400  # signed, read, not a Slack body


async def test_a_flood_of_forged_requests_logs_a_few_short_lines(
    slack: SlackSim, caplog: pytest.LogCaptureFixture
) -> None:
    body = MARK.encode() * 10_000  # 150 KB each
    headers = signed(body) | {"X-Slack-Signature": "v0=" + "0" * 64}
    for _ in range(100):
        assert (await slack.send(body, headers))[0] == 401
    lines = refusals(caplog)
    assert 1 <= len(lines) <= 11  # a burst of ten, maybe one refilled
    assert sum(len(line) for line in lines) < 2000
    assert_clean(caplog)


async def test_bolts_internal_headers_from_outside_are_ignored(slack: SlackSim) -> None:
    body = hot_form(slack, "1")
    headers = signed(body) | {"X-Slack-Bolt-Lazy-Only": "1", "X-Slack-Bolt-Lazy-Function-Name": "x"}
    assert (await slack.send(body, headers))[0] == 200
    await slack.fake.wait_for(lambda: slack.fake.calls_to("chat.postMessage"))


# -- replays and retries: run once --------------------------------------------------------


async def test_the_same_signed_request_twice_posts_once(
    slack: SlackSim, caplog: pytest.LogCaptureFixture
) -> None:
    body = hot_form(slack)
    headers = signed(body)
    assert await slack.send(body, headers) == (200, "")
    await slack.fake.wait_for(lambda: slack.fake.calls_to("chat.postMessage"))
    assert await slack.send(body, headers) == (200, "")
    await asyncio.sleep(0.1)
    assert len(slack.fake.calls_to("chat.postMessage")) == 1
    assert "replayed delivery: acknowledged, not run again" in refusals(caplog)[-1]


async def test_a_replayed_subscribe_changes_the_digest_once(slack: SlackSim) -> None:
    text, key = slack.command_body("/digest", "subscribe time=08:00", user=ADMIN)
    body = text.encode()
    headers = signed(body)
    await slack.send(body, headers)
    await slack.fake.wait_for(lambda: responses(slack.fake, key))
    slack.app.subscriptions.remove(SLACK)  # an admin unsubscribes meanwhile ...
    await slack.send(body, headers)  # ... and an attacker replays the old subscribe
    await asyncio.sleep(0.1)
    assert len(responses(slack.fake, key)) == 1
    assert slack.app.subscriptions.get(SLACK) is None


async def test_slacks_retry_of_a_handled_command_is_acked_not_run(slack: SlackSim) -> None:
    body = hot_form(slack)
    await slack.send(body, signed(body))
    await slack.fake.wait_for(lambda: slack.fake.calls_to("chat.postMessage"))
    # Slack re-signs a retry with a new timestamp and says which attempt it is.
    retry = signed(body, stamp=int(time.time()) + 1) | {
        "X-Slack-Retry-Num": "1",
        "X-Slack-Retry-Reason": "http_timeout",
    }
    status, answer = await slack.send(body, retry)
    assert (status, answer) == (200, "")
    await asyncio.sleep(0.1)
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


def reaction_body(event_id: str, ts: str) -> bytes:
    """A reaction_added callback on a message in C00000001."""
    event = {"type": "reaction_added", "user": "U2", "reaction": "one", "item_user": "UBOT",
             "item": {"type": "message", "channel": "C00000001", "ts": ts},
             "event_ts": "1.0"}  # fmt: skip
    body = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": event_id,
            "event_time": 1, "event": event,
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]}  # fmt: skip
    return json.dumps(body).encode()


async def test_a_retried_event_runs_if_its_first_delivery_never_arrived(slack: SlackSim) -> None:
    await slack.command("/hot", "1")
    await slack.fake.wait_for(lambda: slack.fake.history["C00000001"])
    ts = slack.fake.history["C00000001"][0]["ts"]
    reactions = slack.app.reactions
    await slack.fake.wait_for(lambda: reactions.paper_for("slack", f"C00000001/{ts}", "one"))
    body = reaction_body("Ev42", ts)
    retry = signed(body, JSON) | {"X-Slack-Retry-Num": "2"}
    assert (await slack.send(body, retry))[0] == 200
    await slack.fake.wait_for(lambda: len(slack.fake.calls_to("chat.postMessage")) == 2)
    assert (await slack.send(body, signed(body, JSON) | {"X-Slack-Retry-Num": "3"})) == (200, "")


async def test_a_replay_is_refused_after_a_restart(
    slack: SlackSim, make_app: MakeApp, store: Store, serve: Any
) -> None:
    body = hot_form(slack)
    headers = signed(body)
    await slack.send(body, headers)
    await slack.fake.wait_for(lambda: slack.fake.calls_to("chat.postMessage"))
    restarted = slack_adapter(await make_app(db=store))
    slack.url = f"{await serve(restarted)}/slack/events"
    assert await slack.send(body, headers) == (200, "")
    await asyncio.sleep(0.1)
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


class FailingBolt:
    """A Bolt stand-in whose dispatch fails once on our side, then works."""

    oauth_flow = None

    def __init__(self) -> None:
        """Nothing dispatched yet."""
        self.dispatched = 0

    async def async_dispatch(self, request: Any) -> BoltResponse:
        """500 the first time, 200 after."""
        self.dispatched += 1
        return BoltResponse(status=500 if self.dispatched == 1 else 200, body="")


async def serve_endpoints(endpoints: SlackEndpoints, body: bytes, retries: int) -> list[int]:
    """Serve endpoints alone and send body signed, then as Slack's retries; the statuses."""
    web_app = web.Application()
    endpoints.mount(web_app)
    runner, port = await start_web(web_app, "127.0.0.1", 0)
    statuses = []
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/slack/events"
            for retry in range(retries + 1):
                headers = signed(body) | {"X-Slack-Retry-Num": str(retry)}
                async with session.post(url, data=body, headers=headers) as response:
                    statuses.append(response.status)
    finally:
        await runner.cleanup()
    return statuses


async def test_a_delivery_that_failed_on_our_side_runs_on_slacks_retry(store: Store) -> None:
    bolt = FailingBolt()
    endpoints = SlackEndpoints(
        bolt,  # type: ignore[arg-type]
        signing_secret=SECRET,
        deliveries=Deliveries(store),
        events=True,
    )
    statuses = await serve_endpoints(endpoints, b"command=/hot&trigger_id=t1", retries=2)
    assert statuses == [500, 200, 200]
    assert bolt.dispatched == 2  # failed, retried and done, then acknowledged without a third run


class LockedDeliveries:
    """Claims in a database another process holds locked."""

    def claim(self, key: str) -> bool:
        """What SQLite says after its busy timeout."""
        raise sqlite3.OperationalError("database is locked")


async def test_a_delivery_that_cannot_be_recorded_is_a_503_and_does_not_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bolt = FailingBolt()
    endpoints = SlackEndpoints(
        bolt,  # type: ignore[arg-type]
        signing_secret=SECRET,
        deliveries=LockedDeliveries(),  # type: ignore[arg-type]
        events=True,
    )
    assert await serve_endpoints(endpoints, b"command=/hot&trigger_id=t1", retries=0) == [503]
    assert bolt.dispatched == 0
    assert "cannot record a Slack delivery: database is locked" in caplog.text
    assert_clean(caplog)


async def test_a_bug_in_a_handler_still_logs_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("a bug of ours")

    web_app = web.Application()
    web_app.router.add_get("/broken", broken)
    runner, port = await start_web(web_app, "127.0.0.1", 0)
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/broken") as response,
        ):
            assert response.status == 500
    finally:
        await runner.cleanup()
    [record] = [r for r in caplog.records if r.name == "hotpapers.web"]
    assert record.exc_info is not None and "a bug of ours" in caplog.text
