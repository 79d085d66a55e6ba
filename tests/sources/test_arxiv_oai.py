"""OAI-PMH arXivRaw catch-up."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import parse_qs

import httpx
import pytest

from bot.sources.arxiv_oai import catch_up, oai_sets, parse
from bot.sources.base import ParseError, SourceError
from bot.sources.orchestrator import make_http

from .conftest import FakeClock, Router, make_settings, payload_response, read_payload

OAI = "oai.arxiv.test"


def test_records_parse_with_versions_dates_and_authors() -> None:
    page = parse(read_payload("arxiv_oai_records.xml"))
    papers = {p.arxiv_id: (p, n) for p, n in page.papers}
    scaling, versions = papers["2310.12345"]
    assert versions == 3 and scaling.version == 3
    assert scaling.published == datetime(2023, 10, 18, 17, 0, 1, tzinfo=UTC)
    assert scaling.updated == datetime(2024, 2, 2, 16, 20, tzinfo=UTC)
    assert scaling.categories == ("stat.ML", "cs.LG")
    smoe, _ = papers["2402.01001"]
    assert smoe.authors == ("Ada Lovelace", "Grace Hopper", "Alan Turing")
    assert smoe.title == "Sparse Mixtures of Experts Learn Faster Than You Think"


def test_deleted_records_are_skipped_and_the_token_is_read() -> None:
    page = parse(read_payload("arxiv_oai_records.xml"))
    assert "2402.03003" not in {p.arxiv_id for p, _ in page.papers}
    assert page.token == "6960524|1001"


def test_no_records_match_is_an_empty_page() -> None:
    page = parse(read_payload("arxiv_oai_no_records.xml"))
    assert page.papers == () and page.token is None


def test_other_oai_errors_raise() -> None:
    payload = (
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        b'<error code="badArgument">Illegal date</error></OAI-PMH>'
    )
    with pytest.raises(SourceError, match="OAI-PMH error badArgument: Illegal date"):
        parse(payload)


def test_missing_list_records_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no ListRecords"):
        parse(b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"/>')


def test_sets_cover_the_categories() -> None:
    assert oai_sets(("cs.LG", "cs.CL", "stat.ML", "hep-th", "math.CO")) == (
        "cs",
        "stat",
        "physics:hep-th",
        "math",
    )


async def test_catch_up_follows_tokens_filters_categories_and_marks_new_papers(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    router.add(
        OAI,
        "/oai",
        payload_response("arxiv_oai_records.xml"),
        payload_response("arxiv_oai_last_page.xml"),
    )
    http = make_http(client, make_settings(), clock)
    papers, dropped = await catch_up(
        http, "https://oai.arxiv.test/oai", date(2024, 2, 5), ("cs.LG",)
    )
    assert dropped.count == 0
    by_id = {p.arxiv_id: p for p in papers}
    assert set(by_id) == {"2402.01001", "2310.12345", "2402.00500"}  # cs.PL paper left out
    assert by_id["2402.01001"].announced == date(2024, 2, 5)
    assert by_id["2310.12345"].announced is None  # a replacement, dated by its first version
    first, second = (parse_qs(s.request.url.query.decode()) for s in router.seen)
    assert first["metadataPrefix"] == ["arXivRaw"] and first["set"] == ["cs"]
    assert first["from"] == ["2024-02-04"] and first["until"] == ["2024-02-05"]
    assert second == {"verb": ["ListRecords"], "resumptionToken": ["6960524|1001"]}
    assert router.seen[1].at - router.seen[0].at >= 3.0  # OAI is arXiv too: spaced
