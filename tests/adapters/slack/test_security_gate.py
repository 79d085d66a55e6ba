"""The checks a request passes before Bolt sees it, as pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from bot.adapters.slack.gate import (
    Refused,
    check_fields,
    check_oauth_query,
    check_signature,
    delivery_key,
    is_ssl_check,
    signed_headers,
    utf8,
)
from tests.adapters.slack.support import SECRET, sign

NOW = 1_800_000_000
GOOD = sign("body", NOW)


def refusal(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    """The status and reason a check refuses with."""
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.reason


def test_fresh_well_formed_headers_pass() -> None:
    assert signed_headers([str(NOW)], [GOOD], NOW + 299) == (str(NOW), GOOD)
    assert signed_headers([str(NOW)], [GOOD], NOW - 299) == (str(NOW), GOOD)


@pytest.mark.parametrize(
    ("timestamps", "signatures", "reason"),
    [
        ([], [GOOD], "missing timestamp"),
        ([str(NOW)], [], "missing signature"),
        ([str(NOW), str(NOW)], [GOOD], "repeated timestamp"),
        ([str(NOW)], [GOOD, GOOD], "repeated signature"),
        (["abc"], [GOOD], "malformed timestamp"),
        ([""], [GOOD], "malformed timestamp"),
        ([f" {NOW}"], [GOOD], "malformed timestamp"),
        ([f"+{NOW}"], [GOOD], "malformed timestamp"),
        (["1_800_000_000"], [GOOD], "malformed timestamp"),
        (["١٨٠٠٠٠٠٠٠٠"], [GOOD], "malformed timestamp"),  # int() reads Arabic-Indic digits
        (["1" * 400], [GOOD], "malformed timestamp"),
        (["\udc80"], [GOOD], "malformed timestamp"),  # a non-UTF-8 header byte, as aiohttp gives it
        ([str(NOW - 301)], [GOOD], "stale timestamp"),
        ([str(NOW + 301)], [GOOD], "stale timestamp"),
        (["0"], [GOOD], "stale timestamp"),
        ([str(NOW)], ["v1=" + GOOD[3:]], "malformed signature"),
        ([str(NOW)], [GOOD.upper()], "malformed signature"),
        ([str(NOW)], [GOOD[:-1]], "malformed signature"),
        ([str(NOW)], [GOOD[:-1] + "g"], "malformed signature"),
        ([str(NOW)], [GOOD + "0"], "malformed signature"),
        ([str(NOW)], [GOOD[:-1] + "é"], "malformed signature"),
        ([str(NOW)], [""], "malformed signature"),
    ],
)
def test_malformed_or_stale_headers_are_refused_with_401(
    timestamps: list[str], signatures: list[str], reason: str
) -> None:
    assert refusal(signed_headers, timestamps, signatures, NOW) == (401, reason)


def test_the_signature_covers_the_raw_bytes_with_the_secret() -> None:
    check_signature(SECRET.encode(), str(NOW), GOOD, b"body")
    assert refusal(check_signature, SECRET.encode(), str(NOW), GOOD, b"Body") == (
        401,
        "bad signature",
    )
    assert refusal(check_signature, b"other", str(NOW), GOOD, b"body")[0] == 401
    assert refusal(check_signature, SECRET.encode(), str(NOW + 1), GOOD, b"body")[0] == 401


def test_a_non_utf8_body_is_checked_against_its_signature_not_decoded_first() -> None:
    # The SDK's verifier decodes the body first, raising on these bytes; ours just says 401.
    assert refusal(check_signature, SECRET.encode(), str(NOW), GOOD, b"\xff\xfe")[0] == 401


def test_a_signed_body_that_is_not_utf8_is_a_400() -> None:
    assert utf8("é".encode()) == "é"
    assert refusal(utf8, b"caf\xe9") == (400, "body is not UTF-8")


@pytest.mark.parametrize(
    "body",
    [
        {"command": "/hot", "text": "5"},
        {"type": "event_callback", "event": {"type": "reaction_added"}},
        {"type": "url_verification", "challenge": "x"},
        {"type": "block_actions", "actions": []},
        {"ssl_check": "1", "token": "x"},
    ],
)
def test_bodies_slack_sends_name_what_they_are(body: dict[str, Any]) -> None:
    check_fields(body)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([], "body is not an object"),
        ("text", "body is not an object"),
        (None, "body is not an object"),
        ({}, "body has no type or command"),
        ({"text": "5"}, "body has no type or command"),
        ({"type": 5}, "body has no type or command"),
        ({"command": ""}, "body has no type or command"),
        ({"type": "event_callback"}, "malformed event"),
        ({"type": "event_callback", "event": "x"}, "malformed event"),
        ({"type": "event_callback", "event": {"type": 1}}, "malformed event"),
    ],
)
def test_bodies_missing_what_they_are_are_a_400(body: Any, reason: str) -> None:
    assert refusal(check_fields, body) == (400, reason)


def test_a_delivery_is_known_by_its_event_id_then_trigger_id_then_signature() -> None:
    assert delivery_key({"event_id": "Ev1", "trigger_id": "t"}, GOOD) == "event_id:Ev1"
    assert delivery_key({"trigger_id": "t1", "command": "/hot"}, GOOD) == "trigger_id:t1"
    assert delivery_key({"type": "url_verification"}, GOOD) == f"signature:{GOOD}"
    assert delivery_key({"event_id": 7, "trigger_id": ""}, GOOD) == f"signature:{GOOD}"


@pytest.mark.parametrize(
    "query",
    [{}, {"team": ["T0123ABC"]}, {"other": ["ignored"]}],
)
def test_the_install_page_takes_an_optional_team_id(query: dict[str, list[str]]) -> None:
    check_oauth_query(query, install=True)


@pytest.mark.parametrize(
    ("query", "install", "expected"),
    [
        ({"team": ["T1&scope=admin"]}, True, (400, "malformed team id")),
        ({"team": ["T1", "T2"]}, True, (400, "repeated query parameter")),
        ({}, False, (401, "missing or malformed state")),
        ({"code": ["c"]}, False, (401, "missing or malformed state")),
        ({"state": ["s t"], "code": ["c"]}, False, (401, "missing or malformed state")),
        ({"state": ["\x00"], "code": ["c"]}, False, (401, "missing or malformed state")),
        ({"state": ["s" * 129], "code": ["c"]}, False, (401, "missing or malformed state")),
        ({"state": ["abc"]}, False, (400, "missing or malformed code")),
        ({"state": ["abc"], "code": ["a\nb"]}, False, (400, "missing or malformed code")),
        ({"state": ["abc", "def"], "code": ["c"]}, False, (400, "repeated query parameter")),
        ({"error": ["<script>"]}, False, (400, "malformed error code")),
    ],
)
def test_odd_oauth_queries_are_refused(
    query: dict[str, list[str]], install: bool, expected: tuple[int, str]
) -> None:
    assert refusal(check_oauth_query, query, install=install) == expected


def test_the_redirect_takes_a_state_and_code_or_slacks_error() -> None:
    check_oauth_query({"state": ["Ab-_9"], "code": ["123.456.abc"]}, install=False)
    check_oauth_query({"error": ["access_denied"], "state": ["x"]}, install=False)


@pytest.mark.parametrize(
    ("body", "probe"),
    [
        (b"ssl_check=1&token=abc", True),
        (b"token=abc&ssl_check=1", True),
        (b"ssl_check=1", True),
        (b"ssl_check=0&token=abc", False),
        (b"ssl_check=true", False),
        (b"ssl_check=1&command=/digest&text=unsubscribe", False),
        (b"ssl_check=1&ssl_check=1", False),
        (b'{"ssl_check": "1"}', False),
        (b"ssl_check=1\xff", False),
        (b"", False),
    ],
)
def test_only_slacks_bare_certificate_probe_counts_as_one(body: bytes, probe: bool) -> None:
    assert is_ssl_check(body) is probe
