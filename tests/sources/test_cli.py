"""The `fetch` and `sources` subcommands and their progress output."""

from __future__ import annotations

import argparse
import io
import json
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.errors import EXIT_PARTIAL, NetworkError
from bot.sources.cli import add_commands, run_fetch, run_sources
from bot.sources.health import (
    record_failure,
    record_refresh,
    record_refresh_skipped,
    source_migrations,
)
from bot.sources.progress import BarListener, LineListener, listener_for
from bot.store import Store

from .conftest import (
    MONDAY_MORNING,
    FakeClock,
    Router,
    make_settings,
    payload_response,
    read_payload,
    respond,
)
from .test_orchestrator import api_entries, hf_answer


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="hotpapers")
    add_commands(root.add_subparsers(dest="command", required=True))
    return root


def settings_for(tmp_path: Path) -> Settings:
    return make_settings(
        env={"hotpapers_db": str(tmp_path / "hotpapers.db")},
        enabled=("arxiv", "huggingface", "hackernews", "x"),
        arxiv_delay_seconds=0,
        max_retries=0,
        huggingface_lookback_days=0,
    )


@pytest.fixture
def transport() -> httpx.MockTransport:
    router = Router(FakeClock())
    router.add("rss.arxiv.test", "/rss/cs.LG+cs.CL", payload_response("arxiv_rss_listing.xml"))
    router.add("export.arxiv.test", "/api/query", api_entries())  # type: ignore[arg-type]
    router.add("hf.test", "/api/daily_papers", hf_answer)
    router.add("hn.test", "/api/v1/search_by_date", payload_response("hn_algolia.json"))
    return httpx.MockTransport(router)


def test_fetch_parses_date_and_repeated_sources() -> None:
    args = parser().parse_args(
        ["fetch", "--date", "2024-02-05", "--source", "arxiv", "--source", "x"]
    )
    assert args.date == date(2024, 2, 5) and args.sources == ["arxiv", "x"]
    assert args.handler is run_fetch


def test_fetch_without_options_means_latest_listing_and_enabled_sources() -> None:
    args = parser().parse_args(["fetch"])
    assert args.date is None and args.sources is None


def test_a_bad_date_or_source_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        parser().parse_args(["fetch", "--date", "05/02/2024"])
    assert caught.value.code == 2
    assert "'05/02/2024' is not a date: use YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser().parse_args(["fetch", "--source", "mastodon"])
    assert "invalid choice: 'mastodon'" in capsys.readouterr().err


def test_sources_command_is_added() -> None:
    assert parser().parse_args(["sources"]).handler is run_sources


