"""Test-only Channels: one over HTTP to the fake platform, one in memory with scripted faults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import aiohttp

from bot.channels import DeliveryError, OutboundMessage
from bot.models import Digest, Layout


def render_parts(
    digest: Digest, per_message: int = 2, layout: Layout = "grouped"
) -> list[OutboundMessage]:
    """A digest as messages of per_message papers each (a short note when empty).

    per-paper: a header naming the digest, then one message per paper.
    """
    if not digest.papers:
        note = f"No hot papers on {digest.day}."
        return [OutboundMessage({"text": note}, note)]
    messages = []
    if layout == "per-paper":
        head = f"{digest.title or 'Hot papers'} {digest.day}"
        messages.append(OutboundMessage({"text": head}, head))
        per_message = 1
    for start in range(0, len(digest.papers), per_message):
        chunk = digest.papers[start : start + per_message]
        text = "\n".join(f"{p.rank}. {p.paper.title}" for p in chunk)
        if digest.missing_sources:
            text += f"\n(missing: {', '.join(digest.missing_sources)})"
        ids = tuple(p.paper.arxiv_id for p in chunk)
        messages.append(OutboundMessage({"text": text}, text, ids))
    return messages


class HttpChannel:
    """A Channel posting to the fake platform (over aiohttp, as the real adapters do)."""

    platform: ClassVar[str] = "discord"

    def __init__(self, base_url: str, per_message: int = 2) -> None:
        self.base_url = base_url
        self.per_message = per_message
        self.session: aiohttp.ClientSession | None = None

    def render(self, digest: Digest, layout: Layout = "grouped") -> list[OutboundMessage]:
        return render_parts(digest, self.per_message, layout)

    async def send(self, target: str, message: OutboundMessage, *, key: str) -> str:
        body = {"text": message.text, "key": key}
        found = await self._request("POST", f"/channels/{target}/messages", json=body)
        return str(found["id"])

    async def find_sent(self, target: str, key: str) -> str | None:
        found = await self._request("GET", f"/channels/{target}/messages", params={"key": key})
        return str(found[0]["id"]) if found else None

    def remember(self, target: str, message_id: str, message: OutboundMessage) -> None:
        """Reactions are not part of these tests."""

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async with self.session.request(method, self.base_url + path, **kwargs) as response:
                status, headers = response.status, response.headers
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryError(f"network: {error!r}") from error
        if status == 429:
            raise DeliveryError("rate limited", retry_after=float(headers.get("Retry-After", "1")))
        if status in (403, 404):
            raise DeliveryError(f"{status}: missing access", permanent=True)
        if status >= 400:
            raise DeliveryError(f"HTTP {status}")
        return body

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


class SlackHttpChannel(HttpChannel):
    platform: ClassVar[str] = "slack"


Fault = Callable[[str, int], DeliveryError | None]  # (target, send number) -> error to raise


class MemoryChannel:
    """A Channel that keeps posts in memory; `fault` decides which sends fail and how."""

    platform: ClassVar[str] = "discord"

    def __init__(
        self, per_message: int = 2, fault: Fault | None = None, lookup_fault: Fault | None = None
    ) -> None:
        self.per_message = per_message
        self.fault = fault
        self.lookup_fault = lookup_fault
        self.posts: dict[str, list[tuple[str, OutboundMessage]]] = {}  # target -> (key, msg)
        self.sends = 0
        self.lookups: list[tuple[str, str]] = []

    def render(self, digest: Digest, layout: Layout = "grouped") -> list[OutboundMessage]:
        return render_parts(digest, self.per_message, layout)

    async def send(self, target: str, message: OutboundMessage, *, key: str) -> str:
        self.sends += 1
        error = self.fault(target, self.sends) if self.fault else None
        if error is not None:
            raise error
        self.posts.setdefault(target, []).append((key, message))
        return f"{target}/{key}"

    async def find_sent(self, target: str, key: str) -> str | None:
        self.lookups.append((target, key))
        error = self.lookup_fault(target, len(self.lookups)) if self.lookup_fault else None
        if error is not None:
            raise error
        found = [k for k, _ in self.posts.get(target, []) if k == key]
        return f"{target}/{key}" if found else None

    def remember(self, target: str, message_id: str, message: OutboundMessage) -> None:
        """Reactions are not part of these tests."""

    def keys(self, target: str) -> list[str]:
        return [k for k, _ in self.posts.get(target, [])]
