"""Bluesky: sessions kept and refreshed; links from embeds and facets, never guessed from text."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest

from bot.models import SocialPost
from bot.sources.base import AuthError, ParseError, Sessions
from bot.sources.bluesky import SOURCE, fetch, parse
from bot.sources.bluesky_auth import Session, parse_session

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

HOST = "bsky.test"
ARXIV_URL = "https://arxiv.org/abs/2402.01001"
CREDS = {"bluesky_handle": "hotpapers.bsky.social", "bluesky_app_password": "app-pass-word"}
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
CREATE = "/xrpc/com.atproto.server.createSession"
REFRESH = "/xrpc/com.atproto.server.refreshSession"


def _posts() -> dict[str, SocialPost]:
    page = parse(read_payload("bluesky_search_posts.json"), MONDAY_MORNING)
    return {p.author: p for p in page.batch.posts}


def test_external_embed_link_is_read() -> None:
    post = _posts()["ada.bsky.social"]
    assert post.arxiv_ids == ("2402.01001",)
    assert (post.likes, post.reposts, post.replies, post.quotes) == (88, 21, 3, 2)
    assert post.url == "https://bsky.app/profile/ada.bsky.social/post/3kkrvqhznc22a"
    assert post.post_id == "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3kkrvqhznc22a"
    assert post.author_name == "Ada L."
    assert post.created_at == datetime(2024, 2, 5, 15, 1, 2, 345000, tzinfo=UTC)


def test_link_facets_are_read_and_other_links_ignored() -> None:
    post = _posts()["grace.example.com"]
    assert post.arxiv_ids == ("2310.12345",)
    assert post.lang == "de"


def test_record_with_media_external_is_read_and_missing_counts_are_zero() -> None:
    post = _posts()["robots.bsky.social"]
    assert post.arxiv_ids == ("2402.00500",)
    assert post.quotes == 0


def test_an_id_only_in_the_text_is_not_guessed() -> None:
    assert "skeptic.bsky.social" not in _posts()


def test_cursor_is_read() -> None:
    assert parse(read_payload("bluesky_search_posts.json"), MONDAY_MORNING).cursor == "100"


def test_session_answer_parses() -> None:
    session = parse_session(read_payload("bluesky_create_session.json"))
    assert session.handle == "hotpapers.bsky.social"
    assert session.access_jwt.endswith("access-standin.sig")


LINKED = {"createdAt": "2024-02-05T00:00:00Z", "embed": {"external": {"uri": ARXIV_URL}}}


@pytest.mark.parametrize(
    ("view", "message"),
    [
        ({"uri": "at://x/app.bsky.feed.post/1"}, r"posts\[0\]\.record: missing"),
        ({"uri": "https://bsky.app/x", "author": {}, "record": LINKED}, "not a post URI"),
        (
            {
                "uri": "at://d/app.bsky.feed.post/1",
                "author": {},
                "likeCount": "9",
                "record": LINKED,
            },
            r"posts\[0\]\.likeCount: expected a number",
        ),
        (
            {
                "uri": "at://d/app.bsky.feed.post/1",
                "author": {},
                "record": {"embed": LINKED["embed"]},
            },
            r"record\.createdAt: missing",
        ),
    ],
)
def test_a_malformed_post_view_is_dropped_and_counted_and_the_others_kept(
    view: dict[str, object], message: str
) -> None:
    good = {"uri": "at://d/app.bsky.feed.post/2", "author": {"handle": "a"}, "record": LINKED}
    page = parse(json.dumps({"posts": [view, good]}), MONDAY_MORNING)
    assert [p.post_id for p in page.batch.posts] == ["at://d/app.bsky.feed.post/2"]
    assert page.batch.dropped.count == 1 and re.search(message, page.batch.dropped.reasons[0])


def test_posts_that_are_not_an_array_raise_a_parse_error() -> None:
    with pytest.raises(ParseError, match="posts: expected an array"):
        parse('{"posts": "none"}', MONDAY_MORNING)


def test_not_configured_without_handle_and_password() -> None:
    assert "BLUESKY_HANDLE" in (SOURCE.unavailable(make_settings()) or "")
    assert SOURCE.unavailable(make_settings(env=CREDS)) is None


async def test_logs_in_once_and_keeps_the_session_across_runs(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(HOST, CREATE, payload_response("bluesky_create_session.json"))
    router.add(
        HOST, SEARCH, payload_response("bluesky_search_posts.json"), respond(200, '{"posts": []}')
    )
    sessions = Sessions()
    settings = make_settings(env=CREDS)
    first = await fetch(make_context(client, clock, settings, source="bluesky", sessions=sessions))
    router.add(HOST, SEARCH, respond(200, '{"posts": []}'))
    await fetch(make_context(client, clock, settings, source="bluesky", sessions=sessions))
    logins = [s for s in router.seen if s.request.url.path == CREATE]
    assert len(logins) == 1
    assert json.loads(logins[0].request.content) == {
        "identifier": "hotpapers.bsky.social",
        "password": "app-pass-word",
    }
    searches = [s.request for s in router.seen if s.request.url.path == SEARCH]
    assert all(
        r.headers["authorization"] == "Bearer eyJhbGciOiJIUzI1NiJ9.access-standin.sig"
        for r in searches
    )
    query = parse_qs(searches[0].url.query.decode())
    assert (
        query["domain"] == ["arxiv.org"]
        and query["sort"] == ["latest"]
        and query["limit"] == ["100"]
    )
    assert parse_qs(searches[1].url.query.decode())["cursor"] == ["100"]
    assert len(first.batch.posts) == 3


async def test_an_expired_token_is_refreshed_not_logged_in_again(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    sessions = Sessions()
    sessions.put("bluesky", Session("did:plc:me", "me", "old-access", "old-refresh"))
    expired = respond(400, '{"error": "ExpiredToken", "message": "Token has expired"}')
    router.add(HOST, SEARCH, expired, respond(200, '{"posts": []}'))
    refreshed = {
        "did": "did:plc:me",
        "handle": "me",
        "accessJwt": "new-access",
        "refreshJwt": "new-refresh",
    }
    router.add(HOST, REFRESH, respond(200, json.dumps(refreshed)))
    await fetch(
        make_context(client, clock, make_settings(env=CREDS), source="bluesky", sessions=sessions)
    )
    paths = [s.request.url.path for s in router.seen]
    assert paths == [SEARCH, REFRESH, SEARCH]
    assert router.seen[1].request.headers["authorization"] == "Bearer old-refresh"
    assert router.seen[2].request.headers["authorization"] == "Bearer new-access"
    assert sessions.get("bluesky").access_jwt == "new-access"


async def test_a_refused_login_is_an_auth_error(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(
        HOST,
        CREATE,
        respond(
            401, '{"error": "AuthenticationRequired", "message": "Invalid identifier or password"}'
        ),
    )
    with pytest.raises(
        AuthError, match=r"login refused for hotpapers.bsky.social \(AuthenticationRequired\)"
    ):
        await fetch(make_context(client, clock, make_settings(env=CREDS), source="bluesky"))


async def test_a_refused_session_is_dropped(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    sessions = Sessions()
    sessions.put("bluesky", Session("did:plc:me", "me", "bad", "bad-refresh"))
    router.add(HOST, SEARCH, respond(401, '{"error": "AuthMissing"}'))
    with pytest.raises(AuthError, match="session was refused"):
        await fetch(
            make_context(
                client, clock, make_settings(env=CREDS), source="bluesky", sessions=sessions
            )
        )
    assert sessions.get("bluesky") is None
