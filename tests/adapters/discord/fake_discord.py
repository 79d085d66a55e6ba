"""A fake Discord on 127.0.0.1: REST API and gateway websocket, enough for the real discord.py.

It records every REST request and gateway payload, can answer 429 with Retry-After, can drop
the websocket to force a reconnect (RESUME), can be down (`outage`: every REST call and
gateway connection answered 503, as Discord's edge does during an incident), and injects
INTERACTION_CREATE and MESSAGE_REACTION_ADD. Interactions answered later than Discord's 3 s
get 10062 as on Discord.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

T = TypeVar("T")
TOKEN = "fake-bot-token"
EPHEMERAL, LOADING = 64, 128
INTERACTION_DEADLINE = 3.0
RECORD = web.RequestKey("record", object)


@dataclass
class Recorded:
    """One REST request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float
    status: int = 0


@dataclass
class Session:
    """A gateway session: survives dropped connections until it is resumed."""

    id: str
    shard: tuple[int, int]
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None


@dataclass
class RateLimit:
    """Answer the next `times` matching requests with 429."""

    method: str
    path: re.Pattern[str]
    retry_after: float
    times: int


@dataclass
class Sent:
    """An interaction the fake sent, to measure how fast the bot answered it."""

    id: str
    token: str
    sent_at: float
    channel_id: int
    callback: Recorded | None = None
    original: dict[str, Any] | None = None
    modal: dict[str, Any] | None = None  # what a MODAL callback (type 9) opened
    choices: list[dict[str, Any]] | None = None  # what an autocomplete (type 8) offered


