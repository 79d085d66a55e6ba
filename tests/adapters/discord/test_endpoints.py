"""DISCORD_API_BASE and DISCORD_GATEWAY_URL: scoped to one client, nothing global changes."""

from __future__ import annotations

import logging

import discord
import pytest
from discord.http import HTTPClient, Route
from discord.webhook import async_ as webhook_async

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord.adapter import intents
from bot.adapters.discord.endpoints import Endpoints
from bot.app import build_app, discord_adapter
from bot.store import Store
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.support import NOW, settings

DISCORD_API = "https://discord.com/api/v10"


def test_rest_urls_move_under_the_configured_base() -> None:
    endpoints = Endpoints(api_base="http://127.0.0.1:9/api/v10/")
    assert endpoints.rebase(f"{DISCORD_API}/users/@me") == "http://127.0.0.1:9/api/v10/users/@me"
    assert (
        endpoints.rebase("https://cdn.discordapp.com/x.png") == "https://cdn.discordapp.com/x.png"
    )
    assert Endpoints().rebase(f"{DISCORD_API}/users/@me") == f"{DISCORD_API}/users/@me"


def test_the_default_gateway_moves_but_resume_urls_from_ready_do_not() -> None:
    endpoints = Endpoints(gateway_url="ws://127.0.0.1:9/gateway")
    moved = endpoints.gateway("wss://gateway.discord.gg/?v=10&encoding=json&compress=zlib-stream")
    assert moved == "ws://127.0.0.1:9/gateway?v=10&encoding=json&compress=zlib-stream"
    resume = "wss://gateway-us-east1-b.discord.gg/?v=10&encoding=json"
    assert endpoints.gateway(resume) == resume


def test_without_overrides_the_client_keeps_discord_pys_own_http_client() -> None:
    client = discord.Client(intents=intents())
    Endpoints().apply(client)
    assert type(client.http) is HTTPClient


async def test_overrides_touch_neither_globals_nor_other_clients(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    assert Route.BASE == DISCORD_API
    assert type(webhook_async.async_context.get()) is webhook_async.AsyncWebhookAdapter
    other = discord.Client(intents=intents())
    assert type(other.http) is HTTPClient
    assert adapter.client.http is adapter.client._connection.http
    assert type(adapter.client.http) is not HTTPClient
    await other.close()


async def test_discord_py_requests_are_not_logged_even_at_debug(
    fake: FakeDiscord, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    app = build_app(settings(fake), clock=lambda: NOW, store=store)
    discord_adapter(app)  # building it is enough
    caplog.set_level(logging.DEBUG)
    # What discord.py logs for a follow-up: the URL carries the interaction's token.
    logging.getLogger("discord.webhook.async_").debug("Webhook ID 1 with PATCH /webhooks/1/t0ken")
    logging.getLogger("discord.http").debug("POST /interactions/2/t0ken/callback has returned 204")
    logging.getLogger("discord.http").warning("We are being rate limited.")
    assert "t0ken" not in caplog.text and "rate limited" in caplog.text
    await app.aclose()
