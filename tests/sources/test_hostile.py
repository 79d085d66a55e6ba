"""Sources against a hostile server on a real socket: every bound holds, the others still store."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bot.sources.http import make_client
from bot.sources.orchestrator import fetch_sources
from bot.sources.report import FetchReport, SourceReport
from bot.store import Store

from .conftest import make_settings, read_payload
from .hostile import (
    HostileServer,
    answer,
    gzip_bomb,
    huge_body,
    redirect,
    retry_after_storm,
    slow_loris,
    utf16_doctype,
)

FREE = ("arxiv", "huggingface", "hackernews")


@dataclass
class Hosts:
    """One server per source, so each is its own host (arXiv's is spaced, the others not)."""

    arxiv: HostileServer
    hf: HostileServer
    hn: HostileServer


@pytest.fixture
def hosts() -> Iterator[Hosts]:
    """Every source answering well until a test makes one hostile."""
    with HostileServer() as arxiv, HostileServer() as hf, HostileServer() as hn:
        arxiv.route("/rss/cs.LG+cs.CL", answer(200, read_payload("arxiv_rss_listing.xml")))
        arxiv.route("/api/query", answer(200, read_payload("arxiv_api_listing.xml")))
        hf.route("/hf/daily_papers", answer(200, read_payload("hf_daily_papers.json")))
        hn.route("/hn/search_by_date", answer(200, read_payload("hn_algolia.json")))
        yield Hosts(arxiv, hf, hn)


def settings_for(hosts: Hosts, **sources: Any) -> Any:
    env = {
        "arxiv_rss_url": hosts.arxiv.url("/rss/"),
        "arxiv_api_url": hosts.arxiv.url("/api/query"),
        "hf_api_url": hosts.hf.url("/hf"),
        "hn_api_url": hosts.hn.url("/hn"),
    }
    values: dict[str, Any] = {
        "enabled": FREE,
        "arxiv_delay_seconds": 0,
        "arxiv_lookup_max": 0,
        "huggingface_lookback_days": 0,
        "max_retries": 2,
        "retry_base_seconds": 0.01,
        "request_deadline_seconds": 1.0,
        "source_deadline_seconds": 3.0,
    }
    return make_settings(env=env, **{**values, **sources})


async def fetch(store: Store, settings: Any) -> FetchReport:
    async with make_client(settings.config.sources) as client:
        return await fetch_sources(store, settings, client)


def by_source(report: FetchReport) -> dict[str, SourceReport]:
    return {r.source: r for r in report.sources}


def assert_the_others_stored(report: FetchReport, store: Store, failed: str) -> None:
    assert [r.source for r in report.failed] == [failed]
    assert set(report.contributed) == set(FREE) - {failed}
    counts = store.counts()
    assert counts["papers"] == 5 if failed != "arxiv" else counts["papers"] == 0
    assert (counts["posts"] > 0) == (failed != "hackernews")
    assert (counts["signals"] > 0) == (failed != "huggingface")


async def test_a_slow_loris_fails_its_source_at_the_request_deadline(
    hosts: Hosts, store: Store
) -> None:
    hosts.hn.route("/hn/search_by_date", slow_loris(interval=2.0))
    report = await fetch(store, settings_for(hosts))
    hn = by_source(report)["hackernews"]
    assert hn.detail == (
        f"waiting for 127.0.0.1:{hosts.hn.port} to answer would pass the 1 s request deadline"
    )
    assert hosts.hn.hits["/hn/search_by_date"] == 1  # a deadline is not retried
    assert_the_others_stored(report, store, "hackernews")


async def test_a_slow_loris_cannot_outlast_the_source_deadline_either(
    hosts: Hosts, store: Store
) -> None:
    hosts.hn.route("/hn/search_by_date", slow_loris(interval=0.1))
    settings = settings_for(hosts, request_deadline_seconds=60.0, source_deadline_seconds=1.0)
    report = await fetch(store, settings)
    assert "the source's 1 s deadline" in by_source(report)["hackernews"].detail
    assert_the_others_stored(report, store, "hackernews")


async def test_a_gzip_bomb_is_stopped_at_the_size_limit(hosts: Hosts, store: Store) -> None:
    hosts.hf.route("/hf/daily_papers", gzip_bomb(64 << 20))
    report = await fetch(store, settings_for(hosts, max_response_mb={"huggingface": 1.0}))
    hf = by_source(report)["huggingface"]
    assert (
        hf.detail == f"the answer from 127.0.0.1:{hosts.hf.port} is larger than 1 MB decompressed"
    )
    assert hosts.hf.hits["/hf/daily_papers"] == 1
    assert_the_others_stored(report, store, "huggingface")


@pytest.mark.parametrize("announce", [True, False])
async def test_a_huge_body_is_refused_at_the_size_limit(
    hosts: Hosts, store: Store, announce: bool
) -> None:
    hosts.hn.route("/hn/search_by_date", huge_body(50_000_000, announce=announce))
    report = await fetch(store, settings_for(hosts, max_response_mb={"hackernews": 2.0}))
    detail = by_source(report)["hackernews"].detail
    assert detail.startswith(f"the answer from 127.0.0.1:{hosts.hn.port} is larger than 2 MB")
    assert ("announces 50 MB" in detail) == announce
    assert_the_others_stored(report, store, "hackernews")


async def test_a_redirect_to_another_host_is_refused_not_followed(
    hosts: Hosts, store: Store
) -> None:
    elsewhere = hosts.hn.url("/hn/elsewhere", host="localhost")
    hosts.hn.route("/hn/search_by_date", redirect(elsewhere))
    hosts.hn.route("/hn/elsewhere", answer(200, read_payload("hn_algolia.json")))
    report = await fetch(store, settings_for(hosts))
    assert by_source(report)["hackernews"].detail.startswith(
        f"redirect from 127.0.0.1 to another host refused ('{elsewhere}')"
    )
    assert hosts.hn.hits["/hn/elsewhere"] == 0 and hosts.hn.hits["/hn/search_by_date"] == 1
    assert_the_others_stored(report, store, "hackernews")


async def test_an_allowed_redirect_host_is_followed(hosts: Hosts, store: Store) -> None:
    elsewhere = hosts.hn.url("/hn/elsewhere", host="localhost")
    hosts.hn.route("/hn/search_by_date", redirect(elsewhere, 301))
    hosts.hn.route("/hn/elsewhere", answer(200, read_payload("hn_algolia.json")))
    report = await fetch(store, settings_for(hosts, redirect_hosts=("localhost",)))
    assert report.ok and by_source(report)["hackernews"].posts == 3


async def test_a_redirect_to_a_file_is_refused_once_not_retried(hosts: Hosts, store: Store) -> None:
    hosts.hf.route("/hf/daily_papers", redirect("file:///etc/passwd"))
    report = await fetch(store, settings_for(hosts, max_retries=4))
    assert by_source(report)["huggingface"].detail == (
        "redirect to 'file:///etc/passwd' refused: only http(s) is followed"
    )
    assert hosts.hf.hits["/hf/daily_papers"] == 1
    assert_the_others_stored(report, store, "huggingface")


async def test_a_retry_after_longer_than_the_deadline_fails_at_once(
    hosts: Hosts, store: Store
) -> None:
    hosts.hn.route("/hn/search_by_date", retry_after_storm(299))
    report = await fetch(store, settings_for(hosts, max_retries=4))
    assert by_source(report)["hackernews"].detail == (
        f"HTTP 503 from 127.0.0.1:{hosts.hn.port}; waiting the 299 s the server asked"
        " would pass the 1 s request deadline"
    )
    assert hosts.hn.hits["/hn/search_by_date"] == 1
    assert_the_others_stored(report, store, "hackernews")


async def test_a_retry_after_storm_gets_its_retries_and_no_more(hosts: Hosts, store: Store) -> None:
    hosts.hn.route("/hn/search_by_date", retry_after_storm(0, status=429))
    report = await fetch(store, settings_for(hosts, max_retries=2))
    assert by_source(report)["hackernews"].detail == (
        f"HTTP 429 from 127.0.0.1:{hosts.hn.port} after 3 attempts"
    )
    assert hosts.hn.hits["/hn/search_by_date"] == 3
    assert_the_others_stored(report, store, "hackernews")


async def test_a_utf16_feed_with_a_document_type_is_refused(hosts: Hosts, store: Store) -> None:
    hosts.arxiv.route("/rss/cs.LG+cs.CL", utf16_doctype())
    report = await fetch(store, settings_for(hosts))
    assert by_source(report)["arxiv"].detail == ("XML with a document type declaration is refused")
    assert_the_others_stored(report, store, "arxiv")


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_offline_every_source_fails_fast_with_one_line_per_host(store: Store) -> None:
    ports = {name: closed_port() for name in ("rss", "hf", "hn")}
    env = {
        "arxiv_rss_url": f"http://127.0.0.1:{ports['rss']}/rss/",
        "hf_api_url": f"http://127.0.0.1:{ports['hf']}/hf",
        "hn_api_url": f"http://127.0.0.1:{ports['hn']}/hn",
    }
    settings = make_settings(
        env=env, enabled=FREE, huggingface_lookback_days=3, max_retries=4, retry_base_seconds=0.05
    )
    async with make_client(settings.config.sources) as client:
        report = await fetch_sources(store, settings, client)
    reasons = sorted(r.detail for r in report.failed)
    assert reasons == sorted(
        f"cannot reach 127.0.0.1:{port} (Connection refused)" for port in ports.values()
    )
    assert report.contributed == ()


async def test_the_client_factory_sets_the_user_agent_and_follows_no_redirect(
    hosts: Hosts,
) -> None:
    hosts.hn.route("/r", redirect("/elsewhere"))
    async with make_client(settings_for(hosts).config.sources) as client:
        response = await client.get(hosts.hn.url("/r"))
    assert response.status_code == 302  # PoliteHttp follows redirects, after checking them
    assert isinstance(client.timeout, httpx.Timeout) and client.timeout.read == 30.0
    assert client.headers["user-agent"].startswith("hotpapers/")
