"""The arXiv source: feed, API enrichment, reconciliation, conditional GET, calendar, catch-up."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx

from bot.sources.arxiv import fetch

from .conftest import (
    FakeClock,
    Router,
    make_context,
    make_settings,
    payload_response,
    respond,
)

RSS, API, OAI = "rss.arxiv.test", "export.arxiv.test", "oai.arxiv.test"
FEED_PATH = "/rss/cs.LG+cs.CL"


def _listing_routes(router: Router) -> None:
    router.add(RSS, FEED_PATH, payload_response("arxiv_rss_listing.xml", ETag='"abc"'))
    router.add(
        API,
        "/api/query",
        payload_response("arxiv_api_listing.xml"),
        payload_response("arxiv_api_empty.xml"),  # asked again, 2402.01002 stays dropped
    )


async def test_listing_is_enriched_through_the_api(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    _listing_routes(router)
    result = await fetch(make_context(client, clock))
    papers = {p.arxiv_id: p for p in result.batch.papers}
    assert set(papers) == {"2402.01001", "2402.01002", "2402.00500", "2310.12345", "2305.00001"}
    smoe = papers["2402.01001"]
    assert smoe.comment.startswith("12 pages")
    assert smoe.published == datetime(2024, 2, 1, 18, 59, 59, tzinfo=UTC)
    assert smoe.announced == date(2024, 2, 5)
    assert papers["2402.00500"].primary_category == "cs.RO"  # a cross-list keeps its primary
    assert papers["2310.12345"].announced is None  # replacements are not new


async def test_ids_the_api_drops_keep_the_feed_metadata_and_are_reported(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    _listing_routes(router)
    result = await fetch(make_context(client, clock))
    dropped = next(p for p in result.batch.papers if p.arxiv_id == "2402.01002")
    assert dropped.title.startswith("Tokenizers Are Not Neutral")
    assert dropped.authors == ("Noam Chomsky", "Barbara Partee")
    assert dropped.announced == date(2024, 2, 5)
    assert "1 kept from the feed alone" in result.note


async def test_the_feed_is_fetched_for_the_configured_categories_then_spaced_api_calls(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    _listing_routes(router)
    await fetch(make_context(client, clock))
    hosts = [s.request.url.host for s in router.seen]
    assert hosts == [RSS, API, API]
    assert router.seen[1].at - router.seen[0].at >= 3.0
    assert router.seen[2].at - router.seen[1].at >= 3.0


async def test_replacements_can_be_left_out(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    _listing_routes(router)
    settings = make_settings(arxiv_replacements=False)
    result = await fetch(make_context(client, clock, settings))
    assert {p.arxiv_id for p in result.batch.papers} == {"2402.01001", "2402.01002", "2402.00500"}


async def test_the_etag_is_kept_and_sent_back(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    _listing_routes(router)
    result = await fetch(make_context(client, clock))
    assert result.cursor["etag"] == '"abc"'
    assert result.cursor["listing"] == "2024-02-05"
    router.add(RSS, FEED_PATH, respond(304))
    again = await fetch(make_context(client, clock, cursor=dict(result.cursor)))
    assert router.seen[-1].request.headers["if-none-match"] == '"abc"'
    assert again.batch.empty and again.note == "feed unchanged since the last fetch"
    assert again.cursor == result.cursor


async def test_a_weekend_date_is_not_an_error_and_asks_nothing(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    result = await fetch(make_context(client, clock, day=date(2024, 2, 10)))
    assert result.batch.empty
    assert result.note == "no listing dated 2024-02-10: arXiv does not announce on Friday evenings"
    assert router.seen == []


async def test_a_configured_holiday_is_not_an_error(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    settings = make_settings(arxiv_holidays=(date(2024, 12, 24),))
    result = await fetch(make_context(client, clock, settings, day=date(2024, 12, 25)))
    assert result.batch.empty and "holiday" in result.note and router.seen == []


async def test_an_empty_feed_is_not_an_error(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(RSS, FEED_PATH, payload_response("arxiv_rss_empty.xml"))
    result = await fetch(make_context(client, clock))
    assert result.batch.empty
    assert result.note == "no announcements in the feed of 2024-12-25"


async def test_a_feed_behind_the_announcement_says_when_the_next_appears(
    router: Router,
) -> None:
    # Monday 21:00 US Eastern: Tuesday's listing is announced, the feed still shows Monday's.
    clock = FakeClock(datetime(2024, 2, 6, 2, 0, tzinfo=UTC))
    router.clock = clock
    _listing_routes(router)
    client = httpx.AsyncClient(transport=httpx.MockTransport(router))
    result = await fetch(make_context(client, clock))
    assert len(result.batch.papers) == 5
    assert "the listing of 2024-02-06 is not in the feed yet" in result.note


async def test_a_future_date_is_not_out_yet(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    _listing_routes(router)
    result = await fetch(make_context(client, clock, day=date(2024, 2, 6)))
    assert result.batch.empty and result.note == "the listing of 2024-02-06 is not out yet"


async def test_a_past_date_is_caught_up_through_oai(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(RSS, FEED_PATH, payload_response("arxiv_rss_listing.xml", ETag='"new"'))
    router.add(
        OAI,
        "/oai",
        payload_response("arxiv_oai_records.xml"),
        payload_response("arxiv_oai_last_page.xml"),
    )
    old_cursor = {"etag": '"old"'}
    ctx = make_context(client, clock, day=date(2024, 2, 2), cursor=old_cursor)
    result = await fetch(ctx)
    assert {p.arxiv_id for p in result.batch.papers} == {"2402.01001", "2310.12345", "2402.00500"}
    assert "OAI-PMH" in result.note
    assert result.cursor == old_cursor  # the feed's content was not stored, so its ETag is not


async def test_a_day_older_than_the_stored_feed_goes_straight_to_oai(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(OAI, "/oai", payload_response("arxiv_oai_no_records.xml"))
    cursor = {"etag": '"v"', "listing": "2024-02-05"}
    result = await fetch(make_context(client, clock, day=date(2024, 2, 1), cursor=cursor))
    assert [s.request.url.host for s in router.seen] == [OAI]
    assert result.batch.empty and result.cursor == cursor


async def test_the_etag_is_not_sent_when_asking_for_another_listing(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    _listing_routes(router)
    cursor = {"etag": '"v"', "listing": "2024-02-02"}
    result = await fetch(make_context(client, clock, day=date(2024, 2, 5), cursor=cursor))
    assert "if-none-match" not in router.seen[0].request.headers
    assert len(result.batch.papers) == 5
