"""The contract between scheduled delivery and the chat platforms (Discord, Slack, Markdown)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from bot.models import Digest, Layout

__all__ = ["Channel", "DeliveryError", "OutboundMessage"]


@dataclass(frozen=True)
class OutboundMessage:
    """One platform message of a digest: its payload and the papers it shows, in order."""

    payload: dict[str, Any]  # platform-specific (embeds, blocks, Markdown text...)
    text: str  # plain fallback / summary, for logs and notifications
    arxiv_ids: tuple[str, ...] = ()  # position i (1-based in the message) -> arxiv_ids[i-1]
    extra: dict[str, Any] = field(default_factory=dict)


class DeliveryError(Exception):
    """Posting failed; permanent errors pause the subscription, transient ones are retried."""

    def __init__(
        self, reason: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        """Describe the failure for humans, and how delivery should react to it."""
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class Channel(Protocol):
    """What delivery needs from a platform adapter."""

    platform: ClassVar[str]  # "discord", "slack" or "markdown"

    def render(self, digest: Digest, layout: Layout = "grouped") -> list[OutboundMessage]:
        """Split a digest into the messages to post, within the platform's limits (pure).

        layout per-paper: a header message, then one message per paper.
        """
        ...

    async def send(self, target: str, message: OutboundMessage, *, key: str) -> str:
        """Post one message to the platform channel `target`; return its message id.

        `key` is unique per (channel, digest day, part) and must be attached to the message
        (Discord nonce, Slack metadata, a file name) so find_sent can recognise it after a crash.
        Raises DeliveryError.
        """
        ...

    async def find_sent(self, target: str, key: str) -> str | None:
        """The id of a message already posted with this key, if any (crash recovery)."""
        ...

    def remember(self, target: str, message_id: str, message: OutboundMessage) -> None:
        """Record what a posted message shows (which paper each number points at); blocking.

        Delivery calls it in the commit that records the message as sent, not in send(): a
        store write there would hold the request's place in the platform's rate window.
        """
        ...
