"""The Discord adapter the runner starts: a discord.py client wired to the core's commands."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import discord
from discord.utils import MISSING

from bot.adapters.discord.abstracts import AbstractReplies
from bot.adapters.discord.channel import DiscordChannel
from bot.adapters.discord.controls import PanelControls
from bot.adapters.discord.endpoints import Endpoints
from bot.adapters.discord.interest import ReactionInterest
from bot.adapters.discord.notices import DiscordNotices
from bot.adapters.discord.respond import NO_MENTIONS, Inflight, Responder
from bot.adapters.discord.slash import Handlers, build_tree
from bot.adapters.discord.sync import CommandSync
from bot.channel_signal import ChannelSignals
from bot.channels import OutboundMessage
from bot.commands import Commands
from bot.config import DiscordConfig, Env
from bot.delivery.notices import PauseNotices
from bot.forms import DigestForm
from bot.logs import no_debug
from bot.models import Digest, Layout
from bot.reactions import Reactions
from bot.store import Store
from bot.subscriptions import Subscriptions
from bot.timeutil import Clock

__all__ = ["DiscordAdapter", "build_discord", "intents"]

log = logging.getLogger(__name__)
START_TIMEOUT_SECONDS = 60.0  # discord.py itself gives a gateway handshake 60 s
DRAIN_SECONDS = 10.0  # handlers in flight at shutdown get this long before the store closes


def intents() -> discord.Intents:
    """The least intents that work: guilds for the cache, reactions for abstracts.

    No privileged intent: slash commands arrive regardless, and nothing reads message content.
    """
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_reactions = True
    wanted.dm_reactions = True  # /hot and /paper also work in DMs with the bot
    return wanted


class DiscordAdapter:
    """Slash commands, abstracts on reaction and scheduled posts for one bot token."""

    platform: ClassVar[str] = "discord"

    def __init__(
        self,
        client: discord.Client,
        token: str,
        endpoints: Endpoints,
        *,
        commands: Commands,
        form: DigestForm,
        reactions: Reactions,
        signals: ChannelSignals,
        store: Store,
        clock: Clock,
        categories: Sequence[str],
        command_sync: Literal["changed", "manual"] = "changed",
        notices: PauseNotices | None = None,
    ) -> None:
        """Wire the client's commands and events to the core; nothing connects yet.

        form loads and saves the settings panel; store holds the synced command tree's hash and
        the papers abstracts come from; signals counts reactions for each channel's own ranking;
        categories are offered as /hot's choices and in the panel's category menu; notices
        (while started) says by direct message when a digest breaks.
        """
        self.client = client
        self.token = token
        self.endpoints = endpoints
        self.commands = commands
        self.reactions = reactions
        self.clock = clock
        self.sync_at_start = command_sync == "changed"
        self.channel = DiscordChannel(client, reactions)
        self.inflight = Inflight()
        responder = Responder(reactions, self.inflight)
        self.panel = PanelControls(form, self.inflight, categories)
        self.tree = build_tree(client, Handlers(commands, responder, categories, self.panel))
        self.command_sync = CommandSync(store)
        self.abstracts = AbstractReplies(client, reactions, store, clock, self.inflight)
        self.interest = ReactionInterest(client, signals, clock, self.inflight)
        self.notices = notices
        self.direct = DiscordNotices(client, self.login)
        self._connected = asyncio.Event()
        self._login_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._register_events()

    def _register_events(self) -> None:
        """discord.py finds event handlers by name on the client."""

        async def on_connect() -> None:
            self._connected.set()

        async def on_resumed() -> None:
            self._connected.set()

        async def on_disconnect() -> None:
            self._connected.clear()

        async def on_raw_reaction_add(event: discord.RawReactionActionEvent) -> None:
            await self.interest.added(event)
            await self.abstracts.on_raw_reaction_add(event)

        async def on_raw_reaction_remove(event: discord.RawReactionActionEvent) -> None:
            await self.interest.removed(event)

        async def on_raw_reaction_clear(event: discord.RawReactionClearEvent) -> None:
            await self.interest.cleared(event)

        async def on_raw_reaction_clear_emoji(event: discord.RawReactionClearEmojiEvent) -> None:
            await self.interest.cleared_emoji(event)

        for handler in (
            on_connect, on_resumed, on_disconnect, on_raw_reaction_add, on_raw_reaction_remove,
            on_raw_reaction_clear, on_raw_reaction_clear_emoji, self.panel.on_interaction,
        ):  # fmt: skip
            self.client.event(handler)

    # -- lifecycle -------------------------------------------------------------------------

    async def login(self) -> None:
        """Log in over REST only: enough for posting, syncing commands and the invite link."""
        async with self._login_lock:
            if self.client.user is None:
                await self.client.login(self.token)

    async def sync_commands(self, *, force: bool = True) -> bool:
        """Upload the slash commands (when forced or changed); True if it synced."""
        await self.login()
        return await self.command_sync.sync(self.tree, self.clock(), force=force)

    async def start(self) -> None:
        """Log in, sync commands if they changed, and return once the gateway session is up.

        After close() (or a failed start) it starts afresh: the supervisor restarts an adapter
        whose gateway gave up.
        """
        if self.client.is_closed():
            _reopen(self.client)
        try:
            await self.login()
        except BaseException:
            await self.close()  # the HTTP session was opened before the token was refused
            raise
        if self.sync_at_start:
            try:
                await self.sync_commands(force=False)
            except discord.HTTPException:
                log.exception("Discord command sync failed; run `hotpapers discord-sync` later")
        # The gateway task runs in a context where interaction replies use the endpoints.
        self._task = asyncio.create_task(
            self.client.connect(reconnect=True),
            name="discord-gateway",
            context=self.endpoints.context(),
        )
        connected = asyncio.ensure_future(self._connected.wait())
        done, _ = await asyncio.wait(
            {self._task, connected},
            timeout=START_TIMEOUT_SECONDS,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if connected in done:
            log.info("Connected to Discord as %s", self.client.user)
            if self.notices is not None:
                self.notices.start(self.direct.tell)
            return
        connected.cancel()
        if self._task in done:
            error = self._task.exception()
            await self.close()
            raise RuntimeError(f"the Discord gateway closed during start: {error!r}") from error
        await self.close()
        raise TimeoutError(f"no Discord gateway session within {START_TIMEOUT_SECONDS:.0f} s")

    async def close(self) -> None:
        """Let running handlers finish, disconnect and close the HTTP session; safe to repeat."""
        if self.notices is not None:
            await self.notices.close()
        await self.inflight.drain(DRAIN_SECONDS)
        await self.client.close()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(task, timeout=10)
            except (Exception, asyncio.CancelledError) as error:
                log.debug("Discord gateway task ended with %r", error)
        self._connected.clear()

    def gone(self) -> str | None:
        """Why the gateway gave up for good (discord.py reconnects by itself otherwise)."""
        task = self._task
        if task is None or not task.done():
            return None
        error = None if task.cancelled() else task.exception()
        return f"the gateway closed: {error!r}" if error else "the gateway closed"

    def health(self) -> dict[str, Any]:
        """What /healthz shows about Discord."""
        latency = self.client.latency
        client = self.client
        shards = sorted(client.shards) if isinstance(client, discord.AutoShardedClient) else None
        return {
            "platform": "discord",
            "connected": self._connected.is_set() and not self.client.is_closed(),
            "ready": self.client.is_ready(),
            "user": str(self.client.user) if self.client.user else None,
            "guilds": len(self.client.guilds),
            "latency_ms": round(latency * 1000) if math.isfinite(latency) else None,
            "shards": shards,
            "gateway_task": "running" if self._task and not self._task.done() else "stopped",
        }

    # -- Channel ---------------------------------------------------------------------------

    def render(self, digest: Digest, layout: Layout = "grouped") -> list[OutboundMessage]:
        """The digest as Discord messages."""
        return self.channel.render(digest, layout)

    async def send(self, target: str, message: OutboundMessage, *, key: str) -> str:
        """Post one message once; logs in first if needed (no gateway needed)."""
        await self.login()
        return await self.channel.send(target, message, key=key)

    async def find_sent(self, target: str, key: str) -> str | None:
        """Our message with this key in the channel's recent history, if any."""
        await self.login()
        return await self.channel.find_sent(target, key)

    def remember(self, target: str, message_id: str, message: OutboundMessage) -> None:
        """Record the papers a posted message numbers (blocking)."""
        self.channel.remember(target, message_id, message)


