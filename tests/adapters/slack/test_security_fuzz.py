"""/slack/events fuzzed with random headers and bodies, against the real Bolt app over HTTP.

Unsigned (or wrongly signed) requests get 401 or 413 (200 for Slack's unsigned ssl_check probe)
and change nothing; signed garbage gets a
400 (or Bolt's own 200/404 for a well-formed request it has no listener for), never a 500; no
traceback, body or header value is ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from bot.adapters.slack.gate import MAX_BODY_BYTES, is_ssl_check
from tests.adapters.slack.support import SECRET, SlackSim

MARK = "zq7-fuzz-marker"
FUZZ = settings(
    max_examples=150,
    # One server for all examples on purpose: what one request leaves behind must not matter.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Header values aiohttp's client will send: no control characters (so no CR/LF), any Unicode.
HEADER_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=80)
HEX = st.text("0123456789abcdef", min_size=64, max_size=64)


def now() -> int:
    """Slack's clock."""
    return int(time.time())


TIMESTAMPS = st.one_of(
    st.integers(-400, 400).map(lambda skew: str(now() + skew)),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["", " 1", "+1700000000", "1_700_000_000", "١٧٠٠٠٠٠٠٠٠", "1e9", "0x10", "nan"]),
    HEADER_TEXT,
)
SIGNATURES = st.one_of(
    HEX.map(lambda h: "v0=" + h),
    HEX.map(lambda h: "v1=" + h),
    HEX.map(lambda h: "v0=" + h.upper()),
    HEX.map(lambda h: "v0=" + h[:-1]),
    st.just("v0="),
    HEADER_TEXT,
)
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "application/json; charset=latin-1",
            "application/x-www-form-urlencoded; charset=utf-16",
            "multipart/form-data; boundary=x",
            "text/plain",
        ]
    ),
    HEADER_TEXT,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
SLACK_KEYS = st.sampled_from(
    ["type", "command", "text", "event", "event_id", "trigger_id", "team", "team_id",
     "authorizations", "enterprise", "user", "channel", "payload", "ssl_check", "response_url",
     "token", "api_app_id", "challenge", "view", "actions"]
)  # fmt: skip
SLACK_SHAPED = st.dictionaries(st.one_of(SLACK_KEYS, st.text(max_size=8)), JSON_VALUES, max_size=8)
BODIES = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(str.encode),
    SLACK_SHAPED.map(lambda d: json.dumps(d).encode()),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    SLACK_SHAPED.map(
        lambda d: urlencode(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in d.items()}
        ).encode()
    ),
    JSON_VALUES.map(lambda v: b"payload=" + json.dumps(v).encode()),
    st.sampled_from([b"", b"{", b"payload=", b"\xff\xfe\x00", b"ssl_check=1"]),
)
HEADER_NAMES = st.sampled_from(
    ["X-Slack-Retry-Num", "X-Slack-Retry-Reason", "Content-Encoding", "X-Slack-Bolt-Lazy-Only",
     "X-Slack-Bolt-Lazy-Function-Name", "X-Slack-Request-Timestamp", "X-Slack-Signature",
     "Cookie", "Accept"]
)  # fmt: skip
EXTRA_HEADERS = st.lists(
    st.tuples(
        st.one_of(HEADER_NAMES, st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True)),
        st.one_of(st.sampled_from(["1", "gzip", "deflate", "br", "text/html"]), HEADER_TEXT),
    ),
    max_size=4,
)


OUR_EVENTS = st.fixed_dictionaries(
    {"type": st.sampled_from(["reaction_added", "app_uninstalled", "tokens_revoked"])},
    optional={
        "user": JSON_VALUES, "reaction": st.one_of(st.sampled_from(["one", "five"]), JSON_VALUES),
        "item": st.one_of(JSON_VALUES, st.fixed_dictionaries(
            {"type": st.just("message")}, optional={"channel": JSON_VALUES, "ts": JSON_VALUES})),
        "tokens": JSON_VALUES, "event_ts": JSON_VALUES,
    },
)  # fmt: skip
EVENT_CALLBACKS = st.fixed_dictionaries(
    {"type": st.just("event_callback"), "event": OUR_EVENTS},
    optional={k: JSON_VALUES for k in ("team_id", "event_id", "authorizations", "api_app_id")},
).map(lambda d: json.dumps(d).encode())


