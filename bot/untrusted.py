"""Text from outside (sources, snapshots), made storable once, where it comes in."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["clean_text", "is_web_url", "one_line"]

# C0 and C1 control characters (tab, newline and carriage return are text) and the bidi
# embedding and override controls, which can make a title read as something else. Bidi
# isolates (U+2066-2069) are text: X clients put them around mentions, the blog's embeds kept
# them, and they only order the run they enclose (the terminal output drops them too).
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e]")
# A lone surrogate cannot be encoded as UTF-8, so SQLite, JSON and every platform refuse it.
_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Replace lone surrogates with U+FFFD and drop control characters; the rest is kept."""
    return _CONTROLS.sub("", _SURROGATES.sub("\ufffd", text))


def is_web_url(url: str) -> bool:
    """Whether url is an http(s) address with a host: the only links we store or make."""
    if url != url.strip() or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # a bracketed host urlsplit cannot read, a bad port
        return False
    return parts.scheme.lower() in ("http", "https") and bool(host)


def one_line(text: str, *, keep_spaces: bool = False) -> str:
    """Text shown on one line: a title, a name, a post quoted inline. The one such helper.

    What clean_text drops goes, and line breaks become spaces (a carriage return nothing, so
    CRLF is one space). Then every run of whitespace becomes one space (arXiv folds long titles
    with a line break and an indent); keep_spaces keeps the spacing as written instead (the
    seed blog reproduces arXiv's text byte for byte). Both ends are trimmed either way.
    Formats escape and clip the result themselves.
    """
    text = clean_text(text)
    if keep_spaces:
        return text.replace("\r", "").replace("\n", " ").strip()
    return " ".join(text.split())
