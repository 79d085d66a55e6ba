"""The Slack adapter: a Bolt app in HTTP or Socket Mode, one bot token or OAuth, and a Channel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Any, Literal, Protocol

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_sdk.errors import SlackApiError

from bot.adapters.slack.blocks import text_payload
from bot.adapters.slack.channel import PERMANENT, SlackChannel, TokenFor
from bot.adapters.slack.events import ReactionAbstracts
from bot.adapters.slack.installations import SqliteInstallationStore
from bot.adapters.slack.interest import ReactionInterest
from bot.adapters.slack.notices import SlackNotices
from bot.adapters.slack.routes import SlackEndpoints
from bot.adapters.slack.slash import Handler, SlashCommands
from bot.config import ConfigError
from bot.delivery.notices import PauseNotices
from bot.reactions import Reactions

__all__ = ["SORRY", "SlackAdapter"]

log = logging.getLogger("hotpapers.slack")


class Registers(Protocol):
    """Something that attaches its listeners to the Bolt app (each wrapped by the adapter)."""

    def register(self, bolt: AsyncApp, wrap: Callable[[Handler], Handler]) -> None:
        """Attach the listeners."""
        ...


Mode = Literal["http", "socket"]
SORRY = "Sorry, that failed on our side. It has been logged; please try again later."
SHUTDOWN_GRACE_SECONDS = 5.0


class SlackAdapter(SlackChannel):
    """Runs the Bolt app (start/close/health/attach) and delivers digests (the Channel contract)."""

    def __init__(
        self,
        bolt: AsyncApp,
        *,
        reactions: Reactions,
        slash: SlashCommands,
        abstracts: ReactionAbstracts,
        interest: ReactionInterest,
        mode: Mode,
        base_url: str,
        endpoints: SlackEndpoints,
        bot_token: str | None = None,
        app_token: str | None = None,
        installations: SqliteInstallationStore | None = None,
        tokens: TokenFor | None = None,
        forms: Sequence[Registers] = (),
        notices: PauseNotices | None = None,
    ) -> None:
        """Wire handlers onto bolt; with installations, tokens come per workspace (OAuth);
        forms are the settings modal and App Home; notices (while started) says by direct
        message when a digest breaks."""
        super().__init__(reactions, tokens or self._single_token, base_url)
        self.bolt = bolt
        self.mode: Mode = mode
        self.bot_token = bot_token
        self.app_token = app_token
        self.installations = installations
        self.endpoints = endpoints
        self.bot_user_id: str | None = None
        self.last_error = ""
        self._socket: AsyncSocketModeHandler | None = None
        self._started = False
        self._inflight: set[asyncio.Task[Any]] = set()
        self.notices = notices
        self.direct = SlackNotices(self.web_client)
        slash.register(bolt, self._guarded)
        interest.register(bolt, self._guarded, abstracts)
        for form in forms:
            form.register(bolt, self._guarded)
        if installations is not None:
            bolt.enable_token_revocation_listeners()
        else:
            for name in ("app_uninstalled", "tokens_revoked"):
                bolt.event(name)(self._guarded(self._uninstalled))

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Check the bot token, connect Socket Mode if configured; return once ready."""
        if self._started:
            return
        if self.bot_token is not None:
            await self._check_token()
        if self.mode == "socket":
            handler = AsyncSocketModeHandler(self.bolt, self.app_token)
            try:
                # Asked here rather than inside connect(), which would retry a bad token forever.
                handler.client.wss_uri = await handler.client.issue_new_wss_url()
            except SlackApiError as error:
                await handler.close_async()  # type: ignore[no-untyped-call]
                code = error.response.get("error")
                raise ConfigError(
                    f"Slack refused SLACK_APP_TOKEN (apps.connections.open: {code})"
                ) from None
            await handler.connect_async()  # type: ignore[no-untyped-call]
            self._socket = handler
        self._started = True
        if self.notices is not None:
            self.notices.start(self.direct.tell)
        log.info(
            "Slack adapter started (%s mode%s)", self.mode, ", OAuth" if self.installations else ""
        )

    async def _check_token(self) -> None:
        """auth.test: a bad token stops start-up; a network problem is only logged."""
        try:
            info = await self.bolt.client.auth_test()
        except SlackApiError as error:
            code = str(error.response.get("error"))
            if code in PERMANENT:
                raise ConfigError(f"Slack refused SLACK_BOT_TOKEN (auth.test: {code})") from None
            self.last_error = f"auth.test: {code}"
        except Exception as error:  # network trouble at boot must not stop the other adapters
            self.last_error = f"auth.test: {type(error).__name__}: {error}"
            log.warning("Slack auth.test failed: %s", self.last_error)
        else:
            self.bot_user_id = str(info.get("user_id") or "") or None

    async def close(self) -> None:
        """Let answers in flight finish (briefly), then disconnect Socket Mode and the Web API."""
        if self.notices is not None:
            await self.notices.close()
        pending = {t for t in self._inflight if t is not asyncio.current_task()}
        if pending:
            await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_SECONDS)
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        await self.close_session()
        self._started = False

    def gone(self) -> str | None:
        """Never for good: Socket Mode reconnects by itself and HTTP mode has no connection."""
        return None

    def health(self) -> dict[str, Any]:
        """What /healthz reports about Slack."""
        connected = self._started
        if self._socket is not None:
            session = self._socket.client.current_session
            connected = (
                session is not None and not session.closed and not self._socket.client.closed
            )
        workspaces = len(self.installations.teams()) if self.installations else 1
        return {
            "platform": self.platform,
            "ok": connected,
            "mode": self.mode,
            "oauth": self.installations is not None,
            "started": self._started,
            "connected": connected,
            "workspaces": workspaces,
            "bot_user_id": self.bot_user_id,
            "in_flight": len(self._inflight),
            "last_error": self.last_error or None,
        }

    # -- HTTP ------------------------------------------------------------------------------

    def attach(self, web_app: web.Application) -> None:
        """Mount /slack/events (HTTP mode) and the OAuth install routes on the runner's server."""
        self.endpoints.mount(web_app)

    # -- helpers ---------------------------------------------------------------------------

    def _guarded(self, handler: Handler) -> Handler:
        """Track a handler for shutdown and tell the user when it fails unexpectedly."""

        async def run(args: AsyncArgs) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._inflight.add(task)
            try:
                await handler(args)
            except Exception as error:
                log.exception("Slack handler %s failed", getattr(handler, "__name__", handler))
                self.last_error = f"{type(error).__name__}: {error}"
                if args.command is not None:
                    with suppress(Exception):
                        await args.respond(response_type="ephemeral", **text_payload(SORRY))
            finally:
                if task is not None:
                    self._inflight.discard(task)

        return run

    async def _single_token(self, target: str) -> str:
        """Every channel gets SLACK_BOT_TOKEN when there is no OAuth."""
        assert self.bot_token is not None
        return self.bot_token

    async def _uninstalled(self, args: AsyncArgs) -> None:
        """With a single bot token there is nothing to forget; say so in the log."""
        log.warning("Slack app uninstalled or its tokens revoked in %s", args.context.team_id)
