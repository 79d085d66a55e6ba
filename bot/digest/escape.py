"""Neutralising untrusted text (titles, abstracts, posts) for each output format."""

from __future__ import annotations

import html
import re

__all__ = ["escape_markdown", "one_line", "strip_controls"]

# C0/C1 controls except tab and newline: terminal escape sequences must not reach a terminal.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
# Text that would start a heading, list, quote or numbered item at the beginning of a line.
_MD_LINE_START = re.compile(r"^(\s*)([#>+\-=]|\d+[.)])", re.MULTILINE)


def strip_controls(text: str) -> str:
    """Remove control and bidi-override characters."""
    return _CONTROLS.sub("", text)


def one_line(text: str) -> str:
    """Join a multi-line field (arXiv folds long titles and abstracts) into one line."""
    return strip_controls(text).replace("\r", "").replace("\n", " ").strip()


def escape_markdown(text: str) -> str:
    """Make text inert in Markdown and HTML: no tags, links, emphasis or block syntax."""
    escaped = html.escape(strip_controls(text), quote=False)
    escaped = _MD_INLINE.sub(r"\\\1", escaped)
    return _MD_LINE_START.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    """Backslash the character that makes a line a block: '\\# x', '1\\. x'."""
    indent, token = match[1], match[2]
    if token[0].isdigit():
        return f"{indent}{token[:-1]}\\{token[-1]}"
    return f"{indent}\\{token}"