def test_fetch_prints_the_report_and_logs_plain_lines_off_a_terminal(
    tmp_path: Path, transport: httpx.MockTransport, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parser().parse_args(["fetch", "--date", "2024-02-05"])
    out = io.StringIO()
    code = run_fetch(args, settings_for(tmp_path), out, transport=transport)
    assert code == 0
    report = out.getvalue().splitlines()
    assert report[0].startswith("arxiv: 5 papers (")
    assert any(line.startswith("hackernews: 3 posts") for line in report)
    assert report[-1] == "fetch: contributed: arxiv, huggingface, hackernews, arxiv-lookup"
    log = capsys.readouterr().err.splitlines()
    assert "hotpapers fetch: arxiv: started" in log
    assert "hotpapers fetch: x: skipped: not configured: set X_BEARER_TOKEN" in log


def test_fetch_exits_3_when_a_source_failed(tmp_path: Path, transport: httpx.MockTransport) -> None:
    router: Router = transport.handler  # type: ignore[assignment]
    router.add("hn.test", "/api/v1/search_by_date", respond(502))
    out = io.StringIO()
    code = run_fetch(
        parser().parse_args(["fetch"]), settings_for(tmp_path), out, transport=transport
    )
    assert code == EXIT_PARTIAL
    assert "hackernews: failed: HTTP 502 from hn.test after 1 attempts" in out.getvalue()


def test_a_fetch_where_every_source_that_ran_failed_is_a_network_error_after_the_report(
    tmp_path: Path,
) -> None:
    router = Router(FakeClock())
    for host, path in (("rss.arxiv.test", "/rss/cs.LG+cs.CL"), ("hf.test", "/api/daily_papers"),
                       ("hn.test", "/api/v1/search_by_date")):  # fmt: skip
        router.add(host, path, respond(503))
    out = io.StringIO()
    with pytest.raises(NetworkError) as caught:
        run_fetch(
            parser().parse_args(["fetch"]),
            settings_for(tmp_path),
            out,
            transport=httpx.MockTransport(router),
        )
    assert str(caught.value).startswith(
        "nothing was fetched: every source failed (arxiv: HTTP 503 from rss.arxiv.test"
    )
    assert "; 2 more); check the network or proxy" in str(caught.value)
    assert "x: skipped" in out.getvalue()  # the report is printed first; skipped is no failure


def test_sources_shows_last_success_last_error_and_counts(
    tmp_path: Path, transport: httpx.MockTransport
) -> None:
    settings = settings_for(tmp_path)
    router: Router = transport.handler  # type: ignore[assignment]
    router.add("hn.test", "/api/v1/search_by_date", respond(502))
    run_fetch(parser().parse_args(["fetch"]), settings, io.StringIO(), transport=transport)
    out = io.StringIO()
    assert run_sources(parser().parse_args(["sources"]), settings, out) == 0
    text = out.getvalue()
    arxiv = text.split("\nhuggingface\n")[0]
    assert "state: enabled, last ok" in arxiv and "5 papers, 0 posts, 0 signals" in arxiv
    hn = text.split("\nhackernews\n")[1].split("\nbluesky\n")[0]
    assert "state: enabled, last failed" in hn
    assert "HTTP 502 from hn.test after 1 attempts" in hn and "1 runs, 1 failed" in hn
    assert "bluesky\n  state: disabled" in text
    assert "x\n  state: not configured: set X_BEARER_TOKEN, last skipped" in text
    assert "arxiv-lookup\n  state: after arxiv" in text


def test_sources_on_a_fresh_store_says_never(tmp_path: Path) -> None:
    out = io.StringIO()
    run_sources(parser().parse_args(["sources"]), settings_for(tmp_path), out)
    assert "arxiv\n  state: enabled\n  last success: never" in out.getvalue()


def test_plain_listener_writes_one_line_per_event() -> None:
    stream = io.StringIO()
    listener = LineListener(stream)
    listener.started("arxiv")
    listener.step("arxiv", "arXiv API", 2, 20)
    listener.finished("arxiv", "ok", "5 papers")
    assert stream.getvalue().splitlines() == [
        "hotpapers fetch: arxiv: started",
        "hotpapers fetch: arxiv: arXiv API (3/20)",
        "hotpapers fetch: arxiv: 5 papers",
    ]


def test_terminal_gets_a_progress_bar_that_escapes_server_text() -> None:
    stream = io.StringIO()
    with listener_for(stream, terminal=True) as listener:
        assert isinstance(listener, BarListener)
        listener.started("hackernews")
        listener.step("hackernews", "Algolia search", 0, 5)
        listener.finished("hackernews", "failed", "HTTP 500: [bold]boom[/bold]")
    shown = stream.getvalue()
    assert "hackernews" in shown and "failed" in shown and "[bold]boom[/bold]" in shown


def test_a_pipe_gets_plain_lines() -> None:
    with listener_for(io.StringIO()) as listener:
        assert isinstance(listener, LineListener)


def test_sources_table_on_a_terminal_escapes_server_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("COLUMNS", "250")
    settings = settings_for(tmp_path)
    store = Store(settings.env.hotpapers_db)
    store.migrate(source_migrations)
    record_failure(store, "hackernews", MONDAY_MORNING, "HTTP 500: [bold]boom[/bold]", requests=1)
    store.close()
    out = Terminal()
    assert run_sources(parser().parse_args(["sources"]), settings, out) == 0
    table = out.getvalue()
    assert "last success" in table and "arxiv-lookup" in table
    assert "HTTP 500: [bold]boom[/bold]" in table


def test_sources_says_when_a_scheduled_refresh_was_skipped_and_why(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = Store(settings.env.hotpapers_db)
    store.migrate(source_migrations)
    later = MONDAY_MORNING + timedelta(hours=2)
    record_refresh(store, MONDAY_MORNING, None)
    record_refresh_skipped(store, later, "the refresh started at 2024-02-05T14:00:00 is running")
    store.close()
    out = io.StringIO()
    run_sources(parser().parse_args(["sources"]), settings, out)
    assert out.getvalue().splitlines()[-1] == (
        "scheduled refresh: last started 2024-02-05T14:00:00Z, still running (or stopped"
        " before it finished); skipped 1 time, last at 2024-02-05T16:00:00Z (the refresh"
        " started at 2024-02-05T14:00:00 is running)"
    )


def test_sources_counts_the_malformed_records_the_last_run_dropped(
    tmp_path: Path, transport: httpx.MockTransport
) -> None:
    hits = json.loads(read_payload("hn_algolia.json"))
    hits["hits"][0]["num_comments"] = -1
    router: Router = transport.handler  # type: ignore[assignment]
    router.add("hn.test", "/api/v1/search_by_date", respond(200, json.dumps(hits)))
    settings = settings_for(tmp_path)
    out = io.StringIO()
    assert run_fetch(parser().parse_args(["fetch"]), settings, out, transport=transport) == 0
    assert "hackernews: 2 posts (1 request, " in out.getvalue()
    assert "1 malformed record dropped (hits[0].num_comments: a count cannot be" in out.getvalue()
    shown = io.StringIO()
    run_sources(parser().parse_args(["sources"]), settings, shown)
    assert "0 papers, 2 posts, 0 signals, 1 malformed dropped" in shown.getvalue()
