"""X (Twitter) recent search: posts linking arXiv, with public metrics, within a read budget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.entities import Entities, entities_from_json, locate, unescape_x_text
from bot.models import SocialPost
from bot.sources.base import (
    AuthError,
    Batch,
    Dropped,
    FetchContext,
    FetchResult,
    Source,
    SourceError,
)
from bot.sources.http import expect_ok
from bot.sources.payload import Node, arxiv_id_of, decode_json, keep_good
from bot.timeutil import to_iso

__all__ = ["QUERY", "SOURCE", "Page", "fetch", "parse"]

NAME = "x"
QUERY = 'url:"arxiv.org" -is:retweet'
# Recent search serves 10 to 100 posts a request; every post returned is billed.
MIN_PAGE, MAX_PAGE = 10, 100


@dataclass(frozen=True, slots=True)
class Page:
    """The posts of one answer, how many posts were read, and the next page's token."""

    batch: Batch
    read: int
    next_token: str | None


def _linked(tweet: Node) -> tuple[str, ...]:
    """arXiv ids from the post's expanded (and unwound) URLs."""
    entities = tweet.get("entities")
    urls = entities.get("urls") if entities is not None else None
    ids: list[str] = []
    for entry in urls.items() if urls is not None else ():
        for key in ("unwound_url", "expanded_url"):
            parsed = arxiv_id_of(entry.opt_str(key))
            if parsed is not None and parsed.id not in ids:
                ids.append(parsed.id)
    return tuple(ids)


def _users(root: Node) -> dict[str, tuple[str, str]]:
    """includes.users by id: (username, name)."""
    includes = root.get("includes")
    users = includes.get("users") if includes is not None else None
    # A malformed user only costs its posts their author's name.
    pairs, _ = keep_good(
        users.items() if users is not None else (),
        lambda user: (user["id"].string(), (user["username"].string(), user.opt_str("name"))),
    )
    return dict(pairs)


def _text(tweet: Node) -> tuple[str, Entities]:
    """The post's text as written (X escapes &, < and >) and its entities anchored on it."""
    text = unescape_x_text(tweet.opt_str("text"))
    raw = tweet.get("entities")
    return text, locate(text, entities_from_json(raw.value if raw is not None else None))


def _post(
    tweet: Node, users: dict[str, tuple[str, str]], observed_at: datetime
) -> SocialPost | None:
    """A post as a SocialPost, or None when it links no arXiv paper."""
    ids = _linked(tweet)
    if not ids:
        return None
    post_id = tweet["id"].string()
    username, name = users.get(tweet.opt_str("author_id"), ("", ""))
    metrics = tweet["public_metrics"]
    text, entities = _text(tweet)
    return SocialPost(
        source=NAME,
        post_id=post_id,
        url=f"https://x.com/{username or 'i/web'}/status/{post_id}",
        arxiv_ids=ids,
        observed_at=observed_at,
        author=username,
        author_name=name,
        text=text,
        created_at=tweet["created_at"].time() if tweet.has("created_at") else None,
        reposts=metrics.count("retweet_count"),
        likes=metrics.count("like_count"),
        replies=metrics.count("reply_count"),
        quotes=metrics.count("quote_count"),
        lang=tweet.opt_str("lang") or "en",
        entities=entities,
    )


def parse(payload: bytes | str, observed_at: datetime) -> Page:
    """Parse a recent search answer; an answer with only errors raises a SourceError."""
    root = decode_json(payload, NAME)
    data = root.get("data")
    if data is None and root.has("errors"):
        first = next(root["errors"].items(), None)
        detail = first.opt_str("detail") or first.opt_str("title") if first else ""
        raise SourceError(NAME, f"search failed: {detail or 'unspecified error'}")
    tweets = list(data.items()) if data is not None else []
    users = _users(root)
    posts, dropped = keep_good(tweets, lambda tweet: _post(tweet, users, observed_at))
    meta = root.get("meta")
    token = meta.opt_str("next_token") if meta is not None else ""
    return Page(Batch(posts=tuple(posts), dropped=dropped), len(tweets), token or None)


def _params(start: datetime, size: int, token: str | None) -> dict[str, str]:
    """Query parameters of one recent search request."""
    params = {
        "query": QUERY,
        "max_results": str(size),
        "start_time": to_iso(start),
        "sort_order": "relevancy",  # the budget goes to the most engaged posts, not the latest
        "tweet.fields": "created_at,public_metrics,entities,author_id,lang",
        "expansions": "author_id",
        "user.fields": "username,name",
    }
    return params | ({"next_token": token} if token else {})


async def fetch(ctx: FetchContext) -> FetchResult:
    """Pages of recent search until the per-run read budget is spent."""
    config, env = ctx.settings.config.sources, ctx.settings.env
    if env.x_bearer_token is None:
        raise AuthError(NAME, "set X_BEARER_TOKEN")
    url = env.x_api_url.rstrip("/") + "/tweets/search/recent"
    headers = {"Authorization": f"Bearer {env.x_bearer_token.get_secret_value()}"}
    start = ctx.now - timedelta(hours=config.x_lookback_hours)
    budget, read, token = config.x_read_budget, 0, None
    posts: dict[str, SocialPost] = {}
    dropped = Dropped()
    while budget - read >= MIN_PAGE:
        ctx.step("recent search", read, budget)
        size = min(MAX_PAGE, budget - read)
        params = _params(start, size, token)
        response = await ctx.http.get(url, source=NAME, params=params, headers=headers)
        if response.status_code in (401, 403):
            raise AuthError(NAME, f"the bearer token was refused (HTTP {response.status_code})")
        page = parse(expect_ok(response, NAME).content, ctx.now)
        read += page.read
        posts.update((p.post_id, p) for p in page.batch.posts)
        dropped += page.batch.dropped
        if page.next_token is None or page.read == 0:
            break
        token = page.next_token
    note = f"{len(posts)} posts linking arXiv; {read} of {budget} reads used"
    return FetchResult(Batch(posts=tuple(posts.values()), dropped=dropped), {}, note)


def _needs_token(settings: Settings) -> str | None:
    """Recent search needs a bearer token."""
    return None if settings.env.x_bearer_token is not None else "not configured: set X_BEARER_TOKEN"


SOURCE = Source(NAME, "X posts linking arXiv: reposts, likes, replies, quotes", fetch, _needs_token)
