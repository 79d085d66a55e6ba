"""The channels a process can post to: Markdown always, Discord and Slack when configured."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from bot.adapters.markdown import MarkdownChannel
from bot.app import App
from bot.channels import Channel
from bot.config import Settings

if TYPE_CHECKING:  # `hotpapers status` asks chat_platforms without starting a web server
    from aiohttp import web

__all__ = ["Adapter", "Platforms", "chat_platforms", "open_platforms"]

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


def chat_platforms(settings: Settings) -> list[str]:
    """The chat platforms whose credentials are set."""
    env = settings.env
    found = []
    if env.discord_token is not None:
        found.append("discord")
    if env.slack_bot_token is not None or (env.slack_client_id and env.slack_client_secret):
        found.append("slack")
    return found


def _factory(platform: str) -> Callable[[App], Adapter] | None:
    """bot.adapters.<platform>.build_<platform>, imported only now, or None if missing."""
    module_name = f"bot.adapters.{platform}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        log.error("%s cannot be imported (%s): %s channels will not be posted to",
                  module_name, error, platform)  # fmt: skip
        return None
    return cast(Callable[[App], Adapter], getattr(module, f"build_{platform}"))


@dataclass
class Platforms:
    """The channel per platform, the chat adapters among them, and why any is missing."""

    channels: dict[str, Channel]
    adapters: dict[str, Adapter] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

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
                self.errors[platform] = f"failed to start: {error}"
                del self.adapters[platform]
                self.channels.pop(platform, None)

    async def close(self) -> None:
        """Disconnect every adapter."""
        for platform, adapter in self.adapters.items():
            try:
                await adapter.close()
            except Exception:
                log.exception("%s adapter failed to close", platform)

    def health(self) -> dict[str, Any]:
        """Each platform's health, or why it is not running."""
        report: dict[str, Any] = {name: {"error": why} for name, why in self.errors.items()}
        for name, channel in self.channels.items():
            health = getattr(channel, "health", None)
            report[name] = health() if callable(health) else {"platform": name}
        return report

    def waiting_for(self, platform: str) -> str:
        """Why a platform's subscriptions are not scheduled here ('' when they are)."""
        if platform in self.channels:
            return ""
        return self.errors.get(platform, f"no {platform} adapter: its token is not set")


def open_platforms(app: App, *, only: list[str] | None = None) -> Platforms:
    """Build (not start) the Markdown channel and the configured chat adapters."""
    platforms = Platforms({"markdown": MarkdownChannel(app.settings.config.markdown)})
    for platform in chat_platforms(app.settings):
        if only is not None and platform not in only:
            continue
        factory = _factory(platform)
        if factory is None:
            platforms.errors[platform] = f"bot.adapters.{platform} is not installed"
            continue
        try:
            adapter = factory(app)
        except Exception as error:
            log.error("%s adapter not built: %s", platform, error)
            platforms.errors[platform] = str(error)
            continue
        platforms.adapters[platform] = adapter
        platforms.channels[platform] = adapter
    return platforms
