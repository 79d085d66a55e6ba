"""Hacker News through Algolia: stories whose URL is on arxiv.org, with points and comments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.ids import find_arxiv_ids
from bot.models import SocialPost
from bot.sources.base import Batch, FetchContext, FetchResult, Source
from bot.sources.http import expect_ok
from bot.sources.payload import Node, decode_json, keep_good
from bot.timeutil import parse_time, to_iso

__all__ = ["SOURCE", "Page", "fetch", "parse"]

NAME = "hackernews"
# Algolia serves at most 1,000 hits per query, so older hits are reached by narrowing the time.
HITS_PER_PAGE = 1000
# After a long outage we catch up at most this far back.
_MAX_CATCH_UP = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Page:
    """The posts of one answer, the hit count and the oldest creation time seen (epoch s)."""

    batch: Batch
    hits: int
    total: int
    oldest: int | None


def _created(hit: Node) -> tuple[datetime, int]:
    """The creation time of a hit, from created_at_i or else created_at."""
    if hit.has("created_at_i"):
        node = hit["created_at_i"]
        return node.epoch(), node.number()
    moment = hit["created_at"].time()
    return moment, int(moment.timestamp())


def _post(hit: Node, observed_at: datetime) -> tuple[SocialPost | None, int]:
    """A story as a post (None when its URL links no arXiv paper) and its creation epoch."""
    created, epoch = _created(hit)
    try:
        ids = tuple(find_arxiv_ids(hit.opt_str("url")))
    except ValueError:  # a URL urlsplit refuses links nothing
        ids = ()
    if not ids:
        return None, epoch
    story = hit["objectID"].string()
    post = SocialPost(
        source=NAME,
        post_id=story,
        url=f"https://news.ycombinator.com/item?id={story}",
        arxiv_ids=ids,
        observed_at=observed_at,
        author=hit.opt_str("author"),
        text=hit.opt_str("title"),
        created_at=created,
        likes=hit.count("points"),
        replies=hit.count("num_comments"),
    )
    return post, epoch


def parse(payload: bytes | str, observed_at: datetime) -> Page:
    """Parse an Algolia search answer into posts linking arXiv; a malformed hit is dropped."""
    root = decode_json(payload, NAME)
    hits = list(root["hits"].items())
    parsed, dropped = keep_good(hits, lambda hit: _post(hit, observed_at))
    posts = {post.post_id: post for post, _ in parsed if post is not None}
    oldest = min((epoch for _, epoch in parsed), default=None)
    total = root.count("nbHits") if root.has("nbHits") else len(hits)
    return Page(Batch(posts=tuple(posts.values()), dropped=dropped), len(hits), total, oldest)


def since(ctx: FetchContext) -> datetime:
    """Stories since the last stored run, and always the lookback window so counts are re-seen."""
    window = ctx.now - timedelta(hours=ctx.settings.config.sources.hackernews_lookback_hours)
    last = ctx.cursor.get("since")
    start = min(window, parse_time(str(last))) if last else window
    return max(start, ctx.now - _MAX_CATCH_UP)


async def fetch(ctx: FetchContext) -> FetchResult:
    """Stories linking arXiv since the last fetch, newest first, narrowing by time to page."""
    url = ctx.settings.env.hn_api_url.rstrip("/") + "/search_by_date"
    start = int(since(ctx).timestamp())
    filters = f"created_at_i>{start}"
    batch, seen = Batch(), 0
    max_pages = ctx.settings.config.sources.hackernews_max_pages
    for index in range(max_pages):
        ctx.step("Algolia search", index, max_pages)
        params = {
            "query": "arxiv.org",
            "restrictSearchableAttributes": "url",
            "tags": "story",
            "hitsPerPage": str(HITS_PER_PAGE),
            "numericFilters": filters,
        }
        response = expect_ok(await ctx.http.get(url, source=NAME, params=params), NAME)
        page = parse(response.content, ctx.now)
        batch, seen = batch + page.batch, seen + page.hits
        if page.hits < HITS_PER_PAGE or page.total <= page.hits or page.oldest is None:
            break
        filters = f"created_at_i>{start},created_at_i<={page.oldest}"
    posts = {p.post_id: p for p in batch.posts}
    note = f"{len(posts)} stories linking arXiv among {seen} hits"
    kept = Batch(posts=tuple(posts.values()), dropped=batch.dropped)
    return FetchResult(kept, {"since": to_iso(ctx.now)}, note)


SOURCE = Source(NAME, "Hacker News stories linking arXiv (Algolia): points and comments", fetch)
