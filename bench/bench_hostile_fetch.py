"""Benchmark `hotpapers fetch` with one hostile source: it ends within its deadline, with the
memory of a normal run, and the other sources' data is stored.

Each scenario runs the real command (`python -m bot fetch`) in a fresh process against the
production-shaped fakes of bench/fake_sources.py (a day of 2,000 papers, 500 Hugging Face items,
1,000 Algolia hits), with one source pointed at the hostile server of tests/sources/hostile.py:

- normal: nobody hostile (the baseline for time and memory)
- slow loris: Hacker News answers one byte every 2 s, for ever
- gzip bomb: Hugging Face answers 2.4 MB that inflate to 2.4 GB (the bomb the issue measured)
- huge body: Hacker News answers 1 GiB without saying so (no Content-Length)
- Retry-After storm: Hugging Face answers 503 with Retry-After: 299, every time

Figures per scenario: exit code, wall time of the process, the hostile source's own time
against its deadlines, peak RSS of the fetch process (from wait4), what was stored. Then the
arXiv feed parsed as it streams against the whole document parsed at once (peak allocations).

Run: .venv/bin/python bench/bench_hostile_fetch.py [--spacing 0.5] [--request-deadline 10]
     [--source-deadline 30] [--only NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import sys
import tempfile
import time
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fake_sources import DAY, build_world, render_rss, serve  # noqa: E402
from bot.sources import arxiv_rss  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.sources.hostile import (  # noqa: E402
    Behaviour,
    HostileServer,
    gzip_bomb,
    huge_body,
    retry_after_storm,
    slow_loris,
)

BOMB_SIZE = 2_400 << 20  # inflates to 2.4 GiB; about 2.4 MB on the wire


@dataclass(frozen=True)
class Scenario:
    """One source made hostile, and how."""

    name: str
    source: str  # "" for none
    behaviour: Callable[[], Behaviour] | None


SCENARIOS = (
    Scenario("normal", "", None),
    Scenario("slow loris", "hackernews", lambda: slow_loris(interval=2.0)),
    Scenario("gzip bomb", "huggingface", lambda: gzip_bomb(BOMB_SIZE)),
    Scenario("huge body", "hackernews", lambda: huge_body(1 << 30, announce=False)),
    Scenario("Retry-After storm", "huggingface", lambda: retry_after_storm(299)),
)


@dataclass(frozen=True)
class Outcome:
    """What one fetch process did."""

    code: int
    wall: float
    peak_rss_mib: float
    report: str
    counts: dict[str, int]


def _config(folder: Path, options: argparse.Namespace) -> Path:
    """The TOML the fetch runs with: the deadlines under test."""
    path = folder / "hotpapers.toml"
    path.write_text(
        "[sources]\n"
        'enabled = ["arxiv", "huggingface", "hackernews"]\n'
        'categories = ["cs.LG", "cs.AI"]\n'
        f"arxiv_delay_seconds = {options.spacing}\n"
        f"request_deadline_seconds = {options.request_deadline}\n"
        f"source_deadline_seconds = {options.source_deadline}\n",
        encoding="utf-8",
    )
    return path


def _env(ports: dict[str, int], hostile: dict[str, str], db: Path, config: Path) -> dict[str, str]:
    """The environment of the fetch process: every base URL on 127.0.0.1."""
    arxiv = f"http://127.0.0.1:{ports['arxiv']}"
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    env.update(
        HOTPAPERS_DB=str(db),
        HOTPAPERS_CONFIG=str(config),
        ARXIV_RSS_URL=f"{arxiv}/rss/",
        ARXIV_API_URL=f"{arxiv}/api/query",
        ARXIV_OAI_URL=f"{arxiv}/oai",
        HF_API_URL=hostile.get("huggingface", f"http://127.0.0.1:{ports['huggingface']}/api"),
        HN_API_URL=hostile.get("hackernews", f"http://127.0.0.1:{ports['hackernews']}/api/v1"),
    )
    return env


def _fetch(env: dict[str, str], folder: Path) -> tuple[int, float, float, str]:
    """Run `python -m bot fetch` once: exit code, wall time, peak RSS (MiB), stdout."""
    out, err = folder / "stdout", folder / "stderr"
    command = [sys.executable, "-m", "bot", "fetch", "--date", DAY.isoformat()]
    started = time.monotonic()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        pid = os.posix_spawn(sys.executable, command, env, file_actions=_redirect(stdout, stderr))
        _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        print(err.read_text(), file=sys.stderr)
    return code, wall, usage.ru_maxrss / 1024, out.read_text()


def _redirect(stdout: object, stderr: object) -> list[tuple[int, int, int]]:
    """posix_spawn file actions: the child's stdout and stderr into the open files."""
    return [
        (os.POSIX_SPAWN_DUP2, stdout.fileno(), 1),  # type: ignore[attr-defined]
        (os.POSIX_SPAWN_DUP2, stderr.fileno(), 2),  # type: ignore[attr-defined]
    ]


def _counts(db: Path) -> dict[str, int]:
    """Rows the fetch stored."""
    store = Store(db)
    try:
        return store.counts()
    finally:
        store.close()


