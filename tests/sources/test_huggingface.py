"""Hugging Face Daily Papers."""

from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import parse_qs

import httpx
import pytest

from bot.models import SIGNAL_METRICS
from bot.sources.base import ParseError
from bot.sources.huggingface import fetch, parse

from .conftest import MONDAY_MORNING, FakeClock, Router, make_context, make_settings, read_payload


def _signals() -> dict[tuple[str, str], tuple[float, str]]:
    batch = parse(read_payload("hf_daily_papers.json"), MONDAY_MORNING)
    return {(s.arxiv_id, s.metric): (s.value, s.url) for s in batch.signals}


def test_upvotes_and_outer_comment_count_link_the_hf_page() -> None:
    signals = _signals()
    assert signals[("2402.01001", "upvotes")] == (57.0, "https://huggingface.co/papers/2402.01001")
    assert signals[("2402.01001", "comments")] == (4.0, "https://huggingface.co/papers/2402.01001")


def test_github_stars_link_the_repository() -> None:
    assert _signals()[("2402.01001", "github_stars")] == (312.0, "https://github.com/example/smoe")


def test_a_repository_without_stars_counts_zero_and_no_repository_no_signal() -> None:
    signals = _signals()
    assert signals[("2401.17000", "github_stars")] == (0.0, "https://github.com/example/late")
    assert ("2402.00500", "github_stars") not in signals


def test_every_metric_recorded_is_one_the_config_accepts_for_signal_metrics() -> None:
    assert {metric for _, metric in _signals()} == set(SIGNAL_METRICS)


def test_only_papers_no_posts() -> None:
    batch = parse(read_payload("hf_daily_papers.json"), MONDAY_MORNING)
    assert batch.posts == () and batch.papers == ()
    assert all(s.source == "huggingface" and s.observed_at == MONDAY_MORNING for s in batch.signals)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"error": "Invalid date"}', "expected an array"),
        ("[{", "not valid JSON"),
    ],
)
def test_malformed_answers_raise_a_parse_error_naming_the_field(payload: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(payload, MONDAY_MORNING)


GOOD = {"paper": {"id": "2402.09999", "upvotes": 5}, "numComments": 1}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"paper": {"id": "2402.01001", "upvotes": "many"}}, r"\[0\]\.paper\.upvotes"),
        ({"numComments": 1}, r"\[0\]\.paper: missing"),
        ({"paper": {"id": "not-an-id"}}, "not an arXiv id"),
        ({"paper": {"id": "2402.01001", "upvotes": -1}}, "cannot be negative"),
        # We would show the repository as a link: anything but http(s) is not one.
        (
            {"paper": {"id": "2402.01001", "githubRepo": "javascript:alert(1)"}},
            r"\[0\]\.paper\.githubRepo: not an http\(s\) URL: 'javascript:alert\(1\)'",
        ),
        ({"paper": {"id": "2402.01001"}, "githubRepo": "github.com/a/b"}, r"\[0\]\.githubRepo"),
    ],
)
def test_a_malformed_item_is_dropped_and_counted_and_the_other_items_kept(
    bad: dict[str, object], reason: str
) -> None:
    batch = parse(json.dumps([bad, GOOD]), MONDAY_MORNING)
    assert {(s.arxiv_id, s.metric) for s in batch.signals} == {
        ("2402.09999", "upvotes"),
        ("2402.09999", "comments"),
    }
    assert batch.dropped.count == 1 and re.search(reason, batch.dropped.reasons[0])


async def test_fetch_looks_back_day_by_day(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        day = parse_qs(request.url.query.decode())["date"][0]
        return httpx.Response(
            200, content=read_payload("hf_daily_papers.json") if day == "2024-02-05" else b"[]"
        )

    router.add("hf.test", "/api/daily_papers", answer)
    settings = make_settings(huggingface_lookback_days=3)
    result = await fetch(make_context(client, clock, settings, source="huggingface"))
    days = [parse_qs(s.request.url.query.decode())["date"][0] for s in router.seen]
    assert days == ["2024-02-05", "2024-02-04", "2024-02-03", "2024-02-02"]
    assert len(result.batch.signals) == 8
    assert result.note == "3 papers over 4 days"


async def test_fetch_pages_through_full_pages_and_keeps_the_best_count(
    client: httpx.AsyncClient, router: Router, clock: FakeClock
) -> None:
    full = [_item(f"2402.{n:05d}", 1) for n in range(100)]
    pages = [json.dumps(full), json.dumps([_item("2402.00000", 9)])]
    router.add(
        "hf.test",
        "/api/daily_papers",
        *(lambda r, body=body: httpx.Response(200, text=body) for body in pages),
    )
    settings = make_settings(huggingface_lookback_days=0)
    result = await fetch(
        make_context(client, clock, settings, source="huggingface", day=date(2024, 2, 5))
    )
    assert [parse_qs(s.request.url.query.decode())["p"][0] for s in router.seen] == ["0", "1"]
    upvotes = {s.arxiv_id: s.value for s in result.batch.signals if s.metric == "upvotes"}
    assert len(upvotes) == 100 and upvotes["2402.00000"] == 9


def _item(arxiv_id: str, upvotes: int) -> dict[str, object]:
    return {"paper": {"id": arxiv_id, "upvotes": upvotes}, "numComments": 0}
