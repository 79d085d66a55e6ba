"""Hacker News through Algolia."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest

from bot.models import SocialPost
from bot.sources.base import ParseError
from bot.sources.hackernews import fetch, parse

from .conftest import MONDAY_MORNING, FakeClock, Router, make_context, read_payload


def _posts() -> dict[str, SocialPost]:
    page = parse(read_payload("hn_algolia.json"), MONDAY_MORNING)
    return {p.post_id: p for p in page.batch.posts}


def test_stories_linking_abs_and_pdf_urls_become_posts() -> None:
    posts = _posts()
    assert set(posts) == {"39260001", "39259990", "39258000"}  # the /list/ page links no paper
    top = posts["39260001"]
    assert top.arxiv_ids == ("2402.01001",)
    assert top.likes == 211 and top.replies == 48 and top.reposts == 0
    assert top.url == "https://news.ycombinator.com/item?id=39260001"
    assert top.created_at == datetime(2024, 2, 5, 14, 3, 12, tzinfo=UTC)


def test_pdf_and_export_urls_are_normalised() -> None:
    posts = _posts()
    assert posts["39259990"].arxiv_ids == ("2310.12345",)
    assert posts["39258000"].arxiv_ids == ("2402.00500",)


def test_null_counts_are_zero() -> None:
    assert _posts()["39258000"].replies == 0


def test_page_meta() -> None:
    page = parse(read_payload("hn_algolia.json"), MONDAY_MORNING)
    assert (page.hits, page.total, page.oldest) == (4, 4, 1707123600)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"hits": {}}', "hits: expected an array"),
        ('{"nbHits": 1}', "hits: missing"),
    ],
)
def test_malformed_answers_raise_a_parse_error(payload: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(payload, MONDAY_MORNING)


GOOD_HIT = {
    "objectID": "7",
    "created_at_i": 1707100000,
    "url": "https://arxiv.org/abs/2402.01001",
    "title": "Good",
    "points": 3,
}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"objectID": "1", "created_at_i": "soon"}, r"hits\[0\]\.created_at_i"),
        ({**GOOD_HIT, "objectID": 5}, r"hits\[0\]\.objectID: expected a string"),
        ({**GOOD_HIT, "objectID": "6", "points": -4}, r"hits\[0\]\.points: a count cannot be"),
        ({**GOOD_HIT, "objectID": "6", "title": ["x"]}, r"hits\[0\]\.title"),
    ],
)
def test_a_malformed_hit_is_dropped_and_counted_and_the_rest_of_the_page_kept(
    bad: dict[str, object], reason: str
) -> None:
    page = parse(json.dumps({"hits": [bad, GOOD_HIT]}), MONDAY_MORNING)
    assert [p.post_id for p in page.batch.posts] == ["7"]
    assert page.batch.dropped.count == 1
    assert re.search(reason, page.batch.dropped.reasons[0])
    assert page.hits == 2


def test_a_lone_surrogate_or_control_characters_in_a_title_are_cleaned_not_fatal() -> None:
    hit = {**GOOD_HIT, "title": "Caf\ud800 \x1b[31mred\x07 \u202eevil"}
    page = parse(json.dumps({"hits": [hit]}), MONDAY_MORNING)  # JSON escapes: \ud800, \u001b
    assert page.batch.dropped.count == 0
    assert page.batch.posts[0].text == "Caf\ufffd [31mred evil"


async def test_fetch_asks_for_arxiv_stories_since_the_lookback(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(
        "hn.test",
        "/api/v1/search_by_date",
        lambda r: httpx.Response(200, content=read_payload("hn_algolia.json")),
    )
    result = await fetch(make_context(client, clock, source="hackernews"))
    query = parse_qs(router.seen[0].request.url.query.decode())
    since = int((MONDAY_MORNING - timedelta(hours=48)).timestamp())
    assert query["query"] == ["arxiv.org"] and query["tags"] == ["story"]
    assert query["restrictSearchableAttributes"] == ["url"]
    assert query["numericFilters"] == [f"created_at_i>{since}"]
    assert len(result.batch.posts) == 3
    assert result.cursor == {"since": "2024-02-05T14:00:00Z"}


async def test_fetch_catches_up_since_an_older_last_fetch(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(
        "hn.test", "/api/v1/search_by_date", lambda r: httpx.Response(200, content=b'{"hits": []}')
    )
    cursor = {"since": "2024-02-01T00:00:00Z"}
    await fetch(make_context(client, clock, source="hackernews", cursor=cursor))
    query = parse_qs(router.seen[0].request.url.query.decode())
    assert query["numericFilters"] == [
        f"created_at_i>{int(datetime(2024, 2, 1, tzinfo=UTC).timestamp())}"
    ]


async def test_fetch_narrows_by_time_past_a_full_page(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    first = [_hit(n, 1707100000 + n) for n in range(1000)]
    second = [_hit(2000, 1707000000)]
    pages = [
        json.dumps({"hits": first, "nbHits": 1001}),
        json.dumps({"hits": second, "nbHits": 1}),
    ]
    router.add(
        "hn.test",
        "/api/v1/search_by_date",
        *(lambda r, b=b: httpx.Response(200, text=b) for b in pages),
    )
    result = await fetch(make_context(client, clock, source="hackernews"))
    filters = [parse_qs(s.request.url.query.decode())["numericFilters"][0] for s in router.seen]
    assert filters[1].endswith(",created_at_i<=1707100000")
    assert len(result.batch.posts) == 1001


def _hit(n: int, created: int) -> dict[str, object]:
    return {
        "objectID": str(n),
        "created_at_i": created,
        "url": f"https://arxiv.org/abs/2402.{n:05d}",
        "points": 1,
        "num_comments": 0,
        "title": f"Story {n}",
        "author": "a",
    }
