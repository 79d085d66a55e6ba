"""The digest as JSON, for scripts and other tools."""

from __future__ import annotations

import json
from typing import Any

from bot.models import Digest, RankedPaper, SocialPost
from bot.timeutil import to_iso

__all__ = ["render_json"]


def _post(post: SocialPost) -> dict[str, Any]:
    """A shown post."""
    return {
        "source": post.source,
        "id": post.post_id,
        "url": post.url,
        "author": post.author,
        "author_name": post.author_name,
        "text": post.text,
        "created_at": to_iso(post.created_at) if post.created_at else None,
        "reposts": post.reposts,
        "likes": post.likes,
        "replies": post.replies,
        "quotes": post.quotes,
    }


def _paper(item: RankedPaper) -> dict[str, Any]:
    """A ranked paper with its breakdown."""
    paper = item.paper
    return {
        "rank": item.rank,
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "authors": list(paper.authors),
        "categories": list(paper.categories),
        "score": item.score,
        "breakdown": item.breakdown,
        "explanation": item.explanation,
        "abs_url": paper.abs_url,
        "pdf_url": paper.pdf_url,
        "links": item.links,
        "reposts": item.reposts,
        "likes": item.likes,
        "posts": [_post(p) for p in item.posts],
    }


def render_json(digest: Digest) -> str:
    """The documented JSON shape: {"date", "ranking", "papers": [...]}, ending with a newline."""
    document = {
        "date": digest.day.isoformat(),
        "ranking": digest.ranking,
        "generated_at": to_iso(digest.generated_at),
        "sources": list(digest.sources),
        "missing_sources": list(digest.missing_sources),
        "papers": [_paper(p) for p in digest.papers],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
