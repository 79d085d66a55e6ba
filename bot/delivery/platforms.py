"""The channels a process can post to: Markdown always, Discord and Slack when configured."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, Protocol

from bot.channels import Channel

if TYPE_CHECKING:  # `hotpapers status` asks chat_platforms without starting a web server
    from aiohttp import web

    from bot.config import Env

__all__ = ["Adapter", "PlatformState", "Platforms", "chat_platforms"]

log = logging.getLogger(__name__)


class Adapter(Channel, Protocol):
    """A chat adapter: a Channel with a connection to start and close, and health."""

    async def start(self) -> None:
        """Connect; return once ready."""
        ...

    async def close(self) -> None:
        """Disconnect."""
        ...

    def health(self) -> dict[str, Any]:
        """What /healthz shows."""
        ...


def chat_platforms(env: Env) -> list[str]:
    """The chat platforms whose credentials are set: the one place that decides it."""
    found = []
    if env.discord_token is not None:
        found.append("discord")
    if env.slack_bot_token is not None or (env.slack_client_id and env.slack_client_secret):
        found.append("slack")
    return found


class PlatformState:
    """Which platforms this process posts to, and why a configured one does not (live).

    Built before the adapters (the status of /digest needs it, and the adapters need the
    commands), then told which platforms run, and why an adapter could not be built or started.
    """

    def __init__(self, configured: Collection[str]) -> None:
        """Start from the platforms whose credentials are set."""
        self.configured = frozenset(configured)
        self.errors: dict[str, str] = {}
        self.running: set[str] = set()

    def failed(self, platform: str, why: str) -> None:
        """Record that a configured platform's adapter could not be built or started."""
        self.errors[platform] = why

    def waiting_for(self, platform: str) -> str:
        """Why a platform's subscriptions are not posted by this process ('' when they are).

        Markdown always is; a configured platform is unless its adapter failed.
        """
        if platform == "markdown" or platform in self.running:
            return ""
        if platform in self.errors:
            return self.errors[platform]
        if platform in self.configured:
            return ""
        return f"no {platform} token is set"


class Platforms:
    """The channel per platform, the chat adapters among them, and their state."""

    def __init__(
        self, channels: dict[str, Channel], adapters: dict[str, Adapter], state: PlatformState
    ) -> None:
        """channels holds every channel, the adapters included (the deliverer reads it live)."""
        self.channels = channels
        self.adapters = adapters
        self.state = state

    def attach(self, web_app: web.Application) -> None:
        """Let adapters mount routes (Slack's HTTP mode) before the web server starts."""
        for adapter in self.adapters.values():
            attach = getattr(adapter, "attach", None)
            if attach is not None:
                attach(web_app)

    async def start(self) -> None:
        """Connect every adapter; one that fails is left out, never blocking the others."""
        for platform, adapter in list(self.adapters.items()):
            try:
                await adapter.start()
            except Exception as error:
                log.exception("%s adapter failed to start", platform)
                self.state.failed(platform, f"failed to start: {error}")
                del self.adapters[platform]
                self.channels.pop(platform, None)
        self.state.running.update(self.channels)

    async def close(self) -> None:
        """Disconnect every adapter."""
        self.state.running.difference_update(self.channels)
        for platform, adapter in self.adapters.items():
            try:
                await adapter.close()
            except Exception:
                log.exception("%s adapter failed to close", platform)

    def health(self) -> dict[str, Any]:
        """Each platform's health, or why it is not running."""
        report: dict[str, Any] = {name: {"error": why} for name, why in self.state.errors.items()}
        for name, channel in self.channels.items():
            health = getattr(channel, "health", None)
            report[name] = health() if callable(health) else {"platform": name}
        return report

    def waiting_for(self, platform: str) -> str:
        """Why a platform's subscriptions are not scheduled here ('' when they are)."""
        if platform in self.channels:
            return ""
        return f"no {platform} adapter: {self.state.waiting_for(platform) or 'not built here'}"
