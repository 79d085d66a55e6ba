"""Where discord.py connects: Discord itself, or DISCORD_API_BASE / DISCORD_GATEWAY_URL.

discord.py builds every REST URL from the class attribute `discord.http.Route.BASE` and opens the
gateway at a fixed default URL. Rather than mutate those globals, the override is scoped to one
client: its HTTPClient is replaced by a subclass that rewrites each request's URL, and the webhook
adapter that interaction responses use (looked up by discord.py in a ContextVar) is replaced only
in the context the client's gateway task runs in. Both are discord.py internals, pinned by the
adapter's tests against the installed version.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route
from discord.webhook import async_ as webhook_async

__all__ = ["Endpoints"]

_DEFAULT_GATEWAY_HOST = DiscordWebSocket.DEFAULT_GATEWAY.host


@dataclass(frozen=True)
class Endpoints:
    """REST base and gateway URL overrides; None means Discord's own."""

    api_base: str | None = None
    gateway_url: str | None = None

    def rebase(self, url: str) -> str:
        """A discord.com API URL moved under the configured REST base."""
        if self.api_base and url.startswith(Route.BASE):
            return self.api_base.rstrip("/") + url[len(Route.BASE) :]
        return url

    def gateway(self, url: str) -> str:
        """The default gateway URL moved to the configured one, keeping discord.py's query.

        Resume URLs that READY hands out are left alone: the gateway (or proxy) chose them.
        """
        parsed = yarl.URL(url)
        if not self.gateway_url or parsed.host != _DEFAULT_GATEWAY_HOST:
            return url
        override = yarl.URL(self.gateway_url)
        return str(override.with_query({**override.query, **parsed.query}))

    def apply(self, client: discord.Client) -> None:
        """Give the client an HTTP client that uses these endpoints (before login)."""
        if not (self.api_base or self.gateway_url):
            return
        old = client.http
        http = _RebasedHTTPClient(
            self,
            old.loop,
            # discord.py keeps MISSING (a falsy sentinel) when no connector was given.
            old.connector or None,
            proxy=old.proxy,
            proxy_auth=old.proxy_auth,
            unsync_clock=not old.use_clock,
            http_trace=old.http_trace,
            max_ratelimit_timeout=old.max_ratelimit_timeout,
        )
        client.http = http
        client._connection.http = http

    def context(self) -> contextvars.Context:
        """A context for the gateway task in which interaction responses use these endpoints."""
        context = contextvars.copy_context()
        if self.api_base:
            context.run(webhook_async.async_context.set, _RebasedWebhookAdapter(self))
        return context


class _RebasedHTTPClient(HTTPClient):
    """discord.py's HTTP client, sending REST calls and the gateway to the configured endpoints."""

    def __init__(self, endpoints: Endpoints, *args: Any, **kwargs: Any) -> None:
        """Keep the endpoints; everything else is discord.py's."""
        super().__init__(*args, **kwargs)
        self.endpoints = endpoints

    async def request(self, route: Route, **kwargs: Any) -> Any:
        """Send the request to the configured REST base."""
        route.url = self.endpoints.rebase(route.url)
        return await super().request(route, **kwargs)

    async def ws_connect(self, url: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
        """Open the gateway at the configured URL."""
        return await super().ws_connect(self.endpoints.gateway(url), compress=compress)

    async def get_bot_gateway(self) -> tuple[int, str, Any]:
        """The recommended shard count, with the gateway URL the configuration asks for."""
        shards, url, limits = await super().get_bot_gateway()
        return shards, self.endpoints.gateway_url or url, limits


class _RebasedWebhookAdapter(webhook_async.AsyncWebhookAdapter):
    """Interaction callbacks and follow-ups, sent to the configured REST base."""

    def __init__(self, endpoints: Endpoints) -> None:
        """Keep the endpoints."""
        super().__init__()  # type: ignore[no-untyped-call]
        self.endpoints = endpoints

    async def request(self, route: Route, *args: Any, **kwargs: Any) -> Any:
        """Send the request to the configured REST base."""
        route.url = self.endpoints.rebase(route.url)
        return await super().request(route, *args, **kwargs)
