"""Reddit: link posts to arxiv.org (application-only OAuth), with score and comments."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from bot.config import Settings
from bot.ids import find_arxiv_ids
from bot.models import SocialPost
from bot.sources.base import AuthError, Batch, Dropped, FetchContext, FetchResult, Source
from bot.sources.http import expect_ok
from bot.sources.payload import Node, decode_json, keep_good
from bot.untrusted import is_web_url

__all__ = ["SOURCE", "Page", "fetch", "parse", "parse_token"]

NAME = "reddit"
# Listings serve at most 100 posts a page.
PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Page:
    """The posts of one listing page, its oldest post time and the cursor of the next page."""

    batch: Batch
    oldest: datetime | None
    after: str | None


def _permalink(node: Node) -> str:
    """The post's reddit.com address: a permalink is a path, so nothing can change the host."""
    path = node.string()
    url = f"https://www.reddit.com{path}"
    if not path.startswith("/") or path.startswith("//") or not is_web_url(url):
        raise node.fail(f"not a path on reddit.com: {path[:60]!r}")
    return url


def _post(child: Node, observed_at: datetime) -> tuple[SocialPost | None, datetime]:
    """A link post as a post (None when its URL links no arXiv paper) and its creation time."""
    data = child["data"]
    created = data["created_utc"].epoch()
    try:
        ids = tuple(find_arxiv_ids(data.opt_str("url")))
    except ValueError:  # a URL urlsplit refuses links nothing
        ids = ()
    if not ids:
        return None, created
    post = SocialPost(
        source=NAME,
        post_id=data["name"].string(),
        url=_permalink(data["permalink"]),
        arxiv_ids=ids,
        observed_at=observed_at,
        author=data.opt_str("author"),
        author_name=data.opt_str("subreddit_name_prefixed"),
        text=data.opt_str("title"),
        created_at=created,
        likes=max(data.opt_int("score") or 0, 0),  # a downvoted post scores below zero
        replies=data.count("num_comments"),
        quotes=data.count("num_crossposts"),
    )
    return post, created


def parse(payload: bytes | str, observed_at: datetime) -> Page:
    """Parse a listing (kind Listing, data.children of kind t3); a malformed post is dropped."""
    root = decode_json(payload, NAME)
    data = root["data"]
    parsed, dropped = keep_good(data["children"].items(), lambda c: _post(c, observed_at))
    posts = tuple(post for post, _ in parsed if post is not None)
    oldest = min((created for _, created in parsed), default=None)
    return Page(Batch(posts=posts, dropped=dropped), oldest, data.opt_str("after") or None)


def parse_token(payload: bytes | str) -> str:
    """The access token of a client-credentials answer."""
    return decode_json(payload, NAME)["access_token"].string()


async def _token(ctx: FetchContext) -> str:
    """The kept application token, or a new one (they last a day)."""
    kept = ctx.sessions.get(NAME)
    if isinstance(kept, str):
        return kept
    env = ctx.settings.env
    if not env.reddit_client_id or env.reddit_client_secret is None:
        raise AuthError(NAME, "set REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET")
    pair = f"{env.reddit_client_id}:{env.reddit_client_secret.get_secret_value()}"
    headers = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
    response = await ctx.http.request(
        "POST",
        env.reddit_auth_url,
        source=NAME,
        headers=headers,
        form={"grant_type": "client_credentials"},
    )
    if response.status_code in (400, 401, 403):
        raise AuthError(NAME, f"the client credentials were refused (HTTP {response.status_code})")
    token = parse_token(expect_ok(response, NAME).content)
    ctx.sessions.put(NAME, token)
    return token


async def _listing(ctx: FetchContext, params: dict[str, str]) -> httpx.Response:
    """One listing page; a refused token is dropped so the next run asks for a new one."""
    url = ctx.settings.env.reddit_api_url.rstrip("/") + "/domain/arxiv.org/new"
    headers = {"Authorization": f"Bearer {await _token(ctx)}"}
    response = await ctx.http.get(url, source=NAME, params=params, headers=headers)
    if response.status_code in (401, 403):
        ctx.sessions.drop(NAME)
        raise AuthError(NAME, f"the access token was refused (HTTP {response.status_code})")
    return expect_ok(response, NAME)


async def fetch(ctx: FetchContext) -> FetchResult:
    """Newest link posts to arxiv.org, page by page back to the lookback window."""
    config = ctx.settings.config.sources
    since = ctx.now - timedelta(hours=config.reddit_lookback_hours)
    params = {"limit": str(PAGE_SIZE), "raw_json": "1"}
    posts: dict[str, SocialPost] = {}
    dropped = Dropped()
    for index in range(config.reddit_max_pages):
        ctx.step("arxiv.org link posts", index, config.reddit_max_pages)
        page = parse((await _listing(ctx, params)).content, ctx.now)
        posts.update(
            (p.post_id, p) for p in page.batch.posts if p.created_at and p.created_at >= since
        )
        dropped += page.batch.dropped
        if page.after is None or page.oldest is None or page.oldest < since:
            break
        params = {**params, "after": page.after}
    batch = Batch(posts=tuple(posts.values()), dropped=dropped)
    return FetchResult(batch, {}, f"{len(posts)} posts linking arXiv")


def _needs_app(settings: Settings) -> str | None:
    """Reddit's API needs an (approved) app's client id and secret."""
    env = settings.env
    if env.reddit_client_id and env.reddit_client_secret is not None:
        return None
    return "not configured: set REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET"


SOURCE = Source(
    NAME, "Reddit link posts to arxiv.org: score, comments, crossposts", fetch, _needs_app
)
