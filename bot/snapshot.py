"""Snapshot files: the store's papers, post observations and signals as one JSON document."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from bot.entities import Entities, entities_from_json, entities_to_json, locate
from bot.errors import UsageError
from bot.ids import InvalidArxivIdError, normalize_arxiv_id
from bot.models import Paper, Signal, SocialPost
from bot.timeutil import to_iso, utc
from bot.untrusted import clean_text, is_web_url

__all__ = ["FORMAT_VERSION", "Snapshot", "SnapshotError", "dump_snapshot", "load_snapshot"]

NonNegative = Annotated[StrictInt, Field(ge=0)]


FORMAT_VERSION = 1  # the document's "version"; files without one are read as version 1


class SnapshotError(UsageError):
    """The snapshot file cannot be used; the message names the entry and field."""


def _arxiv_id(value: str) -> str:
    """Normalise an arXiv id, with a message pydantic reports against the field."""
    try:
        return normalize_arxiv_id(value)
    except InvalidArxivIdError as error:
        raise ValueError(str(error)) from None


def _web_url(value: str) -> str:
    """An http(s) URL ('' for none is the caller's choice), with a message naming the value."""
    if not is_web_url(value):
        raise ValueError(f"{value[:60]!r} is not an http(s) URL")
    return value


class _Entry(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _utc_times(cls, value: Any) -> Any:
        """Every time is kept in UTC (naive times are taken to be UTC); text is cleaned."""
        if isinstance(value, str):
            return clean_text(value)  # a lone surrogate would fail the store, not this entry
        if isinstance(value, list):
            return [clean_text(v) if isinstance(v, str) else v for v in value]
        return utc(value) if isinstance(value, datetime) else value


class PaperEntry(_Entry):
    arxiv_id: StrictStr
    version: Annotated[StrictInt, Field(ge=1)] = 1
    title: StrictStr
    authors: list[StrictStr] = []
    abstract: StrictStr = ""
    categories: list[StrictStr] = []
    published: datetime | None = None
    updated: datetime | None = None
    pdf_url: StrictStr | None = None
    comment: StrictStr | None = ""
    announced: date | None = None

    _id = field_validator("arxiv_id")(_arxiv_id)


class _Span(_Entry):
    start: NonNegative
    end: NonNegative


class UrlEntity(_Span):
    url: StrictStr
    expanded_url: StrictStr = ""
    display_url: StrictStr = ""


class MentionEntity(_Span):
    username: StrictStr


class TagEntity(_Span):
    tag: StrictStr


class EntitiesEntry(_Entry):
    """A post's entities as X API v2 returns them (other fields X sends are ignored)."""

    urls: list[UrlEntity] = []
    mentions: list[MentionEntity] = []
    hashtags: list[TagEntity] = []
    cashtags: list[TagEntity] = []


class PostEntry(_Entry):
    source: StrictStr
    id: StrictStr
    url: StrictStr
    author: StrictStr = ""
    author_name: StrictStr = ""
    text: StrictStr = ""
    created_at: datetime | None = None
    reposts: NonNegative = 0
    likes: NonNegative = 0
    replies: NonNegative | None = None
    quotes: NonNegative | None = None
    arxiv_ids: list[StrictStr]
    observed_at: datetime
    lang: StrictStr = "en"
    entities: EntitiesEntry | None = None

    _url = field_validator("url")(_web_url)

    @field_validator("arxiv_ids")
    @classmethod
    def _ids(cls, values: list[str]) -> list[str]:
        """Normalise every linked id."""
        return [_arxiv_id(v) for v in values]


class SignalEntry(_Entry):
    source: StrictStr
    arxiv_id: StrictStr
    metric: StrictStr
    value: float
    observed_at: datetime
    url: StrictStr = ""

    _id = field_validator("arxiv_id")(_arxiv_id)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        """An http(s) URL, or '' when the signal links nowhere."""
        return value and _web_url(value)


class _Document(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: Literal[1] = 1  # FORMAT_VERSION
    papers: list[PaperEntry] = []
    posts: list[PostEntry] = []
    signals: list[SignalEntry] = []


@dataclass(frozen=True)
class Snapshot:
    """Validated snapshot contents as model objects."""

    papers: list[Paper]
    posts: list[SocialPost]
    signals: list[Signal]


def _where(error: ValidationError, raw: Any) -> str:
    """'posts[3] (id 1408…).reposts: Input should be a valid integer' for the first error."""
    first = error.errors()[0]
    loc = list(first["loc"])
    text = ""
    if len(loc) >= 2 and isinstance(loc[1], int):
        section, index = loc[0], loc[1]
        text = f"{section}[{index}]"
        entry = raw.get(section, [None] * (index + 1))[index] if isinstance(raw, dict) else None
        key = "id" if section == "posts" else "arxiv_id"
        if isinstance(entry, dict) and key in entry:
            text += f" ({key} {entry[key]!r})"
        loc = loc[2:]
    else:
        text = str(loc.pop(0)) if loc else "(document)"
    rest = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
    return f"{text}{rest}: {str(first['msg']).removeprefix('Value error, ')}"


def _entities(post: PostEntry) -> Entities:
    """The post's entities anchored on its text as loaded.

    Cleaning drops control characters, which moves every offset after them; an entity is kept
    where its offsets still cover its text, else moved to the nearest place that does, else
    dropped: a loaded post never points at the wrong characters.
    """
    if post.entities is None:
        return Entities()
    return locate(post.text, entities_from_json(post.entities.model_dump()))


def _to_models(doc: _Document) -> Snapshot:
    """Convert validated entries into the shared model objects."""
    papers = [
        Paper(
            arxiv_id=p.arxiv_id,
            title=p.title,
            authors=tuple(p.authors),
            abstract=p.abstract,
            categories=tuple(p.categories),
            version=p.version,
            published=p.published,
            updated=p.updated,
            comment=p.comment or "",
            announced=p.announced,
        )
        for p in doc.papers
    ]
    posts = [
        SocialPost(
            source=p.source,
            post_id=p.id,
            url=p.url,
            arxiv_ids=tuple(p.arxiv_ids),
            observed_at=p.observed_at,
            author=p.author,
            author_name=p.author_name,
            text=p.text,
            created_at=p.created_at,
            reposts=p.reposts,
            likes=p.likes,
            replies=p.replies,
            quotes=p.quotes,
            lang=p.lang,
            entities=_entities(p),
        )
        for p in doc.posts
    ]
    signals = [
        Signal(s.source, s.arxiv_id, s.metric, s.value, s.observed_at, s.url) for s in doc.signals
    ]
    return Snapshot(papers, posts, signals)


def _read(path: Path, stdin: BinaryIO | None) -> bytes:
    """The file's bytes ('-' is standard input)."""
    try:
        if str(path) == "-":
            return (stdin or sys.stdin.buffer).read()
        if path.is_char_device() or path.is_block_device():  # /dev/zero would never end
            raise SnapshotError(f"{path}: is a device, not a snapshot file")
        return path.read_bytes()
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SnapshotError(f"{path}: is a folder, not a snapshot file") from None
    except OSError as error:
        raise SnapshotError(f"{path}: cannot read it ({error.strerror or error})") from None


def load_snapshot(path: Path, *, stdin: BinaryIO | None = None) -> Snapshot:
    """Read and validate a snapshot file ('-': stdin); SnapshotError naming the entry and field."""
    data = _read(path, stdin)
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise SnapshotError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise SnapshotError(f"{path}: not valid JSON: {error}") from None
    except RecursionError:
        raise SnapshotError(f"{path}: not valid JSON: nested too deeply") from None
    if not isinstance(raw, dict):
        raise SnapshotError(f"{path}: expected an object with papers, posts and signals")
    if raw.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        raise SnapshotError(
            f"{path}: snapshot format version {json.dumps(raw['version'])[:20]} is not one this"
            f" hotpapers reads ({FORMAT_VERSION}); export it again, or upgrade hotpapers"
        )
    try:
        doc = _Document.model_validate(raw)
    except ValidationError as error:
        raise SnapshotError(f"{path}: {_where(error, raw)}") from None
    return _to_models(doc)


def _opt(moment: datetime | None) -> str | None:
    """Optional ISO time."""
    return to_iso(moment) if moment else None


def dump_snapshot(
    papers: Iterable[Paper], posts: Iterable[SocialPost], signals: Iterable[Signal]
) -> str:
    """The snapshot JSON document for these objects (posts: one entry per observation)."""
    document = {
        "version": FORMAT_VERSION,
        "papers": [
            {
                "arxiv_id": p.arxiv_id,
                "version": p.version,
                "title": p.title,
                "authors": list(p.authors),
                "abstract": p.abstract,
                "categories": list(p.categories),
                "published": _opt(p.published),
                "updated": _opt(p.updated),
                "pdf_url": p.pdf_url,
                "comment": p.comment,
                "announced": p.announced.isoformat() if p.announced else None,
            }
            for p in papers
        ],
        "posts": [
            {
                "source": p.source,
                "id": p.post_id,
                "url": p.url,
                "author": p.author,
                "author_name": p.author_name,
                "text": p.text,
                "created_at": _opt(p.created_at),
                "reposts": p.reposts,
                "likes": p.likes,
                "replies": p.replies,
                "quotes": p.quotes,
                "arxiv_ids": list(p.arxiv_ids),
                "observed_at": to_iso(p.observed_at),
                "lang": p.lang,
            }
            | ({"entities": entities_to_json(p.entities)} if p.entities else {})
            for p in posts
        ],
        "signals": [
            {
                "source": s.source,
                "arxiv_id": s.arxiv_id,
                "metric": s.metric,
                "value": s.value,
                "observed_at": to_iso(s.observed_at),
                "url": s.url,
            }
            for s in signals
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"
