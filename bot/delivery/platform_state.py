"""Which chat platforms a process posts to, and why a configured one does not.

Apart from the adapters' supervisor (bot/delivery/platforms.py) because `hotpapers status`
and `channels` ask it without an event loop: importing asyncio would be a tenth of their start.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Env

__all__ = ["PlatformState", "chat_platforms"]


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

    def up(self, platform: str) -> None:
        """A platform's adapter runs (again)."""
        self.errors.pop(platform, None)
        self.running.add(platform)

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
