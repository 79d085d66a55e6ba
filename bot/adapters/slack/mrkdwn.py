"""Slack mrkdwn text: escaping untrusted text, clipping to limits, and links that cannot inject."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

from bot.untrusted import one_line

__all__ = [
    "ELLIPSIS",
    "clip",
    "escape",
    "escape_clip",
    "fit",
    "link",
    "safe_url",
    "width",
]

ELLIPSIS = "…"
MAX_URL = 300  # longer URLs are dropped rather than cut, so a link never points somewhere else
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Everything else (spaces, quotes, |, <, >, non-ASCII) is percent-encoded, so a URL cannot end
# Slack's <url|label> syntax early or smuggle a second link into a message.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def width(text: str) -> int:
    """Length in UTF-16 code units: never less than Slack's character count, whichever it uses."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Escape &, < and > so text can never become a mention, a channel ping or a link."""
    return "".join(_ESCAPES.get(ch, ch) for ch in _CONTROL.sub("", text))


def _units(piece: str) -> int:
    """width() of one character or entity, without encoding it."""
    return 2 if len(piece) == 1 and ord(piece) > 0xFFFF else len(piece)


def _take(pieces: Iterable[str], limit: int) -> str:
    """Whole pieces within limit, ending in an ellipsis when some had to go; stops early."""
    kept: list[str] = []
    sizes: list[int] = []
    used = 0
    for piece in pieces:
        size = _units(piece)
        if used + size > limit:
            while kept and used + 1 > limit:
                used -= sizes.pop()
                kept.pop()
            return "".join(kept) + ELLIPSIS
        kept.append(piece)
        sizes.append(size)
        used += size
    return "".join(kept)


def clip(text: str, limit: int) -> str:
    """Text within limit code units, ending in an ellipsis when it had to be cut."""
    return _take(text, limit)


def escape_clip(text: str, limit: int) -> str:
    """Escaped text within limit code units; an entity such as &amp; is never cut in half."""
    return _take((_ESCAPES.get(ch, ch) for ch in text if not _CONTROL.match(ch)), limit)


def safe_url(url: str) -> str | None:
    """An http(s) URL percent-encoded for <url|label>, or None when it cannot be linked safely."""
    candidate = url.strip()
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    encoded = quote(candidate, safe=_URL_SAFE)
    return encoded if len(encoded) <= MAX_URL else None


def link(url: str, label: str, limit: int = 300) -> str:
    """A mrkdwn link with an escaped label; just the label when the URL is unusable."""
    text = escape_clip(one_line(label), limit) or "link"
    target = safe_url(url)
    return f"<{target}|{text}>" if target else text


def fit(parts: Iterable[str], limit: int, sep: str = "\n") -> str:
    """Join whole parts in order while they fit within limit; parts that do not fit are left out."""
    kept: list[str] = []
    used = 0
    for part in parts:
        if not part:
            continue
        size = width(part) + (width(sep) if kept else 0)
        if used + size > limit:
            continue
        kept.append(part)
        used += size
    return sep.join(kept)
