"""Bluesky sessions: created once, kept, and refreshed, because logins are rate limited."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bot.sources.base import AuthError, FetchContext, SourceError
from bot.sources.http import expect_ok
from bot.sources.payload import decode_json

__all__ = ["Session", "authorized_get", "login"]

NAME = "bluesky"
# Statuses and error names with which the PDS says the access token is no longer good.
_EXPIRED = frozenset({"ExpiredToken", "InvalidToken"})


@dataclass(frozen=True, slots=True)
class Session:
    """The tokens of a Bluesky session."""

    did: str
    handle: str
    access_jwt: str
    refresh_jwt: str


def _xrpc(ctx: FetchContext, method: str) -> str:
    """The URL of an XRPC method on the configured service."""
    return ctx.settings.env.bluesky_api_url.rstrip("/") + "/" + method


def _error_name(response: httpx.Response) -> str:
    """The XRPC error name of a failed response ('' when the body is not XRPC's)."""
    try:
        return decode_json(response.content, NAME).opt_str("error")
    except SourceError:
        return ""


def parse_session(payload: bytes | str) -> Session:
    """Parse a createSession or refreshSession answer."""
    root = decode_json(payload, NAME)
    return Session(
        did=root["did"].string(),
        handle=root["handle"].string(),
        access_jwt=root["accessJwt"].string(),
        refresh_jwt=root["refreshJwt"].string(),
    )


async def _create(ctx: FetchContext) -> Session:
    """Log in with the handle and app password (com.atproto.server.createSession)."""
    env = ctx.settings.env
    if not env.bluesky_handle or env.bluesky_app_password is None:
        raise AuthError(NAME, "set BLUESKY_HANDLE and BLUESKY_APP_PASSWORD")
    body = {
        "identifier": env.bluesky_handle,
        "password": env.bluesky_app_password.get_secret_value(),
    }
    response = await ctx.http.post(
        _xrpc(ctx, "com.atproto.server.createSession"), source=NAME, json=body
    )
    if response.status_code in (400, 401):
        detail = _error_name(response) or f"HTTP {response.status_code}"
        raise AuthError(NAME, f"login refused for {env.bluesky_handle} ({detail})")
    return parse_session(expect_ok(response, NAME).content)


async def _refresh(ctx: FetchContext, session: Session) -> Session:
    """Trade the refresh token for a new session; log in again if it is refused."""
    url = _xrpc(ctx, "com.atproto.server.refreshSession")
    headers = {"Authorization": f"Bearer {session.refresh_jwt}"}
    response = await ctx.http.post(url, source=NAME, headers=headers)
    if response.status_code in (400, 401):
        return await _create(ctx)
    return parse_session(expect_ok(response, NAME).content)


async def login(ctx: FetchContext) -> Session:
    """The kept session, or a new one."""
    session = ctx.sessions.get(NAME)
    if not isinstance(session, Session):
        session = await _create(ctx)
        ctx.sessions.put(NAME, session)
    return session


async def authorized_get(ctx: FetchContext, method: str, params: dict[str, str]) -> httpx.Response:
    """GET an XRPC method with the session, refreshing it once if the token expired."""
    session = await login(ctx)
    for attempt in range(2):
        headers = {"Authorization": f"Bearer {session.access_jwt}"}
        response = await ctx.http.get(
            _xrpc(ctx, method), source=NAME, params=params, headers=headers
        )
        expired = response.status_code in (400, 401) and _error_name(response) in _EXPIRED
        if not expired or attempt == 1:
            break
        session = await _refresh(ctx, session)
        ctx.sessions.put(NAME, session)
    if response.status_code == 401:
        ctx.sessions.drop(NAME)
        raise AuthError(NAME, f"the session was refused ({_error_name(response) or 'HTTP 401'})")
    return expect_ok(response, NAME)
