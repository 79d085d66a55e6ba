"""X post entities (links, mentions, hashtags, cashtags) in the shape X API v2 returns them.

Offsets are code points into the post's text, as X counts them. X's offsets are not always
right (HTML escaping, edits, emoji), so `locate` re-anchors each entity on the text itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "Entities",
    "Entity",
    "entities_from_json",
    "entities_to_json",
    "locate",
    "unescape_x_text",
]

KINDS = ("urls", "mentions", "hashtags", "cashtags")
# Where each kind's anchor starts in the text; X accepts the full-width signs too.
_MARKERS = {"mentions": "@＠", "hashtags": "#＃", "cashtags": "$"}


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity: its kind, span, and what it points at.

    urls use url / expanded_url / display_url; mentions use value for the username;
    hashtags and cashtags use value for the tag without its sign.
    """

    kind: str
    start: int
    end: int
    value: str = ""
    url: str = ""
    expanded_url: str = ""
    display_url: str = ""

    @property
    def token(self) -> str:
        """The text the entity covers, as X wrote it (up to case and the sign's width)."""
        return self.url if self.kind == "urls" else self.value


@dataclass(frozen=True, slots=True)
class Entities:
    """A post's entities; empty when the source has none."""

    items: tuple[Entity, ...] = ()

    def __bool__(self) -> bool:
        """True when there is at least one entity."""
        return bool(self.items)


def _int(value: Any) -> int | None:
    """A non-negative integer offset, or None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _str(entry: Mapping[str, Any], key: str) -> str:
    """A string field, or '' when absent or of another type."""
    value = entry.get(key)
    return value if isinstance(value, str) else ""


def _entity(kind: str, entry: Any) -> Entity | None:
    """One X API v2 entity object, or None when it lacks what rendering needs."""
    if not isinstance(entry, Mapping):
        return None
    start, end = _int(entry.get("start")), _int(entry.get("end"))
    if start is None or end is None or end < start:
        return None
    if kind == "urls":
        url = _str(entry, "url")
        if not url:
            return None
        expanded, display = _str(entry, "expanded_url"), _str(entry, "display_url")
        return Entity(kind, start, end, url=url, expanded_url=expanded, display_url=display)
    value = _str(entry, "username" if kind == "mentions" else "tag")
    return Entity(kind, start, end, value=value) if value else None


def entities_from_json(raw: Any) -> Entities:
    """Entities from an X API v2 `entities` object; malformed entries are left out."""
    if not isinstance(raw, Mapping):
        return Entities()
    found: list[Entity] = []
    for kind in KINDS:
        entries = raw.get(kind)
        for entry in entries if isinstance(entries, list) else ():
            entity = _entity(kind, entry)
            if entity is not None:
                found.append(entity)
    return Entities(tuple(sorted(found, key=lambda e: (e.start, e.end))))


def entities_to_json(entities: Entities) -> dict[str, list[dict[str, Any]]]:
    """The X API v2 `entities` object for these entities (kinds with none are left out)."""
    document: dict[str, list[dict[str, Any]]] = {}
    for e in entities.items:
        entry: dict[str, Any] = {"start": e.start, "end": e.end}
        if e.kind == "urls":
            entry |= {"url": e.url, "expanded_url": e.expanded_url, "display_url": e.display_url}
        else:
            entry["username" if e.kind == "mentions" else "tag"] = e.value
        document.setdefault(e.kind, []).append(entry)
    return document


def _covers(text: str, entity: Entity, start: int) -> int | None:
    """The end of entity's anchor if it starts at start in text, else None."""
    token = entity.token
    if entity.kind == "urls":
        return start + len(token) if text.startswith(token, start) else None
    if start >= len(text) or text[start] not in _MARKERS[entity.kind]:
        return None
    end = start + 1 + len(token)
    return end if text[start + 1 : end].casefold() == token.casefold() else None


def _whole(text: str, end: int) -> bool:
    """Whether a mention or tag found by search ends where a word ends (@ab is not in @abc)."""
    return end >= len(text) or not (text[end].isalnum() or text[end] == "_")


def _occurrences(text: str, entity: Entity) -> list[tuple[int, int]]:
    """Every span of text where entity's anchor could be."""
    if entity.kind == "urls":
        spans, at = [], text.find(entity.url)
        while at != -1:
            spans.append((at, at + len(entity.url)))
            at = text.find(entity.url, at + 1)
        return spans
    found = []
    for start, char in enumerate(text):
        end = _covers(text, entity, start) if char in _MARKERS[entity.kind] else None
        if end is not None and _whole(text, end):
            found.append((start, end))
    return found


def locate(text: str, entities: Entities | Iterable[Entity]) -> Entities:
    """The entities anchored on text: where their offsets say if the text is there, else at
    the free occurrence nearest their offsets. One whose text is absent is dropped; spans
    never overlap.
    """
    items = entities.items if isinstance(entities, Entities) else tuple(entities)
    placed: list[Entity] = []
    for entity in sorted(items, key=lambda e: (e.start, e.end)):
        exact = _covers(text, entity, entity.start) == entity.end
        spans = [(entity.start, entity.end)] if exact else _occurrences(text, entity)
        free = [
            (start, end)
            for start, end in spans
            if all(end <= p.start or start >= p.end for p in placed)
        ]
        if free:
            start, end = min(free, key=lambda span: (abs(span[0] - entity.start), span[0]))
            placed.append(replace(entity, start=start, end=end))
    return Entities(tuple(sorted(placed, key=lambda e: e.start)))


def unescape_x_text(text: str) -> str:
    """X escapes &, < and > in post text as HTML entities; give the characters back."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
