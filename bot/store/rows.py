"""Model objects to table rows and back."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from bot.entities import Entities, entities_from_json, entities_to_json
from bot.models import Paper, Signal, SocialPost
from bot.timeutil import opt_time, parse_time, to_iso

__all__ = ["birth", "births", "paper_row", "post_row", "row_paper", "row_post", "row_signal"]


def paper_row(paper: Paper, seen_at: datetime) -> dict[str, Any]:
    """Flatten a paper into its table row."""
    announced = paper.announced.isoformat() if paper.announced else None
    published = to_iso(paper.published) if paper.published else None
    return {
        "arxiv_id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "authors": json.dumps(list(paper.authors), ensure_ascii=False),
        "abstract": paper.abstract,
        "categories": json.dumps(list(paper.categories)),
        "primary_category": paper.primary_category,
        "published": published,
        "updated": to_iso(paper.updated) if paper.updated else None,
        "comment": paper.comment,
        "announced": announced,
        "day": announced or (published[:10] if published else None),
        "first_seen": to_iso(seen_at),
    }


def row_paper(row: dict[str, Any]) -> Paper:
    """Rebuild a paper from its table row."""
    return Paper(
        arxiv_id=row["arxiv_id"],
        version=row["version"],
        title=row["title"],
        authors=tuple(json.loads(row["authors"])),
        abstract=row["abstract"],
        categories=tuple(json.loads(row["categories"])),
        published=opt_time(row["published"]),
        updated=opt_time(row["updated"]),
        comment=row["comment"],
        announced=date.fromisoformat(row["announced"]) if row["announced"] else None,
    )


def post_row(post: SocialPost) -> dict[str, Any]:
    """Flatten a post observation into its row."""
    return {
        "source": post.source,
        "post_id": post.post_id,
        "url": post.url,
        "author": post.author,
        "author_name": post.author_name,
        "text": post.text,
        "lang": post.lang,
        "created_at": to_iso(post.created_at) if post.created_at else None,
        "reposts": post.reposts,
        "likes": post.likes,
        "replies": post.replies,
        "quotes": post.quotes,
        "observed_at": to_iso(post.observed_at),
        "entities": _entities_json(post.entities),
    }


def _entities_json(entities: Entities) -> str:
    """A post's entities as stored: X API v2 JSON, or '' when it has none."""
    return json.dumps(entities_to_json(entities), ensure_ascii=False) if entities else ""


def row_post(row: dict[str, Any], arxiv_ids: tuple[str, ...]) -> SocialPost:
    """Rebuild a post from a posts row."""
    return SocialPost(
        source=row["source"],
        post_id=row["post_id"],
        url=row["url"],
        arxiv_ids=arxiv_ids,
        observed_at=parse_time(row["observed_at"]),
        author=row["author"],
        author_name=row["author_name"],
        text=row["text"],
        lang=row["lang"],
        created_at=opt_time(row["created_at"]),
        reposts=row["reposts"],
        likes=row["likes"],
        replies=row["replies"],
        quotes=row["quotes"],
        entities=entities_from_json(json.loads(row["entities"])) if row["entities"] else Entities(),
    )


def row_signal(row: dict[str, Any]) -> Signal:
    """Rebuild a signal from a signals row."""
    return Signal(
        source=row["source"],
        arxiv_id=row["arxiv_id"],
        metric=row["metric"],
        value=row["value"],
        observed_at=parse_time(row["observed_at"]),
        url=row["url"],
    )


def birth(announced: str | None, published: str | None) -> datetime | None:
    """A paper's birth: midnight UTC of its announcement day, else its first version's time."""
    if announced:
        return parse_time(announced)
    return parse_time(published) if published else None


def births(rows: Iterable[tuple[str, str | None, str | None]]) -> dict[str, datetime | None]:
    """Each (arxiv_id, announced, published) row's birth (see birth), by paper.

    A window's papers share a few announcement days: each distinct text is parsed once.
    """
    parsed: dict[str | None, datetime | None] = {}
    found: dict[str, datetime | None] = {}
    for arxiv_id, announced, published in rows:
        text = announced or published  # what birth() reads
        if text not in parsed:
            parsed[text] = birth(announced, published)
        found[arxiv_id] = parsed[text]
    return found
