"""Neutralising untrusted text (titles, abstracts, posts, URLs) for each output format."""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit

from bot.untrusted import one_line

__all__ = [
    "escape_html",
    "escape_markdown",
    "flat",
    "inert_markdown",
    "is_category",
    "strip_controls",
    "web_url",
]

# C0/C1 controls except tab and newline, and bidi embeddings, overrides and isolates: terminal
# escape sequences must not reach a terminal, nor reordering marks a page.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# In an embed X's bidi isolates stay (clients put them around mentions); overrides go.
_EMBED_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
# Text that would start a heading, list, quote or numbered item at the beginning of a line.
_MD_LINE_START = re.compile(r"^(\s*)([#>+\-=]|\d+[.)])", re.MULTILINE)

# CommonMark's raw HTML (spec section 6.6): what a Markdown renderer passes through as markup.
_ATTRIBUTE = r"""(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?)"""
_MARKUP = re.compile(
    rf"<[A-Za-z][A-Za-z0-9-]*{_ATTRIBUTE}*\s*/?>"  # open tag
    r"|</[A-Za-z][A-Za-z0-9-]*\s*>"  # closing tag
    r"|<[!?]"  # comment, declaration, CDATA, processing instruction
    r"|<(?!https?:)[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>"  # autolink to another scheme
    r"|<[^\s<>@]+@[^\s<>]+>",  # e-mail autolink (mailto:)
    re.IGNORECASE,
)
# Quote and list markers a line can start with: what follows them starts a block too.
_CONTAINERS = re.compile(r"(?:[ \t]*(?:>|[-+*](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)))*")
# At a block's start: an HTML block (even with its tag left open), a heading, a reference
# definition to anything but http(s).
_HTML_BLOCK = re.compile(r"[ \t]*(<)[A-Za-z/!?]")
_HEADING = re.compile(r"[ \t]*()#{1,6}(?:[ \t]|$)")
_FOREIGN_DEFINITION = re.compile(r"[ \t]*()\[[^\]]*\]:(?!\s*<?\s*https?://)", re.IGNORECASE)
# A link or image whose destination is not a web address.
_FOREIGN_LINK = re.compile(r"\]\((?!\s*<?\s*https?://)", re.IGNORECASE)
_CATEGORY = re.compile(r"[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[a-z]+)?)?")
# What may stay as it is in a URL written into Markdown or HTML; the rest is percent-encoded.
_URL_SAFE = "/:?#[]@!$&*+,;=%~-._"


def strip_controls(text: str) -> str:
    """Remove control and bidi-override characters."""
    return _CONTROLS.sub("", text)


def flat(text: str) -> str:
    """A field on one line as the digest formats show it: bot.untrusted.one_line keeping the
    spacing as written (arXiv folds long titles and abstracts), and no bidi isolates either."""
    return strip_controls(one_line(text, keep_spaces=True))


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


def _block_start(line: str) -> int:
    """Where the line's innermost block begins, after any quote and list markers."""
    match = _CONTAINERS.match(line)
    return match.end() if match else 0


def _neutralise_markup(line: str, starts_line: bool) -> str:
    """Write `<` as `&lt;` where it opens markup; every other character stays as it was."""
    starts = {m.start() for m in _MARKUP.finditer(line)}
    block = _HTML_BLOCK.match(line, _block_start(line)) if starts_line else None
    if block:
        starts.add(block.start(1))
    if not starts:
        return line
    return "".join("&lt;" if i in starts else c for i, c in enumerate(line))


def _backslash_block(line: str) -> str:
    """Backslash the character that would make the line's block a heading or a definition."""
    at = _block_start(line)
    for pattern in (_HEADING, _FOREIGN_DEFINITION):
        match = pattern.match(line, at)
        if match:
            cut = match.start(1)
            return f"{line[:cut]}\\{line[cut:]}"
    return line


def inert_markdown(text: str, *, starts_line: bool = True) -> str:
    """One line of text printed as written, with only what could act on a page neutralised.

    Tags, comments and non-web autolinks lose their `<`; links and reference definitions to
    anything but http(s) lose their link syntax; a line cannot become a heading or an HTML
    block. arXiv text (`$k<n$`, `ImageNet-C [11]`, `F* proof`, `(V&L)`) passes unchanged.
    """
    line = _FOREIGN_LINK.sub(r"]\\(", _neutralise_markup(flat(text), starts_line))
    return _backslash_block(line) if starts_line else line


def escape_html(text: str) -> str:
    """Text for HTML as Twitter's embed wrote it: &amp; &lt; &gt; &quot; &#39;.

    Control characters and bidi overrides go; bidi isolates stay (X clients put them around
    mentions, and they only order the text they enclose).
    """
    text = _EMBED_CONTROLS.sub("", text)
    return html.escape(text, quote=True).replace("&#x27;", "&#39;")


def web_url(url: str) -> str | None:
    """An http(s) URL made safe to write into a Markdown link or an HTML attribute, or None."""
    url = flat(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=_URL_SAFE)


def is_category(name: str) -> bool:
    """Whether name is spelled like an arXiv category (cs.LG, quant-ph, cond-mat.stat-mech)."""
    return _CATEGORY.fullmatch(name) is not None
