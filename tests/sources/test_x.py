"""X recent search: expanded URLs, includes.users, public metrics and the read budget."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

import httpx
import pytest

from bot.models import SocialPost
from bot.sources.base import AuthError, ParseError, SourceError
from bot.sources.x import QUERY, SOURCE, fetch, parse
from bot.store import Store

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

HOST, PATH = "x.test", "/2/tweets/search/recent"
TOKEN = {"x_bearer_token": "bearer-standin"}


def _posts() -> dict[str, SocialPost]:
    page = parse(read_payload("x_recent_search.json"), MONDAY_MORNING)
    return {p.post_id: p for p in page.batch.posts}


def test_posts_carry_public_metrics_and_the_author_from_includes() -> None:
    post = _posts()["1754636900000000001"]
    assert post.arxiv_ids == ("2402.01001",)
    assert (post.reposts, post.likes, post.replies, post.quotes) == (120, 640, 14, 9)
    assert post.seed_score == 760  # the 2021 blog's retweets + favorites
    assert (post.author, post.author_name) == ("ada_standin", "Ada Lovelace")
    assert post.url == "https://x.com/ada_standin/status/1754636900000000001"


def test_expanded_and_unwound_urls_are_read() -> None:
    post = _posts()["1754636900000000002"]
    assert post.arxiv_ids == ("2310.12345", "2402.00500")
    assert post.lang == "ja"


def test_a_post_linking_no_paper_is_left_out_but_counted_as_read() -> None:
    page = parse(read_payload("x_recent_search.json"), MONDAY_MORNING)
    assert "1754636900000000003" not in {p.post_id for p in page.batch.posts}
    assert page.read == 3 and page.next_token is not None


def test_an_empty_answer_has_no_data() -> None:
    page = parse(read_payload("x_recent_search_empty.json"), MONDAY_MORNING)
    assert page.batch.empty and page.read == 0 and page.next_token is None


def test_an_answer_with_only_errors_raises_its_detail() -> None:
    payload = '{"errors": [{"title": "Invalid Request", "detail": "bad query"}]}'
    with pytest.raises(SourceError, match="search failed: bad query"):
        parse(payload, MONDAY_MORNING)


LINKING = {"entities": {"urls": [{"expanded_url": "https://arxiv.org/abs/2402.01001"}]}}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "data: expected an array"),
        ("x", "data: expected an array"),
    ],
)
def test_malformed_answers_raise_a_parse_error(data: object, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(json.dumps({"data": data}), MONDAY_MORNING)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"id": "1", **LINKING}, r"data\[0\]\.public_metrics: missing"),
        (
            {"id": "1", "public_metrics": {"like_count": True}, **LINKING},
            "like_count: expected a number, got a boolean",
        ),
        ({"id": 1, "public_metrics": {}, **LINKING}, r"data\[0\]\.id: expected a string"),
    ],
)
def test_a_malformed_post_is_dropped_and_counted_and_the_others_kept(
    bad: dict[str, object], reason: str
) -> None:
    good = {"id": "2", "public_metrics": {"like_count": 4}, **LINKING}
    page = parse(json.dumps({"data": [bad, good]}), MONDAY_MORNING)
    assert [p.post_id for p in page.batch.posts] == ["2"] and page.read == 2
    assert page.batch.dropped.count == 1 and re.search(reason, page.batch.dropped.reasons[0])


def test_not_configured_without_a_token() -> None:
    assert "X_BEARER_TOKEN" in (SOURCE.unavailable(make_settings()) or "")


async def test_reads_stay_within_the_budget(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    def page(request: httpx.Request) -> httpx.Response:
        size = int(parse_qs(request.url.query.decode())["max_results"][0])
        data = json.loads(read_payload("x_recent_search.json"))
        tweet = data["data"][0]
        data["data"] = [dict(tweet, id=f"{len(router.seen)}-{n}") for n in range(size)]
        data["meta"]["result_count"] = size
        return httpx.Response(200, json=data)

    router.add(HOST, PATH, page)
    settings = make_settings(env=TOKEN, x_read_budget=250)
    result = await fetch(make_context(client, clock, settings, source="x"))
    sizes = [parse_qs(s.request.url.query.decode())["max_results"][0] for s in router.seen]
    assert sizes == ["100", "100", "50"]
    assert len(result.batch.posts) == 250
    assert result.note == "250 posts linking arXiv; 250 of 250 reads used"


async def test_request_shape(client: httpx.AsyncClient, router: Router, clock: FakeClock) -> None:
    router.add(
        HOST,
        PATH,
        payload_response("x_recent_search.json"),
        payload_response("x_recent_search_empty.json"),
    )
    await fetch(make_context(client, clock, make_settings(env=TOKEN), source="x"))
    request = router.seen[0].request
    query = parse_qs(request.url.query.decode())
    assert request.headers["authorization"] == "Bearer bearer-standin"
    assert query["query"] == [QUERY]
    assert "public_metrics" in query["tweet.fields"][0] and query["expansions"] == ["author_id"]
    assert query["start_time"] == ["2024-02-04T14:00:00Z"]
    assert parse_qs(router.seen[1].request.url.query.decode())["next_token"] == [
        "b26v89c19zqg8o3fr5qbmq3xsvw3hfd3lzqhwfnwdfy1p"
    ]


async def test_a_budget_under_the_minimum_page_reads_nothing(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    result = await fetch(
        make_context(client, clock, make_settings(env=TOKEN, x_read_budget=5), source="x")
    )
    assert router.seen == [] and result.batch.empty


async def test_a_refused_token_is_an_auth_error(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(HOST, PATH, respond(401, '{"title": "Unauthorized", "status": 401}'))
    with pytest.raises(AuthError, match="bearer token was refused"):
        await fetch(make_context(client, clock, make_settings(env=TOKEN), source="x"))


def test_posts_keep_their_entities_anchored_on_the_unescaped_text() -> None:
    posts = _posts()
    (link,) = posts["1754636900000000001"].entities.items
    assert (link.start, link.end, link.url) == (40, 63, "https://t.co/AbCdEfGhIj")
    assert link.display_url == "arxiv.org/abs/2402.01001"
    # The second post's hashtag is not in its text: it is dropped, its two links kept.
    assert [e.kind for e in posts["1754636900000000002"].entities.items] == ["urls", "urls"]
    tweet = {
        "id": "7",
        "text": "Q&amp;A: a &lt; b @ada https://t.co/x",
        "entities": {
            "urls": [{"start": 26, "end": 38, "url": "https://t.co/x",
                      "expanded_url": "https://arxiv.org/abs/2402.01001"}],
            "mentions": [{"start": 22, "end": 26, "username": "ada"}],
        },
        "public_metrics": {"retweet_count": 1, "reply_count": 0, "like_count": 2, "quote_count": 0},
    }  # fmt: skip
    (post,) = parse(json.dumps({"data": [tweet]}), MONDAY_MORNING).batch.posts
    assert post.text == "Q&A: a < b @ada https://t.co/x"
    assert [post.text[e.start : e.end] for e in post.entities.items] == ["@ada", "https://t.co/x"]


def test_a_lone_surrogate_in_an_entity_is_cleaned_so_the_batch_can_be_stored() -> None:
    answer = json.loads(read_payload("x_recent_search.json"))
    (link,) = answer["data"][0]["entities"]["urls"]
    link["display_url"] = "arxiv.org/abs/\ud800\x1b[2J"
    page = parse(json.dumps(answer), MONDAY_MORNING)
    post = next(p for p in page.batch.posts if p.post_id == answer["data"][0]["id"])
    (entity,) = post.entities.items
    assert entity.display_url == "arxiv.org/abs/\ufffd[2J"
    store = Store(":memory:")
    store.ingest([], page.batch.posts, [], seen_at=MONDAY_MORNING)  # no UnicodeEncodeError
    store.close()
