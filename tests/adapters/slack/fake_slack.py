"""A fake Slack on 127.0.0.1: the Web API methods the bot calls, response URLs and Socket Mode."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.views import View

T = TypeVar("T")
BOT = {"user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "hotpapers", "team": "One"}


@dataclass
class Call:
    """One request the bot made: method (or response URL path), arguments, token, time."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Reply:
    """A scripted answer: status, JSON body and headers."""

    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def rate_limited(seconds: int = 1) -> Reply:
    """Slack's 429 with Retry-After."""
    return Reply({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(seconds)})


def error(code: str) -> Reply:
    """A Web API error such as not_in_channel (HTTP 200, ok false)."""
    return Reply({"ok": False, "error": code})


def view_problem(view: Any) -> str | None:
    """Why Slack would refuse a view, checked by slack_sdk's models (None when it is valid).

    A view must parse, pass validate_json() (Slack's limits), and come back unchanged from
    to_dict(): a field the models drop is one Slack does not know either.
    """
    if not isinstance(view, dict):
        return "view is not an object"
    try:
        model = View(**view)
        model.validate_json()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError) as problem:
        return f"invalid view: {problem}"
    if model.to_dict() != view:
        return "invalid view: fields that Slack does not know"
    return None


class FakeSlack:
    """Records every call; chat.postMessage stores messages that conversations.history returns."""

    def __init__(self) -> None:
        """Empty fake; start() binds a free port on 127.0.0.1."""
        self.calls: list[Call] = []
        self.scripted: dict[str, deque[Reply]] = defaultdict(deque)
        self.history: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.users: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {"xoxb-test": BOT}
        self.oauth_access: dict[str, Any] = {}
        self.envelopes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.acks: list[dict[str, Any]] = []
        self.delays: dict[str, float] = {}  # method -> seconds to wait before answering
        self.views: dict[str, dict[str, Any]] = {}  # open modals by view id
        self.home: dict[str, dict[str, Any]] = {}  # the Home tab published for each user
        self.triggers: set[str] = set()  # trigger ids Slack sent and nobody used yet
        self.unreachable: set[str] = set()  # users a DM cannot reach (deactivated, blocked)
        self.problems: list[str] = []  # every refused view or message, for the test to see
        self._views = itertools.count(1)
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> FakeSlack:
        """Serve on 127.0.0.1 at a free port."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        """Close the server and its connections."""
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL should be."""
        return f"{self.url}/api/"

    def response_url(self, key: str = "1") -> str:
        """A response_url for a slash command payload."""
        return f"{self.url}/respond/{key}"

    def script(self, method: str, *replies: Reply) -> None:
        """Answer the next calls to method with these replies, then behave normally."""
        self.scripted[method].extend(replies)

    def calls_to(self, method: str) -> list[Call]:
        """The calls to one method, oldest first."""
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, check: Callable[[], T], within: float = 5.0) -> T:
        """Poll until check() is truthy and return it; fail the test after `within` seconds."""
        deadline = time.monotonic() + within
        while not (value := check()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls so far: {[c.method for c in self.calls]}")
            await asyncio.sleep(0.01)
        return value

    # -- handlers --------------------------------------------------------------------------

    async def _args(self, request: web.Request) -> dict[str, Any]:
        """Arguments from the query string, a form or a JSON body; JSON-in-form decoded."""
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(parse_qsl(await request.text()))
        for key in ("blocks", "metadata", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        """Dispatch a Web API method."""
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else args.get("token")
        self.calls.append(Call(method, args, token))
        if method in self.delays:
            await asyncio.sleep(self.delays[method])
        if self.scripted[method]:
            reply = self.scripted[method].popleft()
            return web.json_response(reply.body, status=reply.status, headers=reply.headers)
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response(handler(args, token))

    async def _respond(self, request: web.Request) -> web.Response:
        """A post to a slash command's response_url, recorded as the method respond/<key>."""
        key = request.match_info["key"]
        self.calls.append(Call(f"respond/{key}", await request.json(), None))
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, push queued envelopes, collect the bot's acks."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})

        async def push() -> None:
            while True:
                await ws.send_json(await self.envelopes.get())

        pusher = asyncio.create_task(push())
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self.acks.append(json.loads(message.data))
        finally:
            pusher.cancel()
        return ws

    # -- Web API methods -------------------------------------------------------------------

    def _identity(self, token: str | None) -> dict[str, Any] | None:
        """Who a token belongs to."""
        return self.tokens.get(token or "")

    def api_auth_test(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """auth.test."""
        who = self._identity(token)
        return {"ok": True, **who} if who else {"ok": False, "error": "invalid_auth"}

    def api_chat_postMessage(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """chat.postMessage: store the message and give it a ts; a user id is their DM."""
        who = self._identity(token)
        if who is None:
            return {"ok": False, "error": "invalid_auth"}
        channel = str(args.get("channel", ""))
        if channel.startswith(("U", "W")):  # Slack posts to the app's DM with that user
            if channel in self.unreachable or self.users.get(channel, {}).get("deleted"):
                return {"ok": False, "error": "channel_not_found"}
            args = {**args, "channel": "D" + channel}
        n = next(self._ts)
        ts = f"{1_700_000_000 + n}.{n:06d}"
        message = {"type": "message", "ts": ts, "user": who["user_id"], "bot_id": who["bot_id"]}
        kept = ("text", "blocks", "metadata", "thread_ts")
        message.update({k: args[k] for k in kept if k in args})
        self.history[args["channel"]].insert(0, message)
        return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}

    def api_users_info(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """users.info from self.users (plain members by default)."""
        user = {"id": args["user"], "is_admin": False, "is_owner": False}
        user.update(self.users.get(args["user"], {}))
        return {"ok": True, "user": user}

    def api_users_list(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """users.list over self.users, two to a page (so paging is exercised)."""
        start = int(args.get("cursor") or 0)
        ids = sorted(self.users)
        members = [{"id": u, "is_admin": False, "is_owner": False, **self.users[u]}
                   for u in ids[start : start + 2]]  # fmt: skip
        more = start + 2 < len(ids)
        cursor = {"next_cursor": str(start + 2) if more else ""}
        return {"ok": True, "members": members, "response_metadata": cursor}

    def _trigger(self, args: dict[str, Any]) -> str | None:
        """The error for a trigger id Slack did not send or that was used already."""
        trigger = str(args.get("trigger_id", ""))
        if trigger not in self.triggers:
            return "invalid_trigger_id" if trigger else "missing_trigger_id"
        self.triggers.discard(trigger)  # a trigger opens one view
        return None

    def _stored_view(self, view: dict[str, Any], view_id: str) -> dict[str, Any]:
        """A view as Slack keeps it: with its id and an empty state."""
        return {**view, "id": view_id, "state": {"values": {}}, "hash": f"h{view_id}"}

    def api_views_open(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """views.open: a valid view and an unused trigger open a modal."""
        problem = self._trigger(args) or view_problem(args.get("view"))
        if problem:
            self.problems.append(problem)
            return {"ok": False, "error": "invalid_arguments", "detail": problem}
        view_id = f"V{next(self._views)}"
        self.views[view_id] = self._stored_view(args["view"], view_id)
        return {"ok": True, "view": self.views[view_id]}

    def api_views_update(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """views.update of an open modal."""
        view_id = str(args.get("view_id", ""))
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        problem = view_problem(args.get("view"))
        if problem:
            self.problems.append(problem)
            return {"ok": False, "error": "invalid_arguments", "detail": problem}
        self.views[view_id] = self._stored_view(args["view"], view_id)
        return {"ok": True, "view": self.views[view_id]}

    def api_views_publish(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """views.publish: a user's Home tab."""
        problem = view_problem(args.get("view"))
        if problem:
            self.problems.append(problem)
            return {"ok": False, "error": "invalid_arguments", "detail": problem}
        user = str(args.get("user_id", ""))
        self.home[user] = self._stored_view(args["view"], f"VH{user}")
        return {"ok": True, "view": self.home[user]}

    def api_conversations_history(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """conversations.history, newest first, paged by cursor, metadata only when asked for."""
        start, limit = int(args.get("cursor") or 0), int(args.get("limit") or 100)
        stored = self.history.get(args["channel"], [])
        messages = [dict(m) for m in stored[start : start + limit]]
        if str(args.get("include_all_metadata")).lower() not in ("1", "true"):
            for m in messages:
                m.pop("metadata", None)
        more = start + limit < len(stored)
        cursor = {"next_cursor": str(start + limit) if more else ""}
        return {"ok": True, "messages": messages, "has_more": more, "response_metadata": cursor}

    def api_apps_connections_open(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """apps.connections.open: the WebSocket URL, for app-level tokens only."""
        if not (token or "").startswith("xapp-") or token == "xapp-revoked":
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.url.replace("http://", "ws://") + "/socket"}

    def api_oauth_v2_access(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """oauth.v2.access: exchange the code for the scripted installation."""
        return self.oauth_access or {"ok": False, "error": "invalid_code"}
