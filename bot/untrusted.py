"""Text from outside (sources, snapshots), made storable once, where it comes in."""

from __future__ import annotations

import re

__all__ = ["clean_text"]

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
