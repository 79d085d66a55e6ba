"""What a request to /slack/events must show before Bolt sees it: pure checks, one rule each.

Bolt parses a body (JSON, forms, `payload=`) before its own signature check, so a forged
request could reach that parser and make it raise; these checks run first, on the raw bytes.
Before the signature is verified every refusal is 401 (or 413 for a body over the cap);
after it, a body Slack would never send is 400.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs

from bot.adapters.slack.deliveries import unique_key

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_SKEW_SECONDS",
    "SSL_CHECK_MAX_BYTES",
    "Refused",
    "check_context",
    "check_fields",
    "check_oauth_query",
    "check_signature",
    "delivery_key",
    "is_ssl_check",
    "signed_headers",
    "utf8",
]

# Slack's payloads stay far below this (a slash command is under 5 KB); aiohttp's default too.
MAX_BODY_BYTES = 1024 * 1024
MAX_SKEW_SECONDS = 300  # Slack's replay window: older (or later) timestamps are refused
SSL_CHECK_MAX_BYTES = 1024  # "ssl_check=1&token=..." is under 100 bytes
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: int() would take "+1_0", "١٢"
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Refused(Exception):
    """A request answered with status, for a reason that is one short line of our own words."""

    def __init__(self, status: int, reason: str) -> None:
        """Refuse with an HTTP status and a fixed reason (never text from the request)."""
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signed_headers(
    timestamps: Sequence[str], signatures: Sequence[str], now: float
) -> tuple[str, str]:
    """The one timestamp and one v0 signature, well formed and fresh; else Refused(401)."""
    timestamp = _one(timestamps, "timestamp")
    signature = _one(signatures, "signature")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Refused(401, "malformed timestamp")
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        raise Refused(401, "stale timestamp")
    if not _SIGNATURE.fullmatch(signature):
        raise Refused(401, "malformed signature")
    return timestamp, signature


def _one(values: Sequence[str], name: str) -> str:
    """The single value of a header that must appear exactly once."""
    if not values:
        raise Refused(401, f"missing {name}")
    if len(values) > 1:
        raise Refused(401, f"repeated {name}")
    return values[0]


def is_ssl_check(body: bytes) -> bool:
    """Slack's certificate probe, which it sends unsigned: `ssl_check=1` and a token, no more."""
    try:
        fields = parse_qs(body.decode("ascii"), strict_parsing=True, max_num_fields=2)
    except (UnicodeDecodeError, ValueError):
        return False
    return fields.get("ssl_check") == ["1"] and set(fields) <= {"ssl_check", "token"}


def check_signature(secret: bytes, timestamp: str, signature: str, body: bytes) -> None:
    """Slack's v0 HMAC over the raw bytes (the SDK's verifier decodes first, and can raise)."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Refused(401, "bad signature")


def utf8(body: bytes) -> str:
    """A signed body as text; Slack always sends UTF-8."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None


# Where Slack's payloads always carry an object, a list of objects, or text-or-object; Bolt's
# routing and logging call .get() on these without checking.
_OBJECTS = ("event", "view", "message", "container", "state")
_LISTS_OF_OBJECTS = ("actions", "authorizations", "response_urls")
_TEXT_OR_OBJECT = ("team", "user", "channel", "enterprise")


def check_fields(body: Any) -> None:
    """A parsed body names what it is (`type`, `command`, ssl_check) and has Slack's shapes."""
    if not isinstance(body, Mapping):
        raise Refused(400, "body is not an object")
    kind = body.get("type", body.get("command"))
    if not (isinstance(kind, str) and kind) and "ssl_check" not in body:
        raise Refused(400, "body has no type or command")
    event = body.get("event")
    if (kind == "event_callback" or "event" in body) and not (
        isinstance(event, Mapping) and isinstance(event.get("type"), str)
    ):
        raise Refused(400, "malformed event")
    for name in _OBJECTS:
        if name in body and not isinstance(body[name], Mapping):
            raise Refused(400, f"malformed {name}")
    for name in _LISTS_OF_OBJECTS:
        value = body.get(name, [])
        if not (isinstance(value, list) and all(isinstance(v, Mapping) for v in value)):
            raise Refused(400, f"malformed {name}")
    for name in _TEXT_OR_OBJECT:
        if not isinstance(body.get(name), str | Mapping | None):
            raise Refused(400, f"malformed {name}")


_CONTEXT_TEXT = ("enterprise_id", "team_id", "user_id", "channel_id", "actor_enterprise_id",
                 "actor_team_id", "actor_user_id", "thread_ts", "function_execution_id",
                 "response_url")  # fmt: skip


def check_context(context: Mapping[str, Any]) -> None:
    """The ids Bolt read out of a body are text (Bolt passes them on to Slack's API as they are)."""
    for name in _CONTEXT_TEXT:
        if not isinstance(context.get(name, ""), str):
            raise Refused(400, f"malformed {name}")


def delivery_key(body: Mapping[str, Any], signature: str) -> str:
    """What makes a delivery unique: an event's id, a command's trigger, else its signature.

    Slack re-signs a retry with a new timestamp, so only the body's own id recognises it; an
    exact replay carries the same body, hence the same id.
    """
    return unique_key(body) or f"signature:{signature}"


_TEAM = re.compile(r"[A-Z0-9]{1,32}")  # T0123ABCD; it goes into Slack's authorize URL unescaped
_STATE = re.compile(r"[A-Za-z0-9_-]{1,128}")  # what secrets.token_urlsafe issues
_CODE = re.compile(r"[A-Za-z0-9._-]{1,256}")
_ERROR = re.compile(r"[a-z0-9_]{1,64}")  # access_denied, invalid_scope, ...


def check_oauth_query(query: Mapping[str, Sequence[str]], *, install: bool) -> None:
    """The install page takes an optional team; the redirect a state and a code, or an error."""
    if any(len(values) > 1 for values in query.values()):
        raise Refused(400, "repeated query parameter")
    value = {name: values[0] for name, values in query.items() if values}
    if install:
        if "team" in value and not _TEAM.fullmatch(value["team"]):
            raise Refused(400, "malformed team id")
        return
    if "error" in value:
        if not _ERROR.fullmatch(value["error"]):
            raise Refused(400, "malformed error code")
        return  # the installer cancelled, or Slack refused: Bolt's page says which
    if not _STATE.fullmatch(value.get("state", "")):
        raise Refused(401, "missing or malformed state")
    if not _CODE.fullmatch(value.get("code", "")):
        raise Refused(400, "missing or malformed code")
