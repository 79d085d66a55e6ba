"""DISCORD_API_BASE and DISCORD_GATEWAY_URL: scoped to one client, nothing global changes."""

from __future__ import annotations

import discord
from discord.http import HTTPClient, Route
from discord.webhook import async_ as webhook_async

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord.adapter import intents
from bot.adapters.discord.endpoints import Endpoints
from tests.adapters.discord.fake_discord import FakeDiscord

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
