"""The HTTP endpoints on the runner's aiohttp server: Slack's requests and the OAuth flow."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.adapters.slack.manifest import EVENTS_PATH

__all__ = ["mount"]


def mount(web_app: web.Application, bolt: AsyncApp, *, events: bool) -> None:
    """Add /slack/events (when events come over HTTP) and, with OAuth, the install routes."""

    async def handle_events(request: web.Request) -> web.Response:
        """Slash commands and events; Bolt verifies the signature and its timestamp."""
        response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def handle_oauth(request: web.Request) -> web.Response:
        """The install page and Slack's redirect back after an install."""
        assert flow is not None
        bolt_request = await to_bolt_request(request)
        if request.path == flow.install_path:
            return await to_aiohttp_response(await flow.handle_installation(bolt_request))
        return await to_aiohttp_response(await flow.handle_callback(bolt_request))

    if events:
        web_app.router.add_post(EVENTS_PATH, handle_events)
    flow = bolt.oauth_flow
    if flow is not None:
        web_app.router.add_get(flow.install_path, handle_oauth)
        web_app.router.add_get(flow.redirect_uri_path, handle_oauth)
