"""The `fetch` and `sources` subcommands, for bot/cli.py to add to its parser."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from typing import TextIO

import httpx
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.app import open_store
from bot.argtypes import day
from bot.config import Settings
from bot.errors import EXIT_OK, EXIT_PARTIAL, NetworkError
from bot.sources.base import Sessions
from bot.sources.health import (
    Refreshes,
    SourceHealth,
    read_health,
    read_refreshes,
    source_migrations,
)
from bot.sources.http import make_client
from bot.sources.orchestrator import fetch_sources
from bot.sources.progress import listener_for
from bot.sources.registry import LOOKUP, registered, source_names
from bot.sources.report import FetchReport
from bot.store import Store
from bot.timeutil import to_iso

__all__ = ["add_commands", "format_health", "run_fetch", "run_sources"]


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `fetch` and `sources`; each sets args.handler(args, settings) -> exit code."""
    fetch = subparsers.add_parser(
        "fetch",
        help="fetch papers, posts and signals from the live sources into the store",
        description="Fetch from every enabled source (or those named with --source) and store "
        "what each delivered. One source failing never stops the others.",
    )
    fetch.add_argument(
        "--date", type=day, help="the arXiv listing day to fetch (default: the latest)"
    )
    fetch.add_argument(
        "--source",
        action="append",
        dest="sources",
        choices=source_names(),
        metavar="SOURCE",
        help=f"fetch only this source; repeatable ({', '.join(source_names())})",
    )
    fetch.set_defaults(handler=run_fetch)
    sources = subparsers.add_parser(
        "sources",
        help="show each source's last success, last error and counts",
        description="Show each source's health as recorded by past fetches.",
    )
    sources.set_defaults(handler=run_sources)


async def _fetch(
    store: Store,
    settings: Settings,
    args: argparse.Namespace,
    transport: httpx.AsyncBaseTransport | None,
) -> FetchReport:
    """One fetch run on a fresh HTTP client."""
    async with make_client(settings.config.sources, transport) as client:
        with listener_for(sys.stderr) as listener:
            return await fetch_sources(
                store,
                settings,
                client,
                day=args.date,
                only=args.sources or (),
                sessions=Sessions(),
                listener=listener,
            )


def run_fetch(
    args: argparse.Namespace,
    settings: Settings,
    out: TextIO | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    """`hotpapers fetch`: 0 when every source succeeded or was skipped, 3 when some failed.

    When every source that ran failed, nothing was done: a NetworkError (status 1), after the
    report, so a total outage never passes for a partial one.
    """
    store = open_store(settings)
    try:
        report = asyncio.run(_fetch(store, settings, args, transport))
    finally:
        store.close()
    stream = out or sys.stdout
    for line in report.lines():
        print(line, file=stream)
    if report.ok:
        return EXIT_OK
    if not any(r.status == "ok" for r in report.sources):
        first, *others = report.failed
        more = f"; {len(others)} more" if others else ""
        raise NetworkError(
            f"nothing was fetched: every source failed ({first.source}: {first.detail}{more});"
            " check the network or proxy (HTTPS_PROXY)"
        )
    return EXIT_PARTIAL


def _when(moment: datetime | None) -> str:
    """A stored time for display."""
    return to_iso(moment) if moment is not None else "-"


def _row(name: str, health: SourceHealth | None, state: str) -> list[str]:
    """One source's cells: name, state, last success, last error, last counts, runs, note."""
    if health is None:
        return [name, state, "never", "-", "-", "0 runs", "-"]
    error = f"{_when(health.last_error_at)} {health.last_error}" if health.last_error else "-"
    counts = f"{health.papers} papers, {health.posts} posts, {health.signals} signals"
    if health.dropped:
        counts += f", {health.dropped} malformed dropped"
    runs = f"{health.runs} runs, {health.failures} failed"
    if health.consecutive_failures:
        runs += f" ({health.consecutive_failures} in a row)"
    return [
        name,
        f"{state}, last {health.last_status}",
        _when(health.last_success),
        error,
        counts,
        runs,
        health.last_note or "-",
    ]


def health_rows(settings: Settings, health: dict[str, SourceHealth]) -> list[list[str]]:
    """A row per registered source (and the lookup step) with its configuration and health."""
    rows: list[list[str]] = []
    enabled = set(settings.config.sources.enabled)
    for name, source in registered().items():
        missing = source.unavailable(settings)
        state = "disabled" if name not in enabled else (missing or "enabled")
        rows.append(_row(name, health.get(name), state))
    rows.append(_row(LOOKUP, health.get(LOOKUP), "after arxiv"))
    return rows


HEADERS = ["source", "state", "last success", "last error", "last counts", "runs", "last note"]


def format_health(rows: list[list[str]]) -> str:
    """Plain text: one block per source, for pipes and logs."""
    blocks = []
    for row in rows:
        lines = [row[0]] + [f"  {h}: {v}" for h, v in zip(HEADERS[1:], row[1:], strict=True)]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def refresh_line(refreshes: Refreshes) -> str | None:
    """One line on `hotpapers run`'s scheduled refreshes, or None before the first."""
    if refreshes.last_started is None and not refreshes.skipped:
        return None
    text = f"scheduled refresh: last started {_when(refreshes.last_started)}"
    if refreshes.last_started is not None:
        if refreshes.last_finished is None:
            text += ", still running (or stopped before it finished)"
        else:
            text += f", finished {_when(refreshes.last_finished)}"
    if refreshes.skipped:
        times = "1 time" if refreshes.skipped == 1 else f"{refreshes.skipped} times"
        text += (
            f"; skipped {times}, last at {_when(refreshes.last_skipped)}"
            f" ({refreshes.last_skip_reason})"
        )
    return text


def run_sources(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """`hotpapers sources`: each source's last success, last error and counts."""
    store = open_store(settings)
    try:
        store.migrate(source_migrations)
        rows = health_rows(settings, read_health(store))
        refreshes = refresh_line(read_refreshes(store))
    finally:
        store.close()
    stream = out or sys.stdout
    if stream.isatty():
        _print_table(rows, stream)
    else:
        print(format_health(rows), file=stream)
    if refreshes is not None:
        print(refreshes, file=stream)
    return 0


def _print_table(rows: list[list[str]], stream: TextIO) -> None:
    """A rich table for terminals; cells are escaped because errors quote server messages."""
    table = Table(*HEADERS)
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    Console(file=stream).print(table)
