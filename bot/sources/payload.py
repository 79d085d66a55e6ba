"""Strict readers for untrusted payloads: every surprise becomes a ParseError naming the field."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Generic, TypeVar
from xml.parsers import expat

from bot.ids import ArxivId, parse_arxiv_id
from bot.sources.base import Dropped
from bot.sources.errors import ParseError
from bot.timeutil import parse_time, utc
from bot.untrusted import clean_text, is_web_url

__all__ = [
    "Node",
    "RecordStream",
    "XmlStream",
    "arxiv_id_of",
    "attr_of",
    "decode_json",
    "keep_good",
    "parse_rfc2822",
    "parse_xml",
    "squash",
    "text_of",
]

T = TypeVar("T")
N = TypeVar("N")


def keep_good(records: Iterable[N], parse: Callable[[N], T | None]) -> tuple[list[T], Dropped]:
    """parse() of every record; a malformed one is dropped and counted, the others kept.

    parse() returns None for a record that is fine but of no interest (a post linking no paper).
    """
    kept: list[T] = []
    dropped = Dropped()
    for record in records:
        try:
            value = parse(record)
        except ParseError as error:
            dropped += Dropped(1, (error.reason,))
            continue
        if value is not None:
            kept.append(value)
    return kept, dropped


@dataclass(frozen=True, slots=True)
class Node:
    """A value inside decoded JSON, with the path that leads to it for error messages."""

    value: object
    path: str
    source: str

    def fail(self, problem: str) -> ParseError:
        """A ParseError about this node."""
        return ParseError(self.source, f"{self.path or 'payload'}: {problem}")

    def _kind(self) -> str:
        """The JSON type name of the value."""
        names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
        if self.value is None:
            return "null"
        return names.get(type(self.value), "a number")

    def _mapping(self) -> dict[str, object]:
        """The value as an object, or a ParseError."""
        if not isinstance(self.value, dict):
            raise self.fail(f"expected an object, got {self._kind()}")
        return self.value

    def child(self, key: str) -> Node:
        """The value under key (null when absent) as a Node."""
        path = f"{self.path}.{key}" if self.path else key
        return Node(self._mapping().get(key), path, self.source)

    def __getitem__(self, key: str) -> Node:
        """The value under key, which must be present and not null."""
        node = self.child(key)
        if node.value is None:
            raise node.fail("missing")
        return node

    def get(self, key: str) -> Node | None:
        """The value under key, or None when absent or null."""
        node = self.child(key)
        return None if node.value is None else node

    def has(self, key: str) -> bool:
        """True when key is present and not null."""
        return self.get(key) is not None

    def items(self) -> Iterator[Node]:
        """The elements of an array."""
        if not isinstance(self.value, list):
            raise self.fail(f"expected an array, got {self._kind()}")
        for index, value in enumerate(self.value):
            yield Node(value, f"{self.path}[{index}]", self.source)

    def string(self) -> str:
        """The value as a string (cleaned when the payload was decoded)."""
        if not isinstance(self.value, str):
            raise self.fail(f"expected a string, got {self._kind()}")
        return self.value

    def web_url(self) -> str:
        """The value as an http(s) URL: we store no other kind of link."""
        text = self.string()
        if not is_web_url(text):
            raise self.fail(f"not an http(s) URL: {text[:60]!r}")
        return text

    def number(self) -> int:
        """The value as a whole number (JSON booleans are not numbers here)."""
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise self.fail(f"expected a number, got {self._kind()}")
        if isinstance(self.value, float) and not self.value.is_integer():
            raise self.fail(f"expected a whole number, got {self.value}")
        return int(self.value)

    def time(self) -> datetime:
        """The value as an ISO 8601 time, in UTC."""
        text = self.string()
        try:
            return parse_time(text)
        except (ValueError, OverflowError):
            raise self.fail(f"not an ISO 8601 time: {text[:40]!r}") from None

    def epoch(self) -> datetime:
        """The value as Unix seconds (whole or not, as Reddit sends them), in UTC."""
        seconds = self.value
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise self.fail(f"expected a number, got {self._kind()}")
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (ValueError, OverflowError, OSError):
            raise self.fail(f"not a time: {seconds}") from None

    def opt_str(self, key: str, default: str = "") -> str:
        """The string under key, or default when absent or null."""
        node = self.get(key)
        return default if node is None else node.string()

    def opt_int(self, key: str, default: int | None = 0) -> int | None:
        """The number under key, or default when absent or null."""
        node = self.get(key)
        return default if node is None else node.number()

    def count(self, key: str) -> int:
        """A non-negative count under key; absent or null counts as 0."""
        node = self.get(key)
        value = 0 if node is None else node.number()
        if value < 0:
            raise self.child(key).fail(f"a count cannot be negative, got {value}")
        return value


def _cleaned(value: object) -> object:
    """Every string of decoded JSON, keys too, with surrogates replaced and controls dropped."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_cleaned(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(key): _cleaned(item) for key, item in value.items()}
    return value


def decode_json(payload: bytes | str, source: str) -> Node:
    """Decode a JSON payload into a root Node; its text is cleaned here, once, for all uses."""
    try:
        return Node(_cleaned(json.loads(payload)), "", source)
    except (ValueError, RecursionError) as error:
        raise ParseError(source, f"not valid JSON: {error}") from None


class _RootSeenError(Exception):
    """The root element started: no document type can follow."""


