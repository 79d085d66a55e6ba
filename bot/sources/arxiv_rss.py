"""The arXiv announcement feed (rss.arxiv.org): what was announced in a listing, by type."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterable
from dataclasses import dataclass, replace
from datetime import date

from bot.models import Paper
from bot.sources.base import NONE_DROPPED, Dropped
from bot.sources.calendar import EASTERN
from bot.sources.errors import ParseError
from bot.sources.payload import RecordStream, arxiv_id_of, parse_rfc2822, squash, text_of

__all__ = ["NEW_TYPES", "Listing", "ListingItem", "feed_url", "parse", "read"]

SOURCE = "arxiv"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_DC = "{http://purl.org/dc/elements/1.1/}"
# Announce types that make a paper new in the listing; replacements are re-announcements.
NEW_TYPES = frozenset({"new", "cross"})


@dataclass(frozen=True, slots=True)
class ListingItem:
    """One announced paper as the feed describes it, and how it was announced."""

    paper: Paper
    announce_type: str  # new, cross, replace or replace-cross


@dataclass(frozen=True, slots=True)
class Listing:
    """A listing: the day it is dated (None if the feed does not say), its items, what was bad."""

    day: date | None
    items: tuple[ListingItem, ...]
    dropped: Dropped = NONE_DROPPED


def feed_url(base: str, categories: tuple[str, ...]) -> str:
    """The feed URL for several categories joined with '+', e.g. .../rss/cs.LG+cs.CL."""
    return base.rstrip("/") + "/" + "+".join(categories)


def _abstract(description: str) -> str:
    """The abstract from 'arXiv:ID Announce Type: new Abstract: ...'."""
    _, marker, rest = description.partition("Abstract:")
    return squash(rest if marker else description)


def _authors(creator: str) -> tuple[str, ...]:
    """Author names from dc:creator, which lists them separated by commas (and a final 'and')."""
    names: list[str] = []
    for part in creator.replace(" and ", ", ").split(","):
        name = squash(part)
        if name:
            names.append(name)
    return tuple(names)


def _item_id(item: ET.Element, where: str) -> tuple[str, int]:
    """The version-less id and version from the guid (oai:arXiv.org:ID vN), else the link."""
    guid = text_of(item.find("guid")).strip()
    candidates = [guid.removeprefix("oai:arXiv.org:"), text_of(item.find("link")).strip()]
    for candidate in candidates:
        parsed = arxiv_id_of(candidate) if candidate else None
        if parsed is not None:
            return parsed.id, parsed.version or 1
    raise ParseError(SOURCE, f"{where}: no arXiv id in guid {guid[:60]!r}")


def _item(item: ET.Element, where: str) -> ListingItem:
    """One feed item as a paper (its listing day set later) and its announce type."""
    arxiv_id, version = _item_id(item, where)
    title = squash(text_of(item.find("title")))
    if not title:
        raise ParseError(SOURCE, f"{where}: no title")
    kind = squash(text_of(item.find(f"{_ARXIV}announce_type"))).lower() or "new"
    categories = tuple(dict.fromkeys(squash(text_of(c)) for c in item.findall("category")))
    paper = Paper(
        arxiv_id=arxiv_id,
        title=title,
        authors=_authors(text_of(item.find(f"{_DC}creator"))),
        abstract=_abstract(text_of(item.find("description"))),
        categories=tuple(c for c in categories if c),
        version=version,
    )
    return ListingItem(paper, kind)


def _channel_day(channel: ET.Element) -> date | None:
    """The listing date from the channel's pubDate, as a US Eastern date."""
    text = text_of(channel.find("pubDate")).strip()
    if not text:
        return None
    return parse_rfc2822(text, SOURCE, "channel.pubDate").astimezone(EASTERN).date()


def _stream() -> RecordStream[ListingItem]:
    """A reader of the feed's items, each parsed as it ends."""
    return RecordStream(SOURCE, "item", _item, lambda root: root.find("channel"))


def _listing(stream: RecordStream[ListingItem], root: ET.Element) -> Listing:
    """The listing, once the whole feed was read: items dated by the channel, once each."""
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise ParseError(SOURCE, f"not an RSS feed (root element {root.tag[:40]!r})")
    day = _channel_day(channel)
    items: dict[str, ListingItem] = {}
    for item in stream.records:
        if item.announce_type in NEW_TYPES:
            item = ListingItem(replace(item.paper, announced=day), item.announce_type)
        items.setdefault(item.paper.arxiv_id, item)
    return Listing(day, tuple(items.values()), stream.dropped)


def parse(payload: bytes | str) -> Listing:
    """Parse a whole RSS 2.0 announcement feed into a listing; a malformed item is dropped."""
    stream = _stream()
    return _listing(stream, stream.parse(payload))


async def read(chunks: AsyncIterable[bytes]) -> Listing:
    """Parse the feed as it arrives, so a large listing never sits in memory whole."""
    stream = _stream()
    return _listing(stream, await stream.read(chunks))
