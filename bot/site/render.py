"""The Jinja2 environment: autoescaped templates and the filters that make untrusted text safe."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.digest.escape import strip_controls
from bot.models import SOURCE_LABELS
from bot.rank import format_score
from bot.timeutil import to_iso

__all__ = ["day_path", "environment", "http_url", "paper_path"]


def clip(text: object, limit: int) -> str:
    """Text without control or bidi-override characters, cut to limit characters."""
    raw = str(text)
    head = raw[: limit * 2]  # cleaning megabytes to show a few hundred characters is waste
    clean = strip_controls(head).strip()
    if len(clean) <= limit and len(head) == len(raw):
        return clean
    return clean[: limit - 1].rstrip() + "…"


def authors(names: Sequence[str], limit: int = 8) -> str:
    """'A, B and 3 more': the first names of a list that can hold thousands."""
    shown = ", ".join(clip(n, 80) for n in names[:limit])
    more = len(names) - limit
    return f"{shown} and {more} more" if more > 0 else shown


def http_url(url: object) -> str:
    """The URL if it is an absolute http(s) one, else '' (no javascript:, data: or relative)."""
    text = str(url).strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    ok = parts.scheme in ("http", "https") and parts.netloc and len(text) <= 2000
    return text if ok and not any(c.isspace() or ord(c) < 32 for c in text) else ""


def paper_path(arxiv_id: str) -> str:
    """A paper's page, relative to the site root (old-style ids keep their slash)."""
    return f"papers/{quote(arxiv_id, safe='/')}/"


def day_path(day: date, page: int = 1) -> str:
    """A published day's page (or page n of it), relative to the site root."""
    base = f"days/{day.isoformat()}/"
    return base if page <= 1 else f"{base}page/{page}/"


def _iso(moment: date | datetime) -> str:
    """Machine-readable time for <time datetime>."""
    return to_iso(moment) if isinstance(moment, datetime) else moment.isoformat()


def _when(moment: datetime) -> str:
    """'2026-11-26 08:00 UTC'."""
    return f"{to_iso(moment)[:16].replace('T', ' ')} UTC"


def _day(moment: date | datetime) -> str:
    """'2026-11-26'."""
    return moment.date().isoformat() if isinstance(moment, datetime) else moment.isoformat()


def environment() -> Environment:
    """Templates from bot/site/templates, every value escaped unless a template says otherwise."""
    env = Environment(
        loader=PackageLoader("bot.site", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        clip=clip,
        authors=authors,
        http_url=http_url,
        paper_path=paper_path,
        day_path=day_path,
        iso=_iso,
        when=_when,
        day=_day,
        num=lambda n: f"{int(n):,}",
        score=format_score,
        source=lambda s: SOURCE_LABELS.get(s, clip(s, 30)),
    )
    return env