class _DoctypeGuard:
    """A bare expat parser that sees the prolog first and refuses any document type.

    expat decodes UTF-16 and declared encodings itself, so the check holds whatever the bytes
    look like; it stops at the root element, as no document type may come after it.
    """

    def __init__(self, source: str) -> None:
        """A fresh guard for one document."""
        self.source = source
        self.done = False
        self._parser = expat.ParserCreate()
        self._parser.StartDoctypeDeclHandler = self._refuse
        self._parser.EntityDeclHandler = self._refuse
        self._parser.StartElementHandler = self._root

    def _refuse(self, *args: object) -> None:
        raise ParseError(self.source, "XML with a document type declaration is refused")

    def _root(self, *args: object) -> None:
        raise _RootSeenError

    def feed(self, data: bytes, final: bool = False) -> None:
        """Check the next bytes of the document."""
        if self.done:
            return
        try:
            self._parser.Parse(data, final)
        except _RootSeenError:
            self.done = True
        except expat.ExpatError as error:
            raise ParseError(self.source, f"not well-formed XML: {error}") from None


class XmlStream:
    """Parses XML as it arrives, yielding elements as they end; document types are refused."""

    def __init__(self, source: str) -> None:
        """A parser for one document of `source`."""
        self.source = source
        self._guard = _DoctypeGuard(source)
        self._parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
        self.root: ET.Element | None = None

    def _events(self) -> Iterator[ET.Element]:
        """Elements that ended since the last call (the root is kept when it starts)."""
        try:
            for item in self._parser.read_events():
                event, element = item  # type: ignore[misc]  # typeshed: start/end give pairs
                if not isinstance(element, ET.Element):
                    continue  # only start and end events were asked for: always elements
                if event == "start":
                    if self.root is None:
                        self.root = element
                else:
                    yield element
        except ET.ParseError as error:
            raise ParseError(self.source, f"not well-formed XML: {error}") from None

    def feed(self, data: bytes) -> Iterator[ET.Element]:
        """Feed bytes; the elements that ended in them."""
        self._guard.feed(data)
        self._parser.feed(data)
        return self._events()

    def close(self) -> Iterator[ET.Element]:
        """The end of the document; the elements that ended with it."""
        self._guard.feed(b"", final=True)
        try:
            self._parser.close()
        except ET.ParseError as error:
            raise ParseError(self.source, f"not well-formed XML: {error}") from None
        return self._events()

    def document(self) -> ET.Element:
        """The root element, once the document was read (close() raised if it had none)."""
        if self.root is None:  # pragma: no cover - close() raises on a document without one
            raise ParseError(self.source, "not well-formed XML: no element found")
        return self.root


def parse_xml(payload: bytes | str, source: str) -> ET.Element:
    """Parse a whole XML payload, refusing document types so no entity can expand."""
    data = payload.encode() if isinstance(payload, str) else payload
    stream = XmlStream(source)
    for _ in stream.feed(data):
        pass
    for _ in stream.close():
        pass
    return stream.document()


class RecordStream(Generic[T]):
    """The records of an XML document (its elements named `tag`), parsed as each one ends.

    A malformed record is dropped and counted; every record is then let go of, so memory holds
    what was parsed, never the document.
    """

    def __init__(
        self,
        source: str,
        tag: str,
        parse: Callable[[ET.Element, str], T | None],
        container: Callable[[ET.Element], ET.Element | None],
    ) -> None:
        """parse(element, where) reads one record; container(root) finds the records' parent."""
        self.xml = XmlStream(source)
        self._tag = tag
        self._parse = parse
        self._container = container
        self.records: list[T] = []
        self.dropped = Dropped()
        self._seen = 0

    def _take(self, elements: Iterable[ET.Element]) -> None:
        """Parse the records that ended, then drop them from the tree."""
        for element in elements:
            if element.tag != self._tag:
                continue
            where = f"{self._tag.rpartition('}')[2]}[{self._seen}]"
            self._seen += 1
            try:
                record = self._parse(element, where)
            except ParseError as error:
                self.dropped += Dropped(1, (error.reason,))
                record = None
            else:
                if record is not None:
                    self.records.append(record)
            parent = self._container(self.xml.root) if self.xml.root is not None else None
            if parent is not None and any(child is element for child in parent):
                parent.remove(element)

    def parse(self, payload: bytes | str) -> ET.Element:
        """Read a whole document; its root."""
        self._take(self.xml.feed(payload.encode() if isinstance(payload, str) else payload))
        self._take(self.xml.close())
        return self.xml.document()

    async def read(self, chunks: AsyncIterable[bytes]) -> ET.Element:
        """Read a document as it streams in; its root."""
        async for chunk in chunks:
            self._take(self.xml.feed(chunk))
        self._take(self.xml.close())
        return self.xml.document()


def text_of(element: ET.Element | None) -> str:
    """An element's text (empty when absent), with control characters dropped."""
    return "" if element is None or element.text is None else clean_text(element.text)


def attr_of(element: ET.Element, name: str) -> str:
    """An attribute's value (empty when absent), with control characters dropped."""
    return clean_text(element.get(name, ""))


def squash(text: str) -> str:
    """Collapse runs of whitespace (feeds wrap titles and abstracts) into single spaces."""
    return " ".join(text.split())


def parse_rfc2822(text: str, source: str, where: str) -> datetime:
    """Parse an RSS/e-mail style date such as 'Mon, 05 Feb 2024 00:00:00 -0500' into UTC."""
    try:
        return utc(parsedate_to_datetime(text.strip()))
    except (TypeError, ValueError, IndexError, OverflowError):
        raise ParseError(source, f"{where}: not a date: {text[:40]!r}") from None


def arxiv_id_of(text: str) -> ArxivId | None:
    """The arXiv id in text or a URL, or None (malformed URLs included, which urlsplit rejects)."""
    try:
        return parse_arxiv_id(text)
    except ValueError:  # InvalidArxivIdError, and urlsplit's "Invalid IPv6 URL"
        return None
