"""The orchestrator: sources side by side, failures isolated, batches stored all or nothing."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sqlite3
from dataclasses import replace
from urllib.parse import parse_qs

import httpx
import pytest

from bot.sources import orchestrator
from bot.sources.base import FetchContext, FetchResult
from bot.sources.health import load_cursor, read_health, read_refreshes
from bot.sources.orchestrator import Refresher, UnknownSourceError, fetch_sources, refresh
from bot.sources.registry import registered
from bot.store import Store

from .conftest import FakeClock, Router, make_settings, payload_response, read_payload, respond

RSS, API = "rss.arxiv.test", "export.arxiv.test"
FREE = ("arxiv", "huggingface", "hackernews")  # the sources that need no credentials


def api_entries(dropped: frozenset[str] = frozenset()) -> httpx.Response | object:
    """An API handler answering every asked id (except dropped ones) with a minimal entry."""

    def answer(request: httpx.Request) -> httpx.Response:
        ids = parse_qs(request.url.query.decode())["id_list"][0].split(",")
        entries = "".join(
            f"<entry><id>http://arxiv.org/abs/{i}v2</id><updated>2024-02-02T00:00:00Z</updated>"
            f"<published>2024-01-20T00:00:00Z</published><title>Title of {i}</title>"
            f"<summary>Abstract.</summary><author><name>Author</name></author>"
            f'<category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/></entry>'
            for i in ids
            if i not in dropped
        )
        return httpx.Response(
            200, text=f'<feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'
        )

    return answer


def hf_answer(request: httpx.Request) -> httpx.Response:
    """Daily papers on the Monday, nothing on other days."""
    day = parse_qs(request.url.query.decode())["date"][0]
    body = read_payload("hf_daily_papers.json") if day == "2024-02-05" else b"[]"
    return httpx.Response(200, content=body)


@pytest.fixture
def live(router: Router) -> Router:
    """Every free source answering with its payload file."""
    router.add(RSS, "/rss/cs.LG+cs.CL", payload_response("arxiv_rss_listing.xml", ETag='"v1"'))
    router.add(API, "/api/query", api_entries(frozenset({"2402.01002"})))  # type: ignore[arg-type]
    router.add("hf.test", "/api/daily_papers", hf_answer)
    router.add("hn.test", "/api/v1/search_by_date", payload_response("hn_algolia.json"))
    return router


SETTINGS = make_settings(enabled=FREE, huggingface_lookback_days=1)


async def test_every_source_contributes_and_the_store_holds_it(
    live: Router, client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    report = await fetch_sources(store, SETTINGS, client, clock=clock)
    assert report.ok
    assert report.contributed == ("arxiv", "huggingface", "hackernews", "arxiv-lookup")
    counts = store.counts()
    assert counts["papers"] == 6  # five announced + one linked from Hugging Face, looked up
    assert counts["posts"] == 3 and counts["signals"] == 8
    assert store.get_paper("2401.17000") is not None
    api = [s.request for s in live.seen if s.request.url.host == API]
    asked = [parse_qs(r.url.query.decode())["id_list"][0] for r in api]
    assert asked[-1] == "2401.17000"  # the lookup asks only for what the listing lacks


async def test_one_source_failing_never_stops_the_others(
    live: Router, client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    live.add("hn.test", "/api/v1/search_by_date", respond(503))
    report = await fetch_sources(store, SETTINGS, client, clock=clock)
    (failed,) = report.failed
    assert failed.source == "hackernews"
    assert failed.detail == "HTTP 503 from hn.test after 5 attempts"
    assert {"arxiv", "huggingface"} <= set(report.contributed)
    assert store.counts()["posts"] == 0 and store.counts()["papers"] >= 5
    health = read_health(store)["hackernews"]
    assert health.last_status == "failed" and health.last_error == failed.detail
    assert "failed: hackernews (HTTP 503 from hn.test after 5 attempts)" in report.headline()


async def test_a_malformed_payload_stores_nothing_of_that_source(
    live: Router, client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    live.add("hn.test", "/api/v1/search_by_date", respond(200, '{"hits": {"not": "a list"}}'))
    report = await fetch_sources(store, SETTINGS, client, clock=clock)
    (failed,) = report.failed
    assert failed.detail == "hits: expected an array, got an object"
    assert store.counts()["posts"] == 0


async def test_a_malformed_record_is_dropped_counted_and_reported_and_the_rest_stored(
    live: Router, client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    hits = json.loads(read_payload("hn_algolia.json"))
    hits["hits"][0]["points"] = "lots"  # the first hit is bad; the other three are fine
    hits["hits"][1]["title"] = "Lone \ud800 surrogate"  # cleaned, not dropped
    live.add("hn.test", "/api/v1/search_by_date", respond(200, json.dumps(hits)))
    report = await fetch_sources(store, SETTINGS, client, clock=clock)
    assert report.ok
    (hn,) = (r for r in report.sources if r.source == "hackernews")
    assert hn.posts == 2 and hn.dropped.count == 1
    assert hn.summary().endswith(
        "1 malformed record dropped (hits[0].points: expected a number, got a string)"
    )
    assert store.counts()["posts"] == 2
    assert read_health(store)["hackernews"].dropped == 1


async def test_a_post_whose_link_would_not_be_http_is_dropped_and_counted_before_the_store(
    live: Router, client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    hits = json.loads(read_payload("hn_algolia.json"))
    hits["hits"][0]["objectID"] = "40 000"  # makes a link with a space in it
    live.add("hn.test", "/api/v1/search_by_date", respond(200, json.dumps(hits)))
    report = await fetch_sources(store, SETTINGS, client, clock=clock)
    (hn,) = (r for r in report.sources if r.source == "hackernews")
    assert hn.posts == 2 and hn.dropped.count == 1
    assert "post '40 000': not an http(s) URL" in hn.summary()
    assert store.counts()["posts"] == 2 and read_health(store)["hackernews"].dropped == 1


async def test_sources_without_credentials_are_skipped_and_say_why(
    live: Router, client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    everything = ("arxiv", "huggingface", "hackernews", "bluesky", "x", "reddit")
    settings = make_settings(enabled=everything, huggingface_lookback_days=0)  # no credentials
    report = await fetch_sources(store, settings, client, clock=clock)
    skipped = {r.source: r.detail for r in report.sources if r.status == "skipped"}
    assert set(skipped) == {"bluesky", "x", "reddit"}
    assert "BLUESKY_HANDLE" in skipped["bluesky"] and "X_BEARER_TOKEN" in skipped["x"]
    assert "REDDIT_CLIENT_ID" in skipped["reddit"]
    assert report.ok
    assert read_health(store)["x"].last_status == "skipped"
    assert {s.request.url.host for s in live.seen} == {RSS, API, "hf.test", "hn.test"}


async def test_bad_credentials_fail_that_source_only(
    live: Router, client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    live.add("x.test", "/2/tweets/search/recent", respond(401, '{"title": "Unauthorized"}'))
    settings = make_settings(
        env={"x_bearer_token": "wrong"}, enabled=(*FREE, "x"), huggingface_lookback_days=0
    )
    report = await fetch_sources(store, settings, client, clock=clock)
    assert [r.source for r in report.failed] == ["x"]
    assert report.failed[0].detail == "the bearer token was refused (HTTP 401)"


async def test_an_unexpected_error_in_a_source_is_contained(
    live: Router,
    client: httpx.AsyncClient,
    clock: FakeClock,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(ctx: object) -> object:
        raise KeyError("surprise")

    sources = registered()
    sources["huggingface"] = replace(sources["huggingface"], fetch=broken)  # type: ignore[arg-type]
    monkeypatch.setattr("bot.sources.orchestrator.registered", lambda: sources)
    with caplog.at_level(logging.ERROR, logger="hotpapers.sources"):
        report = await fetch_sources(store, SETTINGS, client, clock=clock)
    assert [(r.source, r.detail) for r in report.failed] == [
        ("huggingface", "unexpected KeyError: 'surprise'")
    ]
    assert "arxiv" in report.contributed and "hackernews" in report.contributed
    assert "huggingface failed unexpectedly" in caplog.text


async def test_cursors_advance_on_success_and_stay_on_failure(
    live: Router, client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    await fetch_sources(store, SETTINGS, client, clock=clock)
    assert load_cursor(store, "arxiv")["etag"] == '"v1"'
    assert load_cursor(store, "hackernews") == {"since": "2024-02-05T14:00:00Z"}
    live.add(RSS, "/rss/cs.LG+cs.CL", respond(500))
    live.add("hn.test", "/api/v1/search_by_date", respond(200, '{"hits": []}'))
    clock.elapsed += 3600
    report = await fetch_sources(store, SETTINGS, client, clock=clock)
    assert [r.source for r in report.failed] == ["arxiv"]
    assert load_cursor(store, "arxiv")["etag"] == '"v1"'
    assert load_cursor(store, "hackernews")["since"] > "2024-02-05T14:00:00Z"
    rss = [s.request for s in live.seen if s.request.url.host == RSS]
    assert rss[-1].headers["if-none-match"] == '"v1"'


async def test_rerunning_the_same_observation_changes_nothing(
    live: Router, client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    await fetch_sources(store, SETTINGS, client, clock=clock)
    first = store.counts()
    papers = list(store.iter_papers())
    clock.elapsed = 0.0  # the same observation time: a re-run, not a new observation
    await fetch_sources(store, SETTINGS, client, clock=clock)
    assert store.counts() == first and list(store.iter_papers()) == papers


async def test_only_the_named_sources_run(
    live: Router, client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    report = await fetch_sources(store, SETTINGS, client, clock=clock, only=["hackernews"])
    assert [r.source for r in report.sources] == ["hackernews"]
    assert {s.request.url.host for s in live.seen} == {"hn.test"}


async def test_an_unknown_source_name_is_refused(
    client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    with pytest.raises(UnknownSourceError, match="'mastodon' is not a source \\(sources: arxiv"):
        await fetch_sources(store, SETTINGS, client, clock=clock, only=["mastodon"])


async def test_lookup_is_skipped_when_arxiv_failed(
    live: Router, client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    live.add(RSS, "/rss/cs.LG+cs.CL", respond(404))
    report = await fetch_sources(store, SETTINGS, client, clock=clock)
    assert "arxiv-lookup" not in [r.source for r in report.sources]
    assert report.failed[0].detail.startswith("HTTP 404 from rss.arxiv.test")


async def test_ids_the_lookup_never_finds_are_given_up_after_three_runs(
    live: Router, client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    live.add(API, "/api/query", api_entries(frozenset({"2402.01002", "2401.17000"})))  # type: ignore[arg-type]
    for _ in range(4):
        await fetch_sources(store, SETTINGS, client, clock=clock)
    asked = [
        parse_qs(s.request.url.query.decode())["id_list"][0]
        for s in live.seen
        if s.request.url.host == API
    ]
    assert sum("2401.17000" in ids for ids in asked) == 3 * 2  # 3 runs, asked twice each run


async def test_arxiv_requests_of_a_whole_run_are_spaced(
    live: Router, client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    await fetch_sources(store, SETTINGS, client, clock=clock)
    starts = [s.at for s in live.seen if s.request.url.host in (RSS, API)]
    assert len(starts) >= 3
    assert all(b - a >= 3.0 for a, b in itertools.pairwise(starts))


async def test_refresh_runs_the_enabled_sources_and_logs_the_headline(
    live: Router,
    client: httpx.AsyncClient,
    clock: FakeClock,
    store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="hotpapers.sources"):
        report = await refresh(store, SETTINGS, client, clock=clock)
    assert report.ok and "fetch: contributed: arxiv, huggingface, hackernews" in caplog.text


async def test_a_later_run_adds_observations_for_growth(
    live: Router, client: httpx.AsyncClient, clock: FakeClock, store: Store
) -> None:
    await fetch_sources(store, SETTINGS, client, clock=clock)
    clock.elapsed += 3600
    await fetch_sources(store, SETTINGS, client, clock=clock)
    counts = store.counts()
    assert counts["posts"] == 3 and counts["post_observations"] == 6


async def test_a_failure_to_record_a_failure_still_reports_and_spares_the_others(
    live: Router,
    client: httpx.AsyncClient,
    clock: FakeClock,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(orchestrator, "record_failure", broken)
    live.add("hn.test", "/api/v1/search_by_date", respond(404))
    report = await fetch_sources(store, SETTINGS, client, clock=clock)
    assert [(r.source, r.detail) for r in report.failed] == [
        ("hackernews", "could not store the batch: database is locked")
    ]
    assert "arxiv" in report.contributed and "huggingface" in report.contributed


async def test_a_hung_source_fails_at_its_deadline_and_the_others_are_stored(
    live: Router,
    client: httpx.AsyncClient,
    clock: FakeClock,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def hang(ctx: object) -> object:
        await asyncio.Event().wait()  # a source stuck outside HTTP: only the backstop ends it
        raise AssertionError("unreachable")

    sources = registered()
    sources["hackernews"] = replace(sources["hackernews"], fetch=hang)  # type: ignore[arg-type]
    monkeypatch.setattr("bot.sources.orchestrator.registered", lambda: sources)
    settings = make_settings(
        enabled=FREE,
        huggingface_lookback_days=1,
        arxiv_delay_seconds=0,  # the fake clock would spend the 0.2 s on arXiv's spacing
        source_deadline_seconds=0.2,
    )
    report = await fetch_sources(store, settings, client, clock=clock)
    assert [(r.source, r.detail) for r in report.failed] == [
        ("hackernews", "stopped at the source's 0.2 s deadline")
    ]
    assert {"arxiv", "huggingface", "arxiv-lookup"} <= set(report.contributed)
    assert store.counts()["papers"] == 6
    assert read_health(store)["hackernews"].last_status == "failed"


async def test_a_refresh_due_while_one_runs_is_skipped_and_recorded(
    live: Router,
    client: httpx.AsyncClient,
    clock: FakeClock,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    original = registered()["hackernews"].fetch

    async def slow(ctx: FetchContext) -> FetchResult:
        started.set()
        await release.wait()
        return await original(ctx)

    sources = registered()
    sources["hackernews"] = replace(sources["hackernews"], fetch=slow)
    monkeypatch.setattr("bot.sources.orchestrator.registered", lambda: sources)
    refresher = Refresher(store, SETTINGS, client, clock=clock)
    first = asyncio.create_task(refresher())
    await started.wait()
    skipped = await refresher()
    assert skipped.skipped.startswith("the refresh started at 2024-02-05T14:00:00")
    assert skipped.headline().startswith("fetch: skipped: the refresh started at")
    release.set()
    report = await first
    assert report.ok and not report.skipped
    record = read_refreshes(store)
    assert record.skipped == 1 and record.last_skip_reason == skipped.skipped
    assert record.last_started is not None and record.last_finished is not None
    assert (await refresher()).ok  # the lock was let go: the next refresh runs