def sign(body: bytes, timestamp: str, secret: str) -> str:
    """A v0 signature, as Slack computes it, over whatever timestamp text was chosen."""
    base = b"v0:" + timestamp.encode("utf-8", "replace") + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@st.composite
def unauthenticated(draw: st.DrawFn) -> tuple[CIMultiDict[str], bytes]:
    """Random headers and body, never correctly signed with our secret."""
    body = draw(BODIES) + MARK.encode()
    if draw(st.booleans()):
        body += b"x" * draw(st.sampled_from([MAX_BODY_BYTES, MAX_BODY_BYTES // 2]))
    headers: CIMultiDict[str] = CIMultiDict()
    timestamp = draw(st.one_of(st.none(), TIMESTAMPS))
    if timestamp is not None:
        headers.add("X-Slack-Request-Timestamp", timestamp)
    how = draw(st.sampled_from(["absent", "random", "wrong secret", "other body"]))
    stamp = timestamp or str(now())
    if how == "random":
        headers.add("X-Slack-Signature", draw(SIGNATURES))
    elif how == "wrong secret":
        headers.add("X-Slack-Signature", sign(body, stamp, SECRET + "x"))
    elif how == "other body":
        headers.add("X-Slack-Signature", sign(body[:-1], stamp, SECRET))
    content_type = draw(st.one_of(st.none(), CONTENT_TYPES))
    if content_type is not None:
        headers.add("Content-Type", content_type)
    for name, value in draw(EXTRA_HEADERS):
        headers.add(name, value)
    return headers, body


def assert_clean(caplog: pytest.LogCaptureFixture) -> None:
    """No traceback, no body, nothing long in the log."""
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert "Traceback" not in caplog.text
    assert MARK not in caplog.text
    assert all(len(r.getMessage()) < 300 for r in caplog.records if r.name.startswith("hotpapers"))


@FUZZ
@given(request=unauthenticated())
async def test_unauthenticated_requests_get_401_or_413_and_change_nothing(
    slack: SlackSim, caplog: pytest.LogCaptureFixture, request: tuple[CIMultiDict[str], bytes]
) -> None:
    caplog.set_level(logging.DEBUG)
    headers, body = request
    status, answer = await slack.send(body, headers)
    assert status in (401, 413) or ((status, answer) == (200, "") and is_ssl_check(body))
    assert MARK not in answer
    assert [c.method for c in slack.fake.calls if c.method != "auth.test"] == []
    assert slack.adapter.endpoints.deliveries is not None
    assert slack.adapter.endpoints.deliveries.count() == 0
    assert_clean(caplog)


@st.composite
def signed_garbage(draw: st.DrawFn) -> tuple[dict[str, str], bytes]:
    """A random body (none of them a command we answer), correctly signed, now."""
    body = draw(st.one_of(BODIES, EVENT_CALLBACKS))
    stamp = str(now())
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sign(body, stamp, SECRET)}
    content_type = draw(st.one_of(st.none(), CONTENT_TYPES))
    if content_type is not None:
        headers["Content-Type"] = content_type
    if draw(st.booleans()):
        headers["X-Slack-Retry-Num"] = draw(st.sampled_from(["1", "2", "x"]))
    return headers, body


def no_command_of_ours(body: bytes) -> bool:
    """Keep our four commands out: a random /digest would legitimately do things."""
    return not any(name in body for name in (b"/hot", b"/paper", b"/search", b"/digest"))


@FUZZ
@given(request=signed_garbage().filter(lambda r: no_command_of_ours(r[1])))
async def test_signed_garbage_is_never_a_500(
    slack: SlackSim, caplog: pytest.LogCaptureFixture, request: tuple[dict[str, Any], bytes]
) -> None:
    caplog.set_level(logging.INFO)
    headers, body = request
    status, answer = await slack.send(body, headers)
    assert status in (200, 400, 404), (status, answer)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
