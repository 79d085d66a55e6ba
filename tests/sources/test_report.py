"""Fetch reports say which sources contributed and which failed, and why."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import httpx

from bot.sources.base import SourceError
from bot.sources.report import FetchReport, SourceReport, reason_for

T0 = datetime(2024, 2, 5, 14, 0, tzinfo=UTC)


def test_summaries() -> None:
    ok = SourceReport("arxiv", "ok", "listing of 2024-02-05", papers=5, requests=1, seconds=3.04)
    assert ok.summary() == "5 papers (1 request, 3.0 s): listing of 2024-02-05"
    empty = SourceReport("huggingface", "ok", "", requests=2)
    assert empty.summary() == "nothing new (2 requests, 0.0 s)" and not empty.contributed
    assert SourceReport("x", "failed", "boom").line() == "x: failed: boom"
    assert SourceReport("bluesky", "skipped", "no login").summary() == "skipped: no login"


def test_headline_lists_contributors_and_failures_with_reasons() -> None:
    report = FetchReport(
        T0,
        T0,
        None,
        (
            SourceReport("arxiv", "ok", "", papers=5),
            SourceReport("huggingface", "ok", ""),
            SourceReport("hackernews", "failed", "HTTP 503 from hn"),
        ),
    )
    assert report.contributed == ("arxiv",)
    assert not report.ok
    assert report.headline() == "fetch: contributed: arxiv; failed: hackernews (HTTP 503 from hn)"
    assert report.lines()[-1] == report.headline()


def test_reasons_are_one_line() -> None:
    assert reason_for(SourceError("x", "bad token")) == "bad token"
    assert (
        reason_for(sqlite3.OperationalError("disk full")) == "could not store the batch: disk full"
    )
    assert reason_for(httpx.InvalidURL("no host")) == "invalid URL: no host"
    assert reason_for(KeyError("k")) == "unexpected KeyError: 'k'"