class FakeDiscord:
    """REST + gateway on one aiohttp server bound to 127.0.0.1 on a free port."""

    def __init__(self, *, heartbeat_ms: int = 500, shards: int = 1) -> None:
        """Set up one guild with a few channels; nothing listens until start()."""
        self._ids = itertools.count(1_200_000_000_000_000_000)
        self.heartbeat_ms = heartbeat_ms
        self.recommended_shards = shards
        self.app_id = self.snowflake()
        self.bot = self.user(self.snowflake(), "hotpapers", bot=True)
        self.guild_id = self.snowflake()
        self.channel_id = self.snowflake()
        self.forbidden_channel_id = self.snowflake()
        self.lab_channel_id = self.snowflake()  # a second channel, for per-channel behaviour
        self.channels = {self.channel_id: "general", self.forbidden_channel_id: "locked",
                         self.lab_channel_id: "lab"}  # fmt: skip
        self.requests: list[Recorded] = []
        self.gateway_log: list[dict[str, Any]] = []
        self.sessions: dict[str, Session] = {}
        self.messages: dict[int, list[dict[str, Any]]] = {}
        self.ephemeral: list[dict[str, Any]] = []
        self.interactions: dict[str, Sent] = {}
        self.commands: list[dict[str, Any]] = []
        self.rate_limits: list[RateLimit] = []
        self.owner_id = self.snowflake()  # the server's owner
        self.dms: dict[int, int] = {}  # DM channel id -> the user it is with
        self.direct: dict[int, list[dict[str, Any]]] = {}  # user -> messages the bot DMed them
        self.no_dms: set[int] = set()  # users who take no DMs from the server's members
        self.gone: set[int] = set()  # users who no longer exist
        self.outage = False  # while True, REST and the gateway answer 503
        self.refused = 0  # requests and connections answered 503 during outages
        self._nonces: dict[tuple[int, str], dict[str, Any]] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- helpers for tests -----------------------------------------------------------------

    def snowflake(self) -> int:
        """A fresh 19-digit id, like Discord's."""
        return next(self._ids)

    @staticmethod
    def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
        """A user object."""
        return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name,
                "avatar": None, "bot": bot, "public_flags": 0}  # fmt: skip

    @property
    def api_base(self) -> str:
        """What DISCORD_API_BASE should be."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What DISCORD_GATEWAY_URL should be."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    def rate_limit(self, method: str, path: str, retry_after: float, times: int = 1) -> None:
        """Answer the next matching requests with 429 and Retry-After."""
        self.rate_limits.append(RateLimit(method, re.compile(path), retry_after, times))

    def calls(self, method: str, pattern: str) -> list[Recorded]:
        """Recorded requests whose path matches the pattern."""
        regex = re.compile(pattern)
        return [r for r in self.requests if r.method == method and regex.search(r.path)]

    def ops(self, op: int) -> list[dict[str, Any]]:
        """Gateway payloads the bot sent with this opcode."""
        return [p for p in self.gateway_log if p.get("op") == op]

    async def wait_for(self, probe: Callable[[], T | None], within: float = 5.0) -> T:
        """Poll until probe returns something truthy."""
        deadline = time.monotonic() + within
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {within} s waiting for {probe}")
            await asyncio.sleep(0.01)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Close every websocket and stop listening."""
        for session in self.sessions.values():
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()

    # -- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        """One gateway connection: HELLO, then IDENTIFY or RESUME, heartbeats, dispatches."""
        if self.outage:
            self.refused += 1
            return _error(503, 0, "503: Service Unavailable")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}, "s": None,
                            "t": None})  # fmt: skip
        session: Session | None = None
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            payload = json.loads(msg.data)
            self.gateway_log.append(payload)
            op, data = payload.get("op"), payload.get("d")
            if op == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif op == 2:
                if data.get("token") != TOKEN:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                shard = tuple(data.get("shard") or (0, 1))
                session = Session(id=f"session-{self.snowflake()}", shard=(shard[0], shard[1]))
                self.sessions[session.id] = session
                session.ws = ws
                await self._identified(session)
            elif op == 6:
                session = self.sessions.get(data.get("session_id", ""))
                if session is None:
                    await ws.send_json({"op": 9, "d": False, "s": None, "t": None})
                    continue
                session.ws = ws
                for event in session.events:
                    if event["s"] > (data.get("seq") or 0):
                        await ws.send_json(event)
                await self._send(session, "RESUMED", {})
        if session is not None and session.ws is ws:
            session.ws = None
        return ws

    async def _identified(self, session: Session) -> None:
        """READY, then the guilds on this shard."""
        guilds = [g for g in (self.guild_id,) if (g >> 22) % session.shard[1] == session.shard[0]]
        await self._send(session, "READY", {
            "v": 10, "user": self.bot, "session_id": session.id, "shard": list(session.shard),
            "resume_gateway_url": self.gateway_url, "guilds": [
                {"id": str(g), "unavailable": True} for g in guilds],
            "application": {"id": str(self.app_id), "flags": 0}, "private_channels": [],
        })  # fmt: skip
        for guild_id in guilds:
            await self._send(session, "GUILD_CREATE", self._guild(guild_id))

    def _guild(self, guild_id: int) -> dict[str, Any]:
        """A guild with its text channels."""
        channels: list[dict[str, Any]] = [
            {"id": str(c), "type": 0, "name": name, "position": i, "guild_id": str(guild_id),
             "permission_overwrites": [], "nsfw": False, "parent_id": None}
            for i, (c, name) in enumerate(self.channels.items())
        ]  # fmt: skip
        everyone = {
            "id": str(guild_id), "name": "@everyone", "permissions": "0", "position": 0,
            "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0,
        }  # fmt: skip
        return {
            "id": str(guild_id), "name": "Reading group", "icon": None,
            "owner_id": str(self.owner_id),
            "roles": [everyone], "emojis": [], "stickers": [], "features": [], "channels": channels,
            "threads": [], "members": [], "presences": [], "voice_states": [], "member_count": 3,
            "unavailable": False, "large": False, "joined_at": _now(), "premium_tier": 0,
            "preferred_locale": "en-US", "verification_level": 0, "mfa_level": 0, "nsfw_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0,
            "system_channel_flags": 0,
        }  # fmt: skip

    async def _send(self, session: Session, event: str, data: dict[str, Any]) -> None:
        """Dispatch an event on a session, kept for replay on RESUME."""
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.events.append(payload)
        if session.ws is not None and not session.ws.closed:
            await session.ws.send_json(payload)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Dispatch to the session of the shard that owns the guild (events queue while down)."""
        await self.wait_for(lambda: self.sessions or None)
        for session in list(self.sessions.values()):
            if (self.guild_id >> 22) % session.shard[1] == session.shard[0]:
                await self._send(session, event, data)

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close every live gateway connection, as a network blip or a Discord restart would."""
        for session in self.sessions.values():
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=code)

    # -- injected events -------------------------------------------------------------------

    def member(self, user_id: int, permissions: int) -> dict[str, Any]:
        """A guild member payload with resolved channel permissions."""
        return {"user": self.user(user_id, f"user{user_id % 1000}"), "roles": [], "nick": None,
                "joined_at": _now(), "deaf": False, "mute": False, "flags": 0,
                "permissions": str(permissions)}  # fmt: skip

    async def slash(
        self, name: str, options: list[dict[str, Any]] | None = None, *, user_id: int = 42,
        permissions: int = 0, channel_id: int | None = None,
    ) -> Sent:  # fmt: skip
        """Inject a chat-input command as Discord would after a user ran it."""
        channel_id = channel_id or self.channel_id
        sent = Sent(id=str(self.snowflake()), token=f"itoken-{self.snowflake()}",
                    sent_at=time.monotonic(), channel_id=channel_id)  # fmt: skip
        self.interactions[sent.token] = sent
        data = {
            "id": sent.id, "application_id": str(self.app_id), "type": 2, "token": sent.token,
            "version": 1, "guild_id": str(self.guild_id), "channel_id": str(channel_id),
            "channel": {"id": str(channel_id), "type": 0, "guild_id": str(self.guild_id),
                        "name": self.channels.get(channel_id, "x")},
            "member": self.member(user_id, permissions), "app_permissions": "2147483647",
            "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)}, "context": 0,
            "attachment_size_limit": 8388608,
            "data": {"id": str(self.snowflake()), "name": name, "type": 1,
                     "options": options or []},
        }  # fmt: skip
        await self.dispatch("INTERACTION_CREATE", data)
        return sent

    async def _interaction(
        self, kind: int, data: dict[str, Any], message: dict[str, Any] | None, *,
        user_id: int, permissions: int, channel_id: int | None,
    ) -> Sent:  # fmt: skip
        """Inject an interaction of any kind; a component's is about message (its @original)."""
        channel_id = channel_id or self.channel_id
        sent = Sent(id=str(self.snowflake()), token=f"itoken-{self.snowflake()}",
                    sent_at=time.monotonic(), channel_id=channel_id, original=message)  # fmt: skip
        self.interactions[sent.token] = sent
        payload = {
            "id": sent.id, "application_id": str(self.app_id), "type": kind, "token": sent.token,
            "version": 1, "guild_id": str(self.guild_id), "channel_id": str(channel_id),
            "channel": {"id": str(channel_id), "type": 0, "guild_id": str(self.guild_id),
                        "name": self.channels.get(channel_id, "x")},
            "member": self.member(user_id, permissions), "app_permissions": "2147483647",
            "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)}, "context": 0,
            "attachment_size_limit": 8388608, "data": data,
        }  # fmt: skip
        if message is not None:
            payload["message"] = message
        await self.dispatch("INTERACTION_CREATE", payload)
        return sent

    async def autocomplete(
        self, name: str, options: list[dict[str, Any]], *, permissions: int = 0
    ) -> Sent:
        """A user typing into a command option marked focused: Discord asks for choices."""
        data = {"id": str(self.snowflake()), "name": name, "type": 1, "options": options}
        return await self._interaction(4, data, None, user_id=42, permissions=permissions,
                                       channel_id=None)  # fmt: skip

    async def click(
        self, message: dict[str, Any], custom_id: str, values: list[str] | None = None, *,
        user_id: int = 42, permissions: int = 0, channel_id: int | None = None,
    ) -> Sent:  # fmt: skip
        """A user clicks a button (or, with values, picks in a select menu) on a message."""
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2}
        if values is not None:
            data = {"custom_id": custom_id, "component_type": 3, "values": values}
        return await self._interaction(3, data, message, user_id=user_id,
                                       permissions=permissions, channel_id=channel_id)  # fmt: skip

    async def submit_modal(
        self, message: dict[str, Any] | None, custom_id: str, fields: dict[str, str], *,
        user_id: int = 42, permissions: int = 0, channel_id: int | None = None,
    ) -> Sent:  # fmt: skip
        """A user submits a modal (opened from a component on message) with these values."""
        rows = [{"type": 1, "components": [{"type": 4, "custom_id": name, "value": value}]}
                for name, value in fields.items()]  # fmt: skip
        data = {"custom_id": custom_id, "components": rows}
        return await self._interaction(5, data, message, user_id=user_id,
                                       permissions=permissions, channel_id=channel_id)  # fmt: skip

    async def react(
        self, message_id: str, emoji: str, *, user_id: int = 42, channel_id: int | None = None
    ) -> None:
        """Inject MESSAGE_REACTION_ADD for a user's Unicode emoji reaction."""
        channel_id = channel_id or self.channel_id
        await self.dispatch("MESSAGE_REACTION_ADD", {
            "user_id": str(user_id), "channel_id": str(channel_id), "message_id": message_id,
            "guild_id": str(self.guild_id), "emoji": {"id": None, "name": emoji},
            "member": self.member(user_id, 0), "type": 0, "burst": False, "burst_colors": [],
            "message_author_id": self.bot["id"],
        })  # fmt: skip

    async def unreact(
        self, message_id: str, emoji: str, *, user_id: int = 42, channel_id: int | None = None
    ) -> None:
        """Inject MESSAGE_REACTION_REMOVE: the user took their reaction back (no member sent)."""
        channel_id = channel_id or self.channel_id
        await self.dispatch("MESSAGE_REACTION_REMOVE", {
            "user_id": str(user_id), "channel_id": str(channel_id), "message_id": message_id,
            "guild_id": str(self.guild_id), "emoji": {"id": None, "name": emoji}, "type": 0,
            "burst": False,
        })  # fmt: skip

    async def clear_reactions(self, message_id: str, *, channel_id: int | None = None) -> None:
        """Inject MESSAGE_REACTION_REMOVE_ALL: a moderator removed every reaction."""
        channel_id = channel_id or self.channel_id
        await self.dispatch("MESSAGE_REACTION_REMOVE_ALL", {
            "channel_id": str(channel_id), "message_id": message_id,
            "guild_id": str(self.guild_id),
        })  # fmt: skip

    # -- REST ------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Record each REST request; answer 429 when a rate limit rule says so."""
        if request.path == "/gateway":
            return await handler(request)
        if self.outage:
            self.refused += 1
            return _error(503, 0, "503: Service Unavailable")
        raw = await request.read()
        body = json.loads(raw) if raw and request.content_type == "application/json" else None
        record = Recorded(request.method, request.path, dict(request.query), body, time.monotonic())
        self.requests.append(record)
        request[RECORD] = record
        response = self._limited(request) or await handler(request)
        record.status = response.status
        return response

    def _limited(self, request: web.Request) -> web.Response | None:
        """A 429 like Discord's (Via set, so discord.py trusts it) if a rule matches."""
        for rule in self.rate_limits:
            if rule.times > 0 and rule.method == request.method and rule.path.search(request.path):
                rule.times -= 1
                return _json(
                    {"message": "You are being rate limited.", "retry_after": rule.retry_after,
                     "global": False}, status=429,
                    headers={"Retry-After": str(rule.retry_after), "Via": "1.1 google",
                             "X-RateLimit-Scope": "user"},
                )  # fmt: skip
        return None

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        """Route a REST call; unknown routes are 404 as on Discord."""
        if request.headers.get("Authorization") not in (f"Bot {TOKEN}", None):
            return _error(401, 0, "401: Unauthorized")
        path, method = "/" + request.match_info["path"], request.method
        record = request[RECORD]
        assert isinstance(record, Recorded)
        for pattern, verb, route in self._routes():
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                return await route(record, *match.groups())
        return _error(404, 0, "404: Not Found")

    def _routes(self) -> list[tuple[str, str, Callable[..., Awaitable[web.StreamResponse]]]]:
        """The endpoints discord.py calls for what the adapter does."""
        return [
            (r"/users/@me", "GET", self._me),
            (r"/oauth2/applications/@me", "GET", self._application),
            (r"/gateway/bot", "GET", self._gateway_bot),
            (r"/applications/(\d+)/commands", "PUT", self._put_commands),
            (r"/interactions/(\d+)/([^/]+)/callback", "POST", self._callback),
            (r"/webhooks/(\d+)/([^/]+)/messages/@original", "PATCH", self._edit_original),
            (r"/webhooks/(\d+)/([^/]+)/messages/@original", "GET", self._get_original),
            (r"/webhooks/(\d+)/([^/]+)/messages/@original", "DELETE", self._delete_original),
            (r"/webhooks/(\d+)/([^/]+)", "POST", self._followup),
            (r"/users/@me/channels", "POST", self._open_dm),
            (r"/guilds/(\d+)", "GET", self._get_guild),
            (r"/channels/(\d+)/messages", "POST", self._create_message),
            (r"/channels/(\d+)/messages", "GET", self._history),
        ]

    async def _me(self, record: Recorded) -> web.Response:
        return _json({**self.bot, "verified": True, "mfa_enabled": False, "flags": 0})

    async def _application(self, record: Recorded) -> web.Response:
        return _json({
            "id": str(self.app_id), "name": "hotpapers", "icon": None, "description": "",
            "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
            "owner": self.user(1, "owner"), "team": None, "flags": 0, "summary": "",
            "interactions_endpoint_url": None,
        })  # fmt: skip

    async def _gateway_bot(self, record: Recorded) -> web.Response:
        return _json({"url": self.gateway_url, "shards": self.recommended_shards,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0,
                                    "max_concurrency": 1}})  # fmt: skip

    async def _put_commands(self, record: Recorded, app_id: str) -> web.Response:
        self.commands = [{**c, "id": str(self.snowflake()), "application_id": app_id,
                          "version": str(self.snowflake())} for c in record.body]  # fmt: skip
        return _json(self.commands)

    def _message(self, channel_id: int, body: dict[str, Any], flags: int = 0) -> dict[str, Any]:
        """A message the bot posted, stored in the channel unless only one user sees it."""
        message: dict[str, Any] = {
            "id": str(self.snowflake()), "channel_id": str(channel_id),
            "guild_id": str(self.guild_id), "author": self.bot,
            "content": body.get("content") or "", "embeds": body.get("embeds") or [],
            "timestamp": _now(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "pinned": False, "type": 0, "flags": flags | (body.get("flags") or 0),
            "components": body.get("components") or [],
        }  # fmt: skip
        if body.get("message_reference"):
            message["type"] = 19
            message["message_reference"] = body["message_reference"]
        if message["flags"] & EPHEMERAL:
            self.ephemeral.append(message)
        else:
            self.messages.setdefault(channel_id, []).append(message)
        return message

    def _replace(self, old: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """Edit a stored message in place."""
        for key in ("content", "embeds", "components"):
            if key in body:
                old[key] = body[key] if body[key] is not None else ("" if key == "content" else [])
        old["flags"] &= ~LOADING
        old["edited_timestamp"] = _now()
        return old

    async def _callback(self, record: Recorded, interaction_id: str, token: str) -> web.Response:
        sent = self.interactions.get(token)
        if sent is None or time.monotonic() - sent.sent_at > INTERACTION_DEADLINE:
            return _error(404, 10062, "Unknown interaction")
        if sent.callback is not None:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        sent.callback = record
        kind, data = record.body["type"], record.body.get("data") or {}
        if kind == 8:  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
            sent.choices = data.get("choices")
            return _json({"interaction": {"id": interaction_id, "type": 4}})
        if kind in (6, 7, 9) and sent.original is None:
            return _error(400, 50035, "Invalid Form Body: not a component interaction")
        if kind in (6, 7, 9):
            assert sent.original is not None
            if kind == 9:  # MODAL: the modal opens; its submission is a new interaction
                sent.modal = data
            elif kind == 7:  # UPDATE_MESSAGE: the component's message is edited
                self._replace(sent.original, data)
            # DEFERRED_UPDATE_MESSAGE (6): the message stays as it is until edited
            answer: dict[str, Any] = {
                "interaction": {
                    "id": interaction_id,
                    "type": 3,
                    "response_message_id": sent.original["id"],
                    "response_message_loading": False,
                    "response_message_ephemeral": bool(sent.original["flags"] & EPHEMERAL),
                }
            }
            if kind == 7:
                answer["resource"] = {"type": 7, "message": sent.original}
            return _json(answer)  # fmt: skip
        flags = data.get("flags", 0) | (LOADING if kind == 5 else 0)
        sent.original = self._message(sent.channel_id, data if kind == 4 else {}, flags)
        return _json({
            "interaction": {"id": interaction_id, "type": 2,
                            "response_message_id": sent.original["id"],
                            "response_message_loading": kind == 5,
                            "response_message_ephemeral": bool(flags & EPHEMERAL)},
            "resource": {"type": kind, "message": sent.original},
        })  # fmt: skip

    async def _edit_original(self, record: Recorded, app_id: str, token: str) -> web.Response:
        sent = self.interactions.get(token)
        if sent is None or sent.original is None:
            return _error(404, 10008, "Unknown Message")
        return _json(self._replace(sent.original, record.body or {}))

    async def _get_original(self, record: Recorded, app_id: str, token: str) -> web.Response:
        sent = self.interactions.get(token)
        if sent is None or sent.original is None:
            return _error(404, 10008, "Unknown Message")
        return _json(sent.original)

    async def _delete_original(self, record: Recorded, app_id: str, token: str) -> web.Response:
        sent = self.interactions.get(token)
        if sent is None or sent.original is None:
            return _error(404, 10008, "Unknown Message")
        for stored in (self.messages.get(sent.channel_id, []), self.ephemeral):
            if sent.original in stored:
                stored.remove(sent.original)
        sent.original = None
        return web.Response(status=204)

    async def _followup(self, record: Recorded, app_id: str, token: str) -> web.Response:
        sent = self.interactions.get(token)
        if sent is None or sent.callback is None:
            return _error(404, 10015, "Unknown Webhook")
        body = record.body or {}
        if sent.original is not None and sent.original["flags"] & LOADING:
            # Discord: the first follow-up after a deferral edits the loading message.
            return _json(self._replace(sent.original, body))
        return _json(self._message(sent.channel_id, body))

    async def _open_dm(self, record: Recorded) -> web.Response:
        user = int((record.body or {}).get("recipient_id", 0))
        if user in self.gone or not user:
            return _error(404, 10013, "Unknown User")
        channel = next((c for c, u in self.dms.items() if u == user), None) or self.snowflake()
        self.dms[channel] = user
        return _json({"id": str(channel), "type": 1, "last_message_id": None, "flags": 0,
                      "recipients": [self.user(user, f"user{user % 1000}")]})  # fmt: skip

    async def _get_guild(self, record: Recorded, guild_id: str) -> web.Response:
        if int(guild_id) != self.guild_id:
            return _error(404, 10004, "Unknown Guild")
        return _json(self._guild(self.guild_id))

    async def _create_message(self, record: Recorded, channel_id: str) -> web.Response:
        channel = int(channel_id)
        if channel in self.dms:
            user = self.dms[channel]
            if user in self.no_dms:
                return _error(403, 50007, "Cannot send messages to this user")
            message = self._message(channel, record.body or {})
            self.messages.pop(channel)  # a DM is no channel of the server: kept per user
            message["guild_id"] = None
            self.direct.setdefault(user, []).append(message)
            return _json(message)
        if channel == self.forbidden_channel_id:
            return _error(403, 50001, "Missing Access")
        if channel not in self.channels:
            return _error(404, 10003, "Unknown Channel")
        body = record.body or {}
        key = (channel, str(body.get("nonce")))
        if body.get("enforce_nonce") and key in self._nonces:
            return _json(self._nonces[key])  # Discord: same nonce, same message
        message = self._message(channel, body)
        if body.get("nonce"):
            self._nonces[key] = {**message, "nonce": body["nonce"]}
            return _json(self._nonces[key])
        return _json(message)

    async def _history(self, record: Recorded, channel_id: str) -> web.Response:
        channel = int(channel_id)
        if channel == self.forbidden_channel_id:
            return _error(403, 50001, "Missing Access")
        if channel not in self.channels:
            return _error(404, 10003, "Unknown Channel")
        limit = int(record.query.get("limit", "50"))
        newest_first = list(reversed(self.messages.get(channel, [])))
        return _json(newest_first[:limit])  # as on Discord: no nonces in history


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response with Discord's exact content type (discord.py compares it verbatim)."""
    return web.Response(
        body=json.dumps(data).encode(), status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )  # fmt: skip


def _error(status: int, code: int, message: str) -> web.Response:
    """A Discord JSON error."""
    return _json({"message": message, "code": code}, status=status)


def _now() -> str:
    """An ISO timestamp like Discord's."""
    return datetime.now(UTC).isoformat()