def _run_scenario(
    scenario: Scenario, ports: dict[str, int], options: argparse.Namespace
) -> Outcome:
    """One fetch process with the scenario's source made hostile."""
    with tempfile.TemporaryDirectory() as name, HostileServer() as server:
        folder = Path(name)
        hostile: dict[str, str] = {}
        if scenario.behaviour is not None:
            path = "/api/daily_papers" if scenario.source == "huggingface" else "/search_by_date"
            server.route(path, scenario.behaviour())
            base = server.url("/api") if scenario.source == "huggingface" else server.url("")
            hostile[scenario.source] = base
        db = folder / "bench.db"
        env = _env(ports, hostile, db, _config(folder, options))
        code, wall, rss, report = _fetch(env, folder)
        return Outcome(code, wall, rss, report, _counts(db))


def _line_of(report: str, source: str) -> str:
    """The line a source got in the fetch report."""
    for line in report.splitlines():
        if line.startswith(f"{source}: "):
            return line
    return f"{source}: (no line)"


async def _chunks(data: bytes, size: int = 1 << 16) -> AsyncIterator[bytes]:
    """A body arriving in network-sized pieces."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _whole(feed: bytes) -> int:
    """Parse as before: the whole document into a tree, then the papers out of it."""
    root = ET.fromstring(feed)  # our own synthetic feed
    items = [arxiv_rss._item(e, f"item[{n}]") for n, e in enumerate(root.iter("item"))]
    return len(items)  # the tree is still alive here, as it was while the papers were built


def _peak(run: Callable[[], int]) -> tuple[int, float]:
    """What run() returns, and the peak of what it allocated (MiB)."""
    gc.collect()
    tracemalloc.start()
    try:
        kept = run()
        return kept, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


async def _streamed(feed: bytes) -> tuple[int, float]:
    """Parse as now, item by item as the feed arrives; papers kept and peak (MiB).

    Measured inside the loop: asyncio.run's own teardown is not the parser's.
    """
    gc.collect()
    tracemalloc.start()
    try:
        listing = await arxiv_rss.read(_chunks(feed))
        return len(listing.items), tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _feed_parse(papers: int) -> None:
    """Peak allocations parsing a big feed whole (as before) and as it streams (as now)."""
    feed = render_rss(build_world(papers, 0, 0))
    print(f"\narXiv feed of {papers} items: {len(feed) / 1e6:.1f} MB")
    streamed = asyncio.run(_streamed(feed))
    whole = _peak(lambda: _whole(feed))
    print(f"  whole tree, then papers   peak {whole[1]:7.1f} MiB ({whole[0]} papers)")
    print(f"  streamed, item by item    peak {streamed[1]:7.1f} MiB ({streamed[0]} papers)")


def main() -> int:
    """Run every scenario (or --only one) and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--spacing", type=float, default=0.5, help="arXiv spacing, seconds")
    parser.add_argument("--request-deadline", type=float, default=10.0)
    parser.add_argument("--source-deadline", type=float, default=30.0)
    parser.add_argument("--only", choices=[s.name for s in SCENARIOS], action="append")
    parser.add_argument("--feed-papers", type=int, default=20_000)
    options = parser.parse_args()
    ours, theirs = multiprocessing.Pipe()
    fake = multiprocessing.Process(target=serve, args=(theirs, 2000, 500, 1000, options.spacing))
    fake.start()
    ports = ours.recv()
    failures = 0
    baseline: Outcome | None = None
    try:
        print(
            f"deadlines: {options.request_deadline:g} s a request, "
            f"{options.source_deadline:g} s a source; arXiv spacing {options.spacing:g} s"
        )
        for scenario in SCENARIOS:
            if options.only and scenario.name not in options.only:
                continue
            outcome = _run_scenario(scenario, ports, options)
            baseline = baseline or outcome
            stored = ", ".join(f"{k} {v}" for k, v in outcome.counts.items() if k != "shown")
            print(f"\n{scenario.name}: exit {outcome.code}, wall {outcome.wall:.1f} s,"
                  f" peak RSS {outcome.peak_rss_mib:.0f} MiB")  # fmt: skip
            print(f"  stored: {stored}")
            for source in ("arxiv", "huggingface", "hackernews"):
                print(f"  {_line_of(outcome.report, source)[:150]}")
            if scenario.source:
                expected = outcome.code == 3 and all(
                    f"{s}: failed" not in outcome.report
                    for s in ("arxiv", "huggingface", "hackernews")
                    if s != scenario.source
                )
                bounded = outcome.wall <= baseline.wall + options.request_deadline + 5
                lean = outcome.peak_rss_mib <= baseline.peak_rss_mib * 1.25 + 16
                failures += not (expected and bounded and lean)
                print(f"  others stored: {expected}; within the deadline: {bounded};"
                      f" memory of a normal run: {lean}")  # fmt: skip
    finally:
        ours.send("stop")
        fake.join(timeout=10)
    if not options.only:
        _feed_parse(options.feed_papers)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
