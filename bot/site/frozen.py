"""A digest as neutral JSON and back: what the site shows of a day, whatever it was posted as.

The delivery ledger freezes each platform's payload (embeds, blocks, Markdown); this is the
renderer-independent copy, so a day's page can show that day's digest exactly, never re-ranked.
"""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from bot.entities import Entities, entities_from_json, entities_to_json
from bot.models import Digest, Paper, RankedPaper, SocialPost, Surge
from bot.timeutil import opt_time, parse_time, to_iso

__all__ = ["FORMAT_VERSION", "dump_digest", "load_digest"]

FORMAT_VERSION = 1


def _plain(value: Any) -> Any:
    """Model objects as JSON values: times as ISO text, tuples as lists, dataclasses as dicts."""
    if isinstance(value, Entities):
        return entities_to_json(value)  # X API v2's own shape, as snapshots carry it
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def dump_digest(digest: Digest) -> str:
    """The digest as compact JSON, every field kept (fields added later travel too)."""
    document = {"version": FORMAT_VERSION, **_plain(digest)}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


@cache
def _names(cls: type) -> frozenset[str]:
    """The field names of a model class."""
    return frozenset(f.name for f in fields(cls))


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The entries of data that are fields of cls: a newer writer's extra fields are ignored."""
    names = _names(cls)
    return {k: v for k, v in data.items() if k in names}


def _paper(data: dict[str, Any]) -> Paper:
    """A paper from its JSON object."""
    values = _known(Paper, data)
    values.update(
        authors=tuple(data.get("authors", ())),
        categories=tuple(data.get("categories", ())),
        published=opt_time(data.get("published")),
        updated=opt_time(data.get("updated")),
        announced=date.fromisoformat(data["announced"]) if data.get("announced") else None,
    )
    return Paper(**values)


def _post(data: dict[str, Any]) -> SocialPost:
    """A post from its JSON object."""
    values = _known(SocialPost, data)
    values.update(
        arxiv_ids=tuple(data.get("arxiv_ids", ())),
        observed_at=parse_time(data["observed_at"]),
        created_at=opt_time(data.get("created_at")),
        entities=entities_from_json(data.get("entities")),
    )
    return SocialPost(**values)


def _ranked(data: dict[str, Any]) -> RankedPaper:
    """A ranked paper from its JSON object."""
    values = _known(RankedPaper, data)
    values.update(
        paper=_paper(data["paper"]),
        posts=tuple(_post(p) for p in data.get("posts", ())),
        as_of=opt_time(data.get("as_of")),
        surge=_surge(data["surge"]) if data.get("surge") else None,
    )
    return RankedPaper(**values)


def _surge(data: dict[str, Any]) -> Surge:
    """Why a paper was trending again, from its JSON object."""
    return Surge(
        born=opt_time(data.get("born")),
        started=parse_time(data["started"]),
        gain=float(data["gain"]),
        window_hours=float(data["window_hours"]),
    )


def load_digest(text: str) -> Digest:
    """The digest dump_digest wrote; ValueError if the text is not one."""
    try:
        data = json.loads(text)
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unknown frozen digest version {data.get('version')!r}")
        values = _known(Digest, data)
        values.update(
            day=date.fromisoformat(data["day"]),
            generated_at=parse_time(data["generated_at"]),
            papers=tuple(_ranked(p) for p in data["papers"]),
            sources=tuple(data.get("sources", ())),
            missing_sources=tuple(data.get("missing_sources", ())),
            started_at=opt_time(data.get("started_at")),
        )
        return Digest(**values)
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
        raise ValueError(f"not a frozen digest: {error}") from error
