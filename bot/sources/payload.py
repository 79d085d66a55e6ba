"""Strict readers for untrusted payloads: every surprise becomes a ParseError naming the field."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from bot.ids import ArxivId, parse_arxiv_id
from bot.sources.base import ParseError
from bot.timeutil import parse_time, utc

__all__ = ["Node", "arxiv_id_of", "decode_json", "parse_rfc2822", "parse_xml", "squash", "text_of"]


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
        """The value as a string."""
        if not isinstance(self.value, str):
            raise self.fail(f"expected a string, got {self._kind()}")
        return self.value

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


def decode_json(payload: bytes | str, source: str) -> Node:
    """Decode a JSON payload into a root Node."""
    try:
        return Node(json.loads(payload), "", source)
    except (ValueError, RecursionError) as error:
        raise ParseError(source, f"not valid JSON: {error}") from None


def parse_xml(payload: bytes | str, source: str) -> ET.Element:
    """Parse an XML payload, refusing document types so no entity can expand."""
    data = payload.encode() if isinstance(payload, str) else payload
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ParseError(source, "XML with a document type declaration is refused")
    try:
        return ET.fromstring(data)  # noqa: S314 - DOCTYPE refused above, so no entity expansion
    except ET.ParseError as error:
        raise ParseError(source, f"not well-formed XML: {error}") from None


def text_of(element: ET.Element | None) -> str:
    """An element's text (empty when absent)."""
    return "" if element is None or element.text is None else element.text


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
