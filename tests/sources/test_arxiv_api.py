"""The arXiv API: Atom parsing, 100-id batches, the error feed and silently dropped ids."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest

from bot.sources.arxiv_api import fetch_papers, parse, parse_page
from bot.sources.base import SourceError
from bot.sources.orchestrator import make_http

from .conftest import FakeClock, Router, make_settings, payload_response, read_payload

API = "export.arxiv.test"


def test_entries_become_papers_with_primary_category_first() -> None:
    papers = {p.arxiv_id: p for p in parse(read_payload("arxiv_api_listing.xml"))}
    scaling = papers["2310.12345"]
    assert scaling.categories == ("stat.ML", "cs.LG")
    assert scaling.primary_category == "stat.ML"
    assert scaling.comment == "v3: camera-ready for ICLR 2024"


def test_multi_version_paper_keeps_first_version_date_and_latest_version() -> None:
    scaling = {p.arxiv_id: p for p in parse(read_payload("arxiv_api_listing.xml"))}["2310.12345"]
    assert scaling.version == 3
    assert scaling.published == datetime(2023, 10, 18, 17, 0, 1, tzinfo=UTC)
    assert scaling.updated == datetime(2024, 2, 2, 16, 20, tzinfo=UTC)
    assert scaling.pdf_url == "https://arxiv.org/pdf/2310.12345"


def test_whitespace_in_titles_and_abstracts_is_collapsed() -> None:
    first = parse(read_payload("arxiv_api_listing.xml"))[0]
    assert first.title == "Sparse Mixtures of Experts Learn Faster Than You Think"
    assert first.abstract == (
        "We study sparse mixtures of experts and show that routing entropy predicts "
        "sample efficiency."
    )
    assert first.authors == ("Ada Lovelace", "Grace Hopper", "Alan Turing")


def test_old_style_id() -> None:
    (paper,) = parse(read_payload("arxiv_api_old_style.xml"))
    assert paper.arxiv_id == "hep-th/9901001"
    assert paper.version == 1 and paper.primary_category == "hep-th"


def test_empty_result_is_no_papers() -> None:
    assert parse(read_payload("arxiv_api_empty.xml")) == ()


def test_error_feed_raises_its_message() -> None:
    with pytest.raises(SourceError, match=r"incorrect id format for 1234\.1234567"):
        parse(read_payload("arxiv_api_error.xml"))


def test_an_entry_without_times_is_dropped_and_counted() -> None:
    bad = (
        read_payload("arxiv_api_old_style.xml")
        .replace(b"<published>", b"<x>")
        .replace(b"</published>", b"</x>")
    )
    papers, dropped = parse_page(bad)
    assert papers == ()
    assert dropped.count == 1 and dropped.reasons[0] == "entry[0]: no <published>"


async def test_ids_are_asked_100_at_a_time_with_max_results(clock: FakeClock) -> None:
    asked: list[list[str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        query = parse_qs(request.url.query.decode())
        ids = query["id_list"][0].split(",")
        assert query["max_results"] == [str(len(ids))]  # the default of 10 would cut the list
        asked.append(ids)
        return httpx.Response(200, content=_feed(ids))

    router = Router(clock)
    router.add(API, "/api/query", answer)
    client = httpx.AsyncClient(transport=httpx.MockTransport(router))
    http = make_http(client, make_settings(), clock)
    ids = [f"2402.{n:05d}" for n in range(1, 251)]
    found = await fetch_papers(http, "https://export.arxiv.test/api/query", ids)
    assert [len(a) for a in asked] == [100, 100, 50]
    assert list(found.papers) == ids and found.missing == []


async def test_silently_dropped_ids_are_asked_once_more_then_reported(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(
        API,
        "/api/query",
        payload_response("arxiv_api_listing.xml"),
        payload_response("arxiv_api_empty.xml"),
    )
    http = make_http(client, make_settings(), clock)
    ids = ["2402.01001", "2402.01002", "2402.00500", "2310.12345", "2305.00001"]
    found = await fetch_papers(http, "https://export.arxiv.test/api/query", ids)
    assert found.missing == ["2402.01002"]
    assert set(found.papers) == set(ids) - {"2402.01002"}
    second = parse_qs(router.seen[1].request.url.query.decode())
    assert second["id_list"] == ["2402.01002"]


async def test_http_400_error_feed_becomes_the_source_error(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(API, "/api/query", payload_response("arxiv_api_error.xml", status=400))
    http = make_http(client, make_settings(), clock)
    with pytest.raises(SourceError, match="arXiv API error: incorrect id format"):
        await fetch_papers(http, "https://export.arxiv.test/api/query", ["2402.01001"])


def _feed(ids: list[str]) -> bytes:
    """A minimal valid API feed holding the given ids."""
    entries = "".join(
        f"<entry><id>http://arxiv.org/abs/{i}v1</id><updated>2024-02-01T00:00:00Z</updated>"
        f"<published>2024-02-01T00:00:00Z</published><title>Paper {i}</title>"
        "<summary>s</summary><author><name>A</name></author></entry>"
        for i in ids
    )
    return f'<feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'.encode()
