"""Text for Discord: escaping, and lengths and cuts as Discord counts them."""

from __future__ import annotations

import re

import discord

from bot.untrusted import one_line

__all__ = ["ELLIPSIS", "clip", "escape", "plain", "safe_url", "units"]

ELLIPSIS = "…"
# Characters that start or end Discord markdown anywhere in a line (masked links start with [).
_SPECIAL = re.compile(r"([\\*_~|`\[\]])")
# Markdown that only counts at the start of a line: quotes, headers, subtext, lists.
_LINE_START = re.compile(r"^([ \t]*)([>#-])", re.MULTILINE)
_ORDERED = re.compile(r"^([ \t]*\d+)\.(?=\s)", re.MULTILINE)  # "1. " starts a list
# Bare links are left alone so they still work: escaping an underscore in one breaks it.
_URL = re.compile(r"https?://[^\s<>]+")
# Unicode categories Cc (bar tab and newline) and Cs.
_UNSENDABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_URL_UNSAFE = re.compile(r"[\s<>\"'`\\]")
_MAX_URL = 512  # Discord rejects embed URLs that are too long; arXiv, HF and GitHub URLs are short


def units(text: str) -> int:
    """Length in UTF-16 code units: never less than the length Discord checks its limits with."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _clean(text: str) -> str:
    """Drop control characters (bar newline and tab) and lone surrogates JSON cannot carry."""
    return _UNSENDABLE.sub("", text)


def plain(text: str) -> str:
    """One line for fields Discord shows without markdown (author names, footers): no mentions."""
    return discord.utils.escape_mentions(one_line(text))


def escape(text: str) -> str:
    """Text shown verbatim: markdown escaped, and no @everyone, @here or user or role mention.

    Linear time on any input: discord.utils.escape_markdown backtracks for seconds on text
    like '[' * 2500 + '](' * 1000, and titles and posts come from strangers.
    """
    text, parts, end = _clean(text), [], 0
    for url in _URL.finditer(text):
        parts.append(_SPECIAL.sub(r"\\\1", text[end : url.start()]))
        parts.append(url.group())
        end = url.end()
    parts.append(_SPECIAL.sub(r"\\\1", text[end:]))
    escaped = _LINE_START.sub(r"\1\\\2", "".join(parts))
    escaped = _ORDERED.sub(r"\1\\.", escaped)
    return discord.utils.escape_mentions(escaped)


def clip(text: str, limit: int) -> str:
    """Text cut to at most limit units, marked with … when cut.

    Never splits a character, and never leaves a backslash at the end that would escape the
    ellipsis or the markup that follows.
    """
    if units(text) <= limit:
        return text
    if limit <= 0:
        return ""
    room, kept = limit - units(ELLIPSIS), []
    for ch in text:
        room -= 2 if ord(ch) > 0xFFFF else 1
        if room < 0:
            break
        kept.append(ch)
    cut = "".join(kept).rstrip()
    if (len(cut) - len(cut.rstrip("\\"))) % 2:
        cut = cut[:-1]
    return cut + ELLIPSIS


def safe_url(url: str) -> str | None:
    """The URL if it is a plain http(s) URL that cannot break a markdown link, else None."""
    url = url.strip()
    if not url.startswith(("https://", "http://")) or len(url) > _MAX_URL:
        return None
    if _URL_UNSAFE.search(url) or _UNSENDABLE.search(url):
        return None
    # Parentheses would end a masked link early.
    return url.replace("(", "%28").replace(")", "%29")
