"""`hotpapers digest` fetches first only when nothing is fresh, and fails clearly offline."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from bot.config import load_settings
from bot.freshness import OfflineError, _reachable, ensure_fresh, is_fresh
from bot.store import Store
from tests.factories import NOW, paper, post

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = load_settings(ROOT / "config/hotpapers.toml", environ={})


def offline(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)


def counting() -> tuple[list[str], httpx.MockTransport]:
    """A transport that records the hosts asked and answers 503 (no data)."""
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(404)

    return hosts, httpx.MockTransport(handler)


def test_a_store_with_todays_papers_and_recent_observations_is_fresh() -> None:
    store = Store()
    assert not is_fresh(store, NOW, NOW.date())
    store.ingest([paper()], [post()], seen_at=NOW)
    assert is_fresh(store, NOW, NOW.date())
    assert not is_fresh(store, NOW + timedelta(hours=7), NOW.date())


def test_a_fresh_store_or_a_past_day_is_not_fetched_again() -> None:
    store = Store()
    store.ingest([paper()], [post()], seen_at=NOW)
    hosts, transport = counting()
    ensure_fresh(store, SETTINGS, NOW, None, transport=transport)
    ensure_fresh(Store(), SETTINGS, NOW, date(2021, 6, 25), transport=transport)
    assert hosts == []


def test_an_empty_store_offline_fails_with_one_line_naming_the_host() -> None:
    with pytest.raises(OfflineError) as caught:
        ensure_fresh(Store(), SETTINGS, NOW, None, transport=httpx.MockTransport(offline))
    message = str(caught.value)
    assert message.startswith("cannot reach rss.arxiv.org (Name or service not known)")
    assert "--snapshot examples/hot-papers-2021-06-25.json" in message and "\n" not in message


def test_a_stale_store_offline_is_ranked_as_it_is() -> None:
    store = Store()
    store.ingest([paper()], [post()], seen_at=NOW)
    before = store.counts()
    # No OfflineError: stale data is still worth a digest, and nothing is lost.
    ensure_fresh(
        store, SETTINGS, NOW + timedelta(days=2), None, transport=httpx.MockTransport(offline)
    )
    assert store.counts() == before


def test_a_stale_store_online_runs_every_enabled_source_once() -> None:
    hosts, transport = counting()
    ensure_fresh(Store(), SETTINGS, NOW, None, transport=transport)
    assert {"rss.arxiv.org", "huggingface.co", "hn.algolia.com"} <= set(hosts)


def test_a_host_trickling_its_headers_counts_as_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def trickle(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()  # never a whole answer
        raise AssertionError("unreachable")

    monkeypatch.setattr("bot.freshness.REACH_SECONDS", 0.1)
    client = httpx.AsyncClient(transport=httpx.MockTransport(trickle))
    why = asyncio.run(_reachable(client, "https://rss.arxiv.test/rss/"))
    assert why == "no answer within 0.1 s"
