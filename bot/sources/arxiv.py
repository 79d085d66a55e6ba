"""The arXiv source: the day's listing from the feed, enriched through the API; OAI catch-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

import httpx

from bot.models import Paper
from bot.sources import arxiv_api, arxiv_oai, arxiv_rss
from bot.sources.arxiv_api import Found
from bot.sources.arxiv_rss import Listing
from bot.sources.base import Batch, FetchContext, FetchResult, Source
from bot.sources.calendar import latest_listing, no_listing_reason
from bot.sources.http import Body, expect_ok_streamed

__all__ = ["SOURCE", "fetch", "merge"]

NAME = "arxiv"


def merge(listing: Listing, found: Mapping[str, Paper], replacements: bool) -> tuple[Paper, ...]:
    """The listing's papers with the API's metadata; ids the API dropped keep the feed's."""
    papers: list[Paper] = []
    for item in listing.items:
        if not replacements and item.announce_type not in arxiv_rss.NEW_TYPES:
            continue
        api = found.get(item.paper.arxiv_id)
        papers.append(item.paper if api is None else replace(api, announced=item.paper.announced))
    return tuple(papers)


def _stored_day(cursor: Mapping[str, Any]) -> date | None:
    """The listing day of the last stored feed, if the cursor knows it."""
    try:
        return date.fromisoformat(str(cursor.get("listing") or ""))
    except ValueError:
        return None


def _conditional(cursor: Mapping[str, Any], day: date | None) -> dict[str, str]:
    """Validators from the last stored feed, for a conditional GET of the latest listing."""
    headers: dict[str, str] = {}
    if day is not None and day != _stored_day(cursor):
        return headers  # asked for another listing: "unchanged" would not answer that
    if cursor.get("etag"):
        headers["If-None-Match"] = str(cursor["etag"])
    if cursor.get("last_modified"):
        headers["If-Modified-Since"] = str(cursor["last_modified"])
    return headers


async def _read_feed(ctx: FetchContext) -> tuple[Listing | None, dict[str, Any]]:
    """The feed's listing (None when unchanged since the last stored run) and its validators."""
    config = ctx.settings.config.sources
    url = arxiv_rss.feed_url(ctx.settings.env.arxiv_rss_url, config.categories)
    ctx.step("arXiv feed")
    headers = _conditional(ctx.cursor, ctx.day)

    async def read(response: httpx.Response, body: Body) -> tuple[Listing | None, dict[str, Any]]:
        if response.status_code == 304:
            return None, dict(ctx.cursor)
        await expect_ok_streamed(response, body, NAME)
        listing = await arxiv_rss.read(body)  # parsed as it streams in: feeds can be large
        cursor = {
            "etag": response.headers.get("etag", ""),
            "last_modified": response.headers.get("last-modified", ""),
            "listing": listing.day.isoformat() if listing.day else "",
        }
        return listing, cursor

    return await ctx.http.fetch("GET", url, source=NAME, headers=headers, read=read)


async def _enrich(ctx: FetchContext, listing: Listing) -> tuple[tuple[Paper, ...], Found]:
    """The listing's papers with full metadata, and what the API returned."""
    replacements = ctx.settings.config.sources.arxiv_replacements
    ids = [
        i.paper.arxiv_id
        for i in listing.items
        if replacements or i.announce_type in arxiv_rss.NEW_TYPES
    ]
    found = await arxiv_api.fetch_papers(
        ctx.http, ctx.settings.env.arxiv_api_url, ids, lambda m, d, t: ctx.step(m, d, t)
    )
    return merge(listing, found.papers, replacements), found


async def _catch_up(ctx: FetchContext, day: date) -> FetchResult:
    """A past listing the feed no longer shows, through OAI-PMH."""
    ctx.step(f"OAI-PMH catch-up for {day}")
    papers, dropped = await arxiv_oai.catch_up(
        ctx.http, ctx.settings.env.arxiv_oai_url, day, ctx.settings.config.sources.categories
    )
    note = f"caught up on the listing of {day} through OAI-PMH"
    return FetchResult(Batch(papers=papers, dropped=dropped), ctx.cursor, note)


def _describe(listing: Listing, dropped: int) -> str:
    """A note on what the listing held."""
    kinds: dict[str, int] = {}
    for item in listing.items:
        kinds[item.announce_type] = kinds.get(item.announce_type, 0) + 1
    parts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    note = f"listing of {listing.day}: {parts}"
    if dropped:
        note += f"; {dropped} kept from the feed alone (the API did not return them)"
    return note


async def fetch(ctx: FetchContext) -> FetchResult:
    """Fetch the latest listing, or the listing of ctx.day, with full metadata."""
    holidays = ctx.settings.config.sources.arxiv_holidays
    if ctx.day is not None and (reason := no_listing_reason(ctx.day, holidays)):
        return FetchResult(cursor=ctx.cursor, note=f"no listing dated {ctx.day}: {reason}")
    stored = _stored_day(ctx.cursor)
    if ctx.day is not None and stored is not None and ctx.day < stored:
        return await _catch_up(ctx, ctx.day)  # the feed has moved past that day already
    expected = ctx.day or latest_listing(ctx.now, holidays)
    listing, cursor = await _read_feed(ctx)
    if listing is None:
        return FetchResult(cursor=cursor, note="feed unchanged since the last fetch")
    if ctx.day is not None and listing.day != ctx.day:
        if listing.day is not None and ctx.day < listing.day:
            return await _catch_up(ctx, ctx.day)
        return FetchResult(cursor=ctx.cursor, note=f"the listing of {ctx.day} is not out yet")
    if not listing.items:
        return FetchResult(cursor=cursor, note=f"no announcements in the feed of {listing.day}")
    papers, found = await _enrich(ctx, listing)
    note = _describe(listing, len(found.missing))
    if listing.day is not None and listing.day < expected:
        note += f"; the listing of {expected} is not in the feed yet (it switches at midnight ET)"
    return FetchResult(Batch(papers=papers, dropped=listing.dropped + found.dropped), cursor, note)


SOURCE = Source(
    name=NAME,
    description="arXiv announcement feed, enriched through the arXiv API (OAI-PMH catch-up)",
    fetch=fetch,
)
