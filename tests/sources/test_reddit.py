"""Reddit: link posts to arxiv.org through application-only OAuth."""

from __future__ import annotations

import base64
import copy
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest

from bot.models import SocialPost
from bot.sources.base import AuthError, ParseError, Sessions
from bot.sources.reddit import SOURCE, fetch, parse, parse_token

from .conftest import (
    MONDAY_MORNING,
    FakeClock,
    Router,
    make_context,
    make_settings,
    payload_response,
    read_payload,
    respond,
)

CREDS = {"reddit_client_id": "client-standin", "reddit_client_secret": "secret-standin"}
ENV = {
    **CREDS,
    "reddit_api_url": "https://reddit.test",
    "reddit_auth_url": "https://auth.reddit.test/token",
}


def _posts() -> dict[str, SocialPost]:
    page = parse(read_payload("reddit_domain_new.json"), MONDAY_MORNING)
    return {p.post_id: p for p in page.batch.posts}


def test_link_posts_become_posts_with_score_comments_and_crossposts() -> None:
    post = _posts()["t3_1ajz001"]
    assert post.arxiv_ids == ("2402.01001",)
    assert (post.likes, post.replies, post.quotes, post.reposts) == (412, 57, 2, 0)
    assert post.url.startswith("https://www.reddit.com/r/MachineLearning/comments/1ajz001/")
    assert post.author_name == "r/MachineLearning"
    assert post.created_at == datetime(2024, 2, 5, 14, 3, 12, tzinfo=UTC)


def test_a_downvoted_post_counts_zero_not_negative() -> None:
    assert _posts()["t3_1ajz002"].likes == 0


def test_listing_pages_link_no_paper() -> None:
    assert "t3_1ajz003" not in _posts()


def test_page_cursor_and_oldest() -> None:
    page = parse(read_payload("reddit_domain_new.json"), MONDAY_MORNING)
    assert page.after == "t3_1ajz003"
    assert page.oldest == datetime.fromtimestamp(1707120000, UTC)


def test_token_answer() -> None:
    assert parse_token(read_payload("reddit_token.json")).endswith("reddit-standin.sig")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"kind": "Listing"}', "data: missing"),
        ('{"data": {"children": {}}}', r"children: expected an array"),
        ('{"error": 401, "message": "Unauthorized"}', "data: missing"),
    ],
)
def test_malformed_answers_raise_a_parse_error(payload: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(payload, MONDAY_MORNING)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"kind": "t3"}, r"children\[0\]\.data: missing"),
        ({"data": {"created_utc": "yesterday"}}, "created_utc"),
    ],
)
def test_a_malformed_post_is_dropped_and_counted_and_the_page_kept(
    bad: dict[str, object], reason: str
) -> None:
    listing = json.loads(read_payload("reddit_domain_new.json"))
    listing["data"]["children"].insert(0, bad)
    page = parse(json.dumps(listing), MONDAY_MORNING)
    assert {p.post_id for p in page.batch.posts} == set(_posts())
    assert page.batch.dropped.count == 1 and re.search(reason, page.batch.dropped.reasons[0])


@pytest.mark.parametrize("permalink", ["@evil.example/r/x", ".evil.example/x", "//evil.example/x"])
def test_a_permalink_that_would_leave_reddit_com_is_dropped_and_counted(permalink: str) -> None:
    listing = json.loads(read_payload("reddit_domain_new.json"))
    bad = copy.deepcopy(listing["data"]["children"][0])
    bad["data"] |= {"permalink": permalink, "name": "t3_bad"}
    listing["data"]["children"].insert(0, bad)
    page = parse(json.dumps(listing), MONDAY_MORNING)
    assert {p.post_id for p in page.batch.posts} == set(_posts())
    assert all(p.url.startswith("https://www.reddit.com/") for p in page.batch.posts)
    assert page.batch.dropped.count == 1
    assert "children[0].data.permalink: not a path on reddit.com" in page.batch.dropped.reasons[0]


def test_not_configured_without_client_credentials() -> None:
    assert "REDDIT_CLIENT_ID" in (SOURCE.unavailable(make_settings()) or "")
    assert SOURCE.unavailable(make_settings(env=CREDS)) is None


async def test_fetch_gets_a_token_once_and_pages_back_to_the_lookback(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    old = json.loads(read_payload("reddit_domain_new.json"))
    for child in old["data"]["children"]:
        child["data"]["created_utc"] = (MONDAY_MORNING - timedelta(days=5)).timestamp()
        child["data"]["name"] += "old"
    router.add("auth.reddit.test", "/token", payload_response("reddit_token.json"))
    router.add(
        "reddit.test",
        "/domain/arxiv.org/new",
        payload_response("reddit_domain_new.json"),
        respond(200, json.dumps(old)),
    )
    sessions = Sessions()
    settings = make_settings(env=ENV)
    result = await fetch(make_context(client, clock, settings, source="reddit", sessions=sessions))
    assert {p.post_id for p in result.batch.posts} == {"t3_1ajz001", "t3_1ajz002"}  # old ones cut
    token_request = router.seen[0].request
    assert (
        token_request.headers["authorization"]
        == "Basic " + base64.b64encode(b"client-standin:secret-standin").decode()
    )
    assert token_request.content == b"grant_type=client_credentials"
    listings = [s.request for s in router.seen if s.request.url.host == "reddit.test"]
    assert len(listings) == 2
    assert parse_qs(listings[1].url.query.decode())["after"] == ["t3_1ajz003"]
    assert listings[0].headers["authorization"] == "Bearer eyJhbGciOiJSUzI1NiJ9.reddit-standin.sig"
    await fetch(make_context(client, clock, settings, source="reddit", sessions=sessions))
    assert len([s for s in router.seen if s.request.url.host == "auth.reddit.test"]) == 1


async def test_refused_credentials_are_an_auth_error(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add("auth.reddit.test", "/token", respond(401, '{"message": "Unauthorized"}'))
    with pytest.raises(AuthError, match="client credentials were refused"):
        await fetch(make_context(client, clock, make_settings(env=ENV), source="reddit"))


async def test_a_refused_token_is_dropped(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    sessions = Sessions()
    sessions.put("reddit", "expired-token")
    router.add("reddit.test", "/domain/arxiv.org/new", respond(401))
    with pytest.raises(AuthError, match="access token was refused"):
        await fetch(
            make_context(client, clock, make_settings(env=ENV), source="reddit", sessions=sessions)
        )
    assert sessions.get("reddit") is None
