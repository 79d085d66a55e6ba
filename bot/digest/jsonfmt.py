"""The digest as JSON, for scripts and other tools."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.digest.escape import web_url
from bot.models import Digest, RankedPaper, SocialPost, Surge
from bot.timeutil import to_iso

__all__ = ["render_json"]

# Written as \uXXXX escapes (the data is unchanged): markup characters, so the document can
# sit inside an HTML <script> block, and characters a terminal or an editor would act on.
_UNSAFE = re.compile("[<>&\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _web(url: str) -> str | None:
    """The URL when it is an http(s) address, else None: no other scheme is passed on."""
    return url if web_url(url) else None


def _post(post: SocialPost) -> dict[str, Any]:
    """A shown post."""
    return {
        "source": post.source,
        "id": post.post_id,
        "url": _web(post.url),
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
        "links": {label: url for label, url in item.links.items() if _web(url)},
        "reposts": item.reposts,
        "likes": item.likes,
        "posts": [_post(p) for p in item.posts],
        "trending_again": _surge(item.surge) if item.surge else None,
    }


def _surge(surge: Surge) -> dict[str, Any]:
    """Why a paper is back in the hot list: when it was announced and what it gained."""
    return {
        "first_announced": to_iso(surge.born) if surge.born else None,
        "surge_started": to_iso(surge.started),
        "gain": surge.gain,
        "window_hours": surge.window_hours,
        "label": surge.label,
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
    text = json.dumps(document, ensure_ascii=False, indent=2)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text) + "\n"
