"""Bluesky: posts linking arXiv, with links read from embeds and link facets, never from text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.models import SocialPost
from bot.sources.base import Batch, Dropped, FetchContext, FetchResult, Source
from bot.sources.bluesky_auth import authorized_get
from bot.sources.payload import Node, arxiv_id_of, decode_json, keep_good
from bot.timeutil import to_iso

__all__ = ["SOURCE", "Page", "fetch", "links", "parse"]

NAME = "bluesky"
# searchPosts serves at most 100 posts a page.
PAGE_SIZE = 100
_LINK = "app.bsky.richtext.facet#link"


@dataclass(frozen=True, slots=True)
class Page:
    """The posts of one searchPosts answer and the cursor of the next page."""

    batch: Batch
    cursor: str | None


def _embed_uris(embed: Node | None) -> list[str]:
    """External link URIs in a record embed or its view (also inside recordWithMedia)."""
    if embed is None:
        return []
    uris: list[str] = []
    external = embed.get("external")
    if external is not None:
        uris.append(external["uri"].string())
    media = embed.get("media")
    if media is not None:
        uris += _embed_uris(media)
    return uris


def _facet_uris(record: Node) -> list[str]:
    """Link URIs from the record's rich-text facets."""
    facets = record.get("facets")
    if facets is None:
        return []
    uris: list[str] = []
    for facet in facets.items():
        for feature in facet["features"].items():
            if feature.opt_str("$type") == _LINK:
                uris.append(feature["uri"].string())
    return uris


def links(view: Node) -> tuple[str, ...]:
    """The arXiv ids a post view links through its embeds and link facets."""
    record = view["record"]
    uris = _embed_uris(record.get("embed")) + _embed_uris(view.get("embed")) + _facet_uris(record)
    ids: list[str] = []
    for uri in uris:
        parsed = arxiv_id_of(uri)
        if parsed is not None and parsed.id not in ids:
            ids.append(parsed.id)
    return tuple(ids)


def _web_url(view: Node, handle: str) -> str:
    """The bsky.app address of a post from its at:// URI."""
    uri = view["uri"].string()
    parts = uri.removeprefix("at://").split("/")
    if not uri.startswith("at://") or len(parts) != 3 or parts[1] != "app.bsky.feed.post":
        raise view["uri"].fail(f"not a post URI: {uri[:60]!r}")
    return f"https://bsky.app/profile/{handle or parts[0]}/post/{parts[2]}"


def _post(view: Node, observed_at: datetime) -> SocialPost | None:
    """A post view as a post, or None when it links no arXiv paper."""
    ids = links(view)
    if not ids:
        return None
    author, record = view["author"], view["record"]
    handle = author.opt_str("handle")
    langs = record.get("langs")
    lang = next((node.string() for node in langs.items()), "en") if langs else "en"
    return SocialPost(
        source=NAME,
        post_id=view["uri"].string(),
        url=_web_url(view, handle),
        arxiv_ids=ids,
        observed_at=observed_at,
        author=handle,
        author_name=author.opt_str("displayName"),
        text=record.opt_str("text"),
        created_at=record["createdAt"].time(),
        reposts=view.count("repostCount"),
        likes=view.count("likeCount"),
        replies=view.count("replyCount"),
        quotes=view.count("quoteCount"),
        lang=lang,
    )


def parse(payload: bytes | str, observed_at: datetime) -> Page:
    """Parse an app.bsky.feed.searchPosts answer; a malformed post is dropped."""
    root = decode_json(payload, NAME)
    posts, dropped = keep_good(root["posts"].items(), lambda view: _post(view, observed_at))
    return Page(Batch(posts=tuple(posts), dropped=dropped), root.opt_str("cursor") or None)


async def fetch(ctx: FetchContext) -> FetchResult:
    """Recent posts linking arxiv.org, page by page up to the configured number of pages."""
    config = ctx.settings.config.sources
    start = ctx.now - timedelta(hours=config.bluesky_lookback_hours)
    params = {
        "q": "domain:arxiv.org",
        "domain": "arxiv.org",
        "sort": "latest",
        "since": to_iso(start),
        "limit": str(PAGE_SIZE),
    }
    posts: dict[str, SocialPost] = {}
    dropped = Dropped()
    for index in range(config.bluesky_max_pages):
        ctx.step("searchPosts", index, config.bluesky_max_pages)
        response = await authorized_get(ctx, "app.bsky.feed.searchPosts", params)
        page = parse(response.content, ctx.now)
        posts.update((p.post_id, p) for p in page.batch.posts)
        dropped += page.batch.dropped
        if page.cursor is None:
            break
        params = {**params, "cursor": page.cursor}
    batch = Batch(posts=tuple(posts.values()), dropped=dropped)
    return FetchResult(batch, {}, f"{len(posts)} posts linking arXiv")


def _needs_login(settings: Settings) -> str | None:
    """Bluesky search needs an account."""
    env = settings.env
    if env.bluesky_handle and env.bluesky_app_password is not None:
        return None
    return "not configured: set BLUESKY_HANDLE and BLUESKY_APP_PASSWORD"


SOURCE = Source(
    NAME, "Bluesky posts linking arXiv: likes, reposts, quotes, replies", fetch, _needs_login
)
