"""Discord's message limits, checked independently of the renderer's own bookkeeping."""

from __future__ import annotations

import json
import re
from typing import Any

# Mentions Discord would turn into pings if allowed: @everyone, @here, <@id>, <@!id>, <@&id>.
PING = re.compile(r"@(everyone|here)|<@[!&]?\d{17,20}>")


def utf16(text: str) -> int:
    """Length as JavaScript (and so the strictest reading of Discord's limits) counts it."""
    return len(text.encode("utf-16-le")) // 2


def embed_total(embed: dict[str, Any]) -> int:
    """The characters Discord counts towards a message's 6000."""
    total = utf16(embed.get("title", "")) + utf16(embed.get("description", ""))
    total += utf16(embed.get("footer", {}).get("text", ""))
    total += utf16(embed.get("author", {}).get("name", ""))
    return total + sum(utf16(f["name"]) + utf16(f["value"]) for f in embed.get("fields", []))


def assert_within_limits(payload: dict[str, Any], *, room: int = 0) -> None:
    """Every documented Discord limit holds, with room units to spare for the delivery marker."""
    assert utf16(payload.get("content") or "") <= 2000 - room
    embeds = payload.get("embeds") or []
    assert len(embeds) <= 10
    assert sum(embed_total(e) for e in embeds) <= 6000 - room
    for embed in embeds:
        assert utf16(embed.get("title", "")) <= 256
        assert utf16(embed.get("description", "")) <= 4096
        assert utf16(embed.get("author", {}).get("name", "")) <= 256
        assert utf16(embed.get("footer", {}).get("text", "")) <= 2048 - room
        fields = embed.get("fields", [])
        assert len(fields) <= 25
        for f in fields:
            assert 0 < utf16(f["name"]) <= 256
            assert 0 < utf16(f["value"]) <= 1024
        assert embed_total(embed) > 0, "Discord rejects an empty embed"
    json.dumps(payload)  # serialisable as the request body


def assert_no_pings(payload: Any) -> None:
    """No text in the payload would ping anyone even if mentions were allowed."""
    text = json.dumps(payload, ensure_ascii=False)
    assert not PING.search(text), PING.search(text)
