"""Benchmark: the day's hot ranking and "top 5 now" on production-shaped stores, cold first.

Stores come from bench/corpus.py (100,000 papers / 1,000,000 posts and 300,000 / 3,000,000,
each post observed twice, built through Store.ingest and cached). Series, cold first:
- process start: a fresh process, store evicted from the OS cache, asks for top 5 (and again
  with the OS cache warm): what the first /hot after a deploy or a reboot sees;
- after a store write (a lease renewal, as `hotpapers run` does every 20 s): top 5;
- after a fetch (1,000 post observations and 100 upvote updates ingested): top 5;
- warm: top 5 with nothing written in between;
- the hot and seed rankings of the day, recomputed from scratch;
- the queries a shown digest makes: top posts of the 10 hottest papers, their tallies.

Run: .venv/bin/python -m bench.bench_rank [--papers 100000 300000] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import NOW, ROOT, evict, real_store, refresh, working_copy
from bench.measure import ms, series
from bot.config import Config
from bot.delivery.lease import Leases
from bot.rank import growth_cutoff
from bot.service import HotPapersService
from bot.store import Store


class Timer:
    """Wall and CPU time of what runs in a `with` block, appended to two lists.

    On a shared machine the wall time includes waiting for a core; the CPU time does not.
    """

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self) -> Timer:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall.append(time.perf_counter() - self._wall)
        self.cpu.append(time.process_time() - self._cpu)

    def line(self, name: str, extra: str = "") -> str:
        """The series' wall figures, with the CPU median."""
        cpu = f"CPU median {ms(statistics.median(self.cpu))}"
        return series(name, self.wall, f"{cpu}; {extra}" if extra else cpu)


def service(store: Store) -> HotPapersService:
    """The service as the runner builds it, at the corpus's "now"."""
    return HotPapersService(store, Config(), clock=lambda: NOW)


def child(path: Path) -> None:
    """In a fresh process: open the store, answer top 5 once, print the timings as JSON."""
    started = time.perf_counter()
    store = Store(path)
    opened, cpu = time.perf_counter(), time.process_time()
    digest = service(store).top(5)
    done = time.perf_counter()
    assert len(digest.papers) == 5
    print(json.dumps({"open": opened - started, "top5": done - opened,
                      "cpu": time.process_time() - cpu}))  # fmt: skip


def fresh_process(path: Path, *, evicted: bool) -> dict[str, float]:
    """Run child() in a new interpreter (after evicting the store from the OS cache if asked)."""
    if evicted:
        evict(path)
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_rank", "--child", str(path)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return dict(json.loads(out.strip().splitlines()[-1]))


def bench_size(papers: int, runs: int) -> None:
    """Every series for one store size."""
    source = real_store(papers)
    Store(source).close()  # a store built by an older `bot` is migrated once, before timing
    print(f"\n== {papers:,} papers ({source.name}) ==")
    for evicted in (True, False):
        starts = [fresh_process(source, evicted=evicted) for _ in range(3)]
        label = "evicted from the OS cache" if evicted else "OS cache warm"
        top5 = [s["top5"] for s in starts]
        cpu = ms(statistics.median(s["cpu"] for s in starts))
        opened = ms(statistics.median(s["open"] for s in starts))
        print(series(f"process start, {label}: first top 5", top5,
                     f"CPU median {cpu}; open {opened}"))  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        store = Store(working_copy(source, Path(folder)))
        svc = service(store)
        leases = Leases(store)
        leases.acquire("scheduler")
        print(f"store: {store.counts()}")
        after_write, after_fetch, warm = Timer(), Timer(), Timer()
        for i in range(runs):
            leases.renew()  # the runner's heartbeat: a write that changes no ranking
            with after_write:
                svc.top(5)
            refresh(store, 1000 + i)
            with after_fetch:
                svc.top(5)
        for _ in range(runs * 10):
            with warm:
                svc.top(5)
        print(after_write.line("top 5 right after a store write (lease renewal)"))
        print(after_fetch.line("top 5 right after a fetch (1,000 observations ingested)"))
        print(warm.line("top 5 warm"))
        for ranking in ("hot", "seed"):
            timer = Timer()
            for _ in range(max(runs // 4, 3)):
                fresh = service(store)
                with timer:
                    ranked = fresh.ranked(ranking)  # type: ignore[arg-type]
            print(timer.line(f"{ranking} ranking of the day", f"{len(ranked):,} papers ranked"))
        # The papers with the most posts: what a query that grows with fame reads the most of.
        famous = store.query(
            "SELECT arxiv_id, count(*) AS n FROM post_links GROUP BY arxiv_id"
            " ORDER BY n DESC LIMIT 10"
        )
        hottest = [r["arxiv_id"] for r in famous]
        cutoff = growth_cutoff(NOW, svc.config.ranking.hot)
        parts = {"top_posts": Timer(), "post_tallies": Timer(), "hot_totals": Timer()}
        hot = svc.config.ranking.hot
        since, until = svc.window("hot", NOW.date())
        for _ in range(max(runs // 4, 3)):
            with parts["top_posts"]:
                store.top_posts(hottest, 0, 3)
            with parts["post_tallies"]:
                store.post_tallies(None, None, cutoff, hottest)
            with parts["hot_totals"]:
                store.hot_totals(
                    since, until, cutoff, weights=hot.weights,
                    growth_weight=hot.growth_weight, metrics=hot.signal_metrics,
                )  # fmt: skip
        links = f"{famous[0]['n']:,} to {famous[-1]['n']:,} posts each"
        print(parts["top_posts"].line("top_posts of the 10 most-posted papers (limit 3)", links))
        print(parts["post_tallies"].line("post_tallies of the 10 most-posted papers"))
        print(parts["hot_totals"].line("hot_totals of the 7-day window"))
        store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")


def main() -> None:
    """Parse arguments and run each size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[100_000, 300_000])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    for papers in args.papers:
        bench_size(papers, args.runs)


if __name__ == "__main__":
    main()
