"""The Atom feed of the daily digests (RFC 4287): one entry per published day. Pure.

Built with ElementTree, so whatever a title or digest holds, the XML stays well formed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from xml.etree import ElementTree as ET

from bot.timeutil import to_iso

__all__ = ["ATOM", "FeedEntry", "entry_id", "render_atom"]

ATOM = "http://www.w3.org/2005/Atom"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
# Characters XML 1.0 cannot carry at all (controls, lone surrogates): a feed holding one is
# rejected whole by strict readers, so they are dropped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class FeedEntry:
    """One day's digest in the feed."""

    day: date
    title: str
    link: str  # the day's page: absolute, or relative to the feed
    published: datetime  # when the day was first posted; its digest never changes after
    summary: str
    html: str  # the digest as HTML, carried escaped in <content type="html">


def entry_id(seed: str, path: str) -> str:
    """A stable, globally unique id for a page: a name-based UUID of the site and the path.

    seed is the configured base URL, or a fixed name when none is set, so ids never depend on
    the Host a request came with.
    """
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed + path)}"


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    """Append <tag attrs>text</tag>."""
    element = ET.SubElement(parent, tag, attrs)
    element.text = _NOT_XML.sub("", text)
    return element


def render_atom(
    *,
    title: str,
    seed: str,
    base_url: str,
    entries: Sequence[FeedEntry],
    generated_at: datetime,
) -> bytes:
    """The feed document as UTF-8 XML.

    base_url (when set) becomes xml:base, so relative links resolve against the public site;
    without it they resolve against wherever the feed was fetched from. The feed's updated
    time is its newest entry's, so an unchanged feed is byte-for-byte the same.
    """
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    if base_url:
        feed.set(_XML_BASE, base_url)
    updated = max((e.published for e in entries), default=generated_at)
    _text(feed, f"{{{ATOM}}}id", entry_id(seed, "feed.atom"))
    _text(feed, f"{{{ATOM}}}title", title)
    _text(feed, f"{{{ATOM}}}subtitle", "The arXiv papers people are talking about, daily.")
    _text(feed, f"{{{ATOM}}}updated", to_iso(updated))
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, f"{{{ATOM}}}name", title)
    _text(feed, f"{{{ATOM}}}generator", "hotpapers")
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": "feed.atom",
                                             "type": "application/atom+xml"})  # fmt: skip
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "href": "./",
                                             "type": "text/html"})  # fmt: skip
    for item in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, f"{{{ATOM}}}id", entry_id(seed, f"days/{item.day.isoformat()}/"))
        _text(entry, f"{{{ATOM}}}title", item.title)
        _text(entry, f"{{{ATOM}}}published", to_iso(item.published))
        _text(entry, f"{{{ATOM}}}updated", to_iso(item.published))
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": item.link,
                                                  "type": "text/html"})  # fmt: skip
        _text(entry, f"{{{ATOM}}}summary", item.summary)
        _text(entry, f"{{{ATOM}}}content", item.html, type="html")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body + b"\n"