def _reopen(client: discord.Client) -> None:
    """Make a closed client startable again: discord.py's clear() and two of its internals.

    close() leaves `loop` MISSING where login() looks for its own sentinel before setting the
    loop up again, and closes the connector it made with the session, which the next session
    would be handed ("Session is closed"); MISSING makes login build a new one. Both are pinned
    by tests/delivery/test_health.py against the installed discord.py.
    """
    client.clear()
    client.loop = discord.client._loop  # login() sets the event loop up again
    connector = client.http.connector
    if connector is not MISSING and connector.closed:
        client.http.connector = MISSING


def build_discord(
    env: Env,
    config: DiscordConfig,
    *,
    commands: Commands,
    subscriptions: Subscriptions,
    reactions: Reactions,
    signals: ChannelSignals,
    store: Store,
    clock: Clock,
    categories: Sequence[str],
    notices: PauseNotices | None = None,
) -> DiscordAdapter:
    """The adapter for DISCORD_TOKEN, sharded when configured; call start() to connect."""
    no_debug("discord.http", "discord.webhook.async_")  # URLs with interaction tokens
    if env.discord_token is None:
        raise ValueError("DISCORD_TOKEN is not set")
    if config.shard_ids and (not config.auto_shard or config.shard_count is None):
        raise ValueError("discord.shard_ids needs auto_shard = true and shard_count")
    for flag in ("warn_nacl", "warn_dave"):  # the bot has no voice: no warning about its libraries
        if hasattr(discord.VoiceClient, flag):
            setattr(discord.VoiceClient, flag, False)
    client: discord.Client
    if config.auto_shard:
        # discord.py runs every shard unless given the ids this process should run.
        only: dict[str, Any] = {"shard_ids": list(config.shard_ids)} if config.shard_ids else {}
        client = discord.AutoShardedClient(
            intents=intents(),
            shard_count=config.shard_count,
            allowed_mentions=NO_MENTIONS,
            max_ratelimit_timeout=config.max_ratelimit_wait_seconds,
            **only,
        )
    else:
        client = discord.Client(
            intents=intents(),
            allowed_mentions=NO_MENTIONS,
            max_ratelimit_timeout=config.max_ratelimit_wait_seconds,
        )
    endpoints = Endpoints(env.discord_api_base, env.discord_gateway_url)
    endpoints.apply(client)
    return DiscordAdapter(
        client,
        env.discord_token.get_secret_value(),
        endpoints,
        commands=commands,
        form=DigestForm(commands, subscriptions),
        reactions=reactions,
        signals=signals,
        store=store,
        clock=clock,
        categories=categories,
        command_sync=config.command_sync,
        notices=notices,
    )
