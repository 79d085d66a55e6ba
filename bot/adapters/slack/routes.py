"""The HTTP endpoints on the runner's aiohttp server: Slack's requests and the OAuth flow.

Every request is checked here before Bolt parses anything (see gate.py); a refusal is one short
log line, rate-limited, that never quotes the request.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import suppress

import aiohttp
from aiohttp import hdrs, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.adapters.slack.deliveries import Deliveries
from bot.adapters.slack.gate import (
    MAX_BODY_BYTES,
    SSL_CHECK_MAX_BYTES,
    Refused,
    check_context,
    check_fields,
    check_oauth_query,
    check_signature,
    delivery_key,
    is_ssl_check,
    signed_headers,
    utf8,
)
from bot.adapters.slack.manifest import EVENTS_PATH
from bot.errors import StoreError
from bot.throttle import Throttle

__all__ = ["SlackEndpoints"]

log = logging.getLogger("hotpapers.slack")
_CHUNK = 64 * 1024
INSTALL_BURST, INSTALL_EVERY = 30, 2.0  # install pages: 30 at once, then one every 2 s
_NO_RETRY = {"X-Slack-No-Retry": "1"}  # Slack's header: retrying will not help


class SlackEndpoints:
    """POST /slack/events (HTTP mode) and, with OAuth, GET /slack/install and the redirect."""

    def __init__(
        self,
        bolt: AsyncApp,
        *,
        signing_secret: str,
        deliveries: Deliveries | None,
        events: bool,
        clock: Callable[[], float] = time.time,
        throttle: Throttle | None = None,
        installs: Throttle | None = None,
    ) -> None:
        """Serve bolt; deliveries (None: no replay protection) remembers what already ran;
        throttle limits refusal lines, installs how often the install page issues a state."""
        self.bolt = bolt
        self.secret = signing_secret.encode()
        self.deliveries = deliveries
        self.serves_events = events
        self.clock = clock
        self.throttle = throttle or Throttle()
        # Each install page writes a state row for 10 minutes: bound what a flood can store.
        self.installs = installs or Throttle(burst=INSTALL_BURST, every=INSTALL_EVERY)

    def mount(self, web_app: web.Application) -> None:
        """Add the routes to the runner's server."""
        if self.serves_events:
            web_app.router.add_post(EVENTS_PATH, self.events)
        flow = self.bolt.oauth_flow
        if flow is not None:
            web_app.router.add_get(flow.install_path, self.oauth)
            web_app.router.add_get(flow.redirect_uri_path, self.oauth)

    # -- /slack/events ---------------------------------------------------------------------

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Slash commands and events: 401/413 unless signed, 400 if malformed, else Bolt's."""
        try:
            return await self._events(request)
        except Refused as refused:
            self._note(request, refused)
            headers = _NO_RETRY if refused.status == 400 else None
            return web.json_response(
                {"error": refused.reason}, status=refused.status, headers=headers
            )

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """The checks in order, cheapest first; the body is read only under the cap."""
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise Refused(413, "body too large")
        headers = request.headers
        timestamps = headers.getall("X-Slack-Request-Timestamp", [])
        signatures = headers.getall("X-Slack-Signature", [])
        if not timestamps and not signatures and await _is_ssl_check(request):
            return web.Response(status=200)  # as Bolt answers it; nothing runs
        timestamp, signature = signed_headers(timestamps, signatures, self.clock())
        if headers.get(hdrs.CONTENT_ENCODING, "identity").lower() != "identity":
            raise Refused(401, "encoded body")  # Slack signs and sends plain bytes
        raw = await _read_capped(request)
        check_signature(self.secret, timestamp, signature, raw)
        bolt_request = _bolt_request(utf8(raw), request)
        check_fields(bolt_request.body)
        check_context(bolt_request.context)
        key = delivery_key(bolt_request.body, signature)
        if not await self._claim(key):
            retry = headers.get("X-Slack-Retry-Num")
            reason = "Slack retry of a handled delivery" if retry else "replayed delivery"
            self._note(request, Refused(200, f"{reason}: acknowledged, not run again"))
            return web.Response(status=200, headers=_NO_RETRY)
        response = await self.bolt.async_dispatch(bolt_request)
        if response.status >= 500 and self.deliveries is not None:
            # Nothing was acknowledged: let Slack's retry run it after all.
            with suppress(sqlite3.Error, StoreError):  # else the claim expires in an hour
                await asyncio.to_thread(self.deliveries.release, key)
        return await to_aiohttp_response(response)

    async def _claim(self, key: str) -> bool:
        """Claim a delivery once; a store that cannot record it answers 503 (Slack retries)."""
        if self.deliveries is None:
            return True
        try:
            return await asyncio.to_thread(self.deliveries.claim, key)
        except (sqlite3.Error, StoreError) as error:
            log.warning("cannot record a Slack delivery: %s", error)
            raise Refused(503, "store unavailable, try again") from None

    # -- OAuth -----------------------------------------------------------------------------

    async def oauth(self, request: web.Request) -> web.StreamResponse:
        """The install page and Slack's redirect back: a friendly page on every failure."""
        flow = self.bolt.oauth_flow
        assert flow is not None
        try:
            return await self._oauth(flow, request)
        except Refused as refused:
            self._note(request, refused)
            page = flow.settings.redirect_uri_page_renderer.render_failure_page(refused.reason)
            return web.Response(status=refused.status, text=page, content_type="text/html")

    async def _oauth(self, flow: AsyncOAuthFlow, request: web.Request) -> web.StreamResponse:
        """Check the query, then let Bolt's flow answer; Slack or the store failing is 502/503."""
        install = request.path == flow.install_path
        bolt_request = AsyncBoltRequest(
            body="",
            query=request.rel_url.raw_query_string,  # Bolt's adapter passes it decoded: a%26b
            headers=_without_bolt_headers(request),
        )
        check_oauth_query(bolt_request.query, install=install)
        if install and self.installs.allow() is None:
            raise Refused(429, "too many installations at once; please try again in a minute")
        try:
            if install:
                response = await flow.handle_installation(bolt_request)
            else:
                response = await flow.handle_callback(bolt_request)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("Slack OAuth: Slack could not be reached: %s", type(error).__name__)
            raise Refused(502, "Slack could not be reached; please try again") from None
        except (sqlite3.Error, StoreError) as error:
            log.warning("Slack OAuth: the store failed: %s", error)
            raise Refused(503, "the app's storage is busy; please try again") from None
        return await to_aiohttp_response(response)

    # -- helpers ---------------------------------------------------------------------------

    def _note(self, request: web.Request, refused: Refused) -> None:
        """One short, rate-limited line: who, why, what we answered; never the request's text."""
        dropped = self.throttle.allow()
        if dropped is None:
            return
        more = f" ({dropped} more not logged)" if dropped else ""
        log.log(
            logging.INFO if refused.status < 400 else logging.WARNING,  # a retry is no alarm
            "Slack %s %s from %s: %s (HTTP %d)%s",
            request.method,
            request.path,  # one of ours: routes match exactly
            request.remote,
            refused.reason,
            refused.status,
            more,
        )


async def _is_ssl_check(request: web.Request) -> bool:
    """Whether an unsigned request is Slack's certificate probe (read only when it is tiny)."""
    size = request.content_length
    return size is not None and size <= SSL_CHECK_MAX_BYTES and is_ssl_check(await request.read())


async def _read_capped(request: web.Request) -> bytes:
    """The body, refused with 413 as soon as it grows past the cap (chunked has no length)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refused(413, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _without_bolt_headers(request: web.Request) -> dict[str, str | Sequence[str]]:
    """The headers for Bolt, minus its internal x-slack-bolt-* ones (lazy listeners)."""
    return {
        name: value
        for name, value in request.headers.items()
        if not name.lower().startswith("x-slack-bolt-")
    }


def _bolt_request(text: str, request: web.Request) -> AsyncBoltRequest:
    """Bolt's request for a signed body; its parser raising means Slack sent something odd."""
    try:
        query, headers = request.rel_url.raw_query_string, _without_bolt_headers(request)
        return AsyncBoltRequest(body=text, query=query, headers=headers)
    except Exception:  # JSON errors, and id extraction assuming shapes (`team` a number, ...)
        raise Refused(400, "malformed body") from None
