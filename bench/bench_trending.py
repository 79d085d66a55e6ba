"""Benchmark: what trending again, the channel's own term and the weekly digest cost.

On the production-shaped store of bench/corpus.py (a working copy, since it writes):
- the day's hot ranking computed from scratch with trending again off, then on (the surge
  candidates found through the running totals' time indexes, their tallies and starts);
- the candidate query and the surge starts alone, and how many candidates there are;
- a late surge injected (a 40-day-old paper, a new HN story): where it ranks after one refresh;
- /hot 10 for a channel that reacted to 50 papers (its own term merged into the shared
  ranking) against the same for a channel with none (the shared cards);
- the weekly digest of a channel: first (the week's ranking computed) and warm.

Run: .venv/bin/python -m bench.bench_trending [--papers 100000] [--runs 10]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bench.corpus import NOW, TODAY, real_store, refresh, working_copy
from bench.measure import series
from bot.channel_signal import ChannelSignals
from bot.config import Config
from bot.models import Selection, SocialPost
from bot.rank import growth_cutoff
from bot.reactions import Reactions
from bot.service import HotPapersService
from bot.store import Store
from bot.trending import TrendingReads
from bot.weekly import WeeklyDigests

LAB = "discord:100000000000000001"


def service(store: Store, *, trending: bool, signals: ChannelSignals | None = None) -> (
    HotPapersService
):  # fmt: skip
    """The service as build_service makes it, with or without trending again."""
    reads = TrendingReads(store) if trending else None
    return HotPapersService(
        store, Config(), clock=lambda: NOW, trending=reads, channel_signals=signals
    )


def surge(store: Store, points: int) -> str:
    """A 40-day-old paper nobody talked about gets a new HN story with this many points."""
    old = store.query_one(
        "SELECT arxiv_id FROM papers WHERE day = ?"
        " AND arxiv_id NOT IN (SELECT arxiv_id FROM paper_sources) ORDER BY arxiv_id LIMIT 1",
        [(TODAY - timedelta(days=40)).isoformat()],
    )  # one nobody talked about then
    assert old is not None
    story = SocialPost("hackernews", "bench-surge", "https://news.example/1", (old["arxiv_id"],),
                       NOW, created_at=NOW - timedelta(hours=1), likes=points)  # fmt: skip
    store.ingest(posts=[story], seen_at=NOW)
    return str(old["arxiv_id"])


def react(store: Store, papers: list[str]) -> ChannelSignals:
    """LAB's people react to 50 papers' own messages, four each."""
    reactions = Reactions(store)
    signals = ChannelSignals(store, reactions)
    for i, arxiv_id in enumerate(papers):
        reactions.remember("discord", LAB, f"m{i}", [arxiv_id])
        for person in range(4):
            signals.added("discord", LAB, f"m{i}", f"p{person}", "👍", NOW - timedelta(hours=i))
    return signals


def times(work: Callable[[], object], runs: int) -> list[float]:
    """Seconds each of runs calls of work took."""
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        found.append(time.perf_counter() - started)
    return found


def bench(papers: int, runs: int) -> None:
    """Every series on one store size."""
    source = real_store(papers)
    Store(source).close()  # migrations of a store built by an older `bot`, before timing
    print(f"\n== {papers:,} papers ({source.name}) ==")
    with tempfile.TemporaryDirectory() as folder:
        store = Store(working_copy(source, Path(folder)))
        reads = TrendingReads(store)  # the indexes, created once (as on a user's first start)
        hot = Config().ranking.hot
        for label, on in (("off", False), ("on", True)):
            took = times(lambda on=on: service(store, trending=on).ranked("hot"), runs)
            count = len(service(store, trending=on).ranked("hot"))
            print(series(f"hot ranking of the day, trending again {label}", took,
                         f"{count:,} papers ranked"))  # fmt: skip
        cutoff = growth_cutoff(NOW, hot)
        args = (cutoff, hot.signal_metrics, hot.weights, hot.surge_min_gain)
        growing = reads.growing(*args)
        everything = reads.growing(cutoff, hot.signal_metrics, hot.weights, 0.0)
        took = times(lambda: reads.growing(*args), runs)
        print(series("papers whose growth may pass the rule (candidates)", took,
                     f"{len(growing):,} of the {len(everything):,} that grew"))  # fmt: skip
        took = times(lambda: reads.surge_starts(growing, cutoff, hot.signal_metrics), runs)
        print(series("their surge starts", took))
        tenth = service(store, trending=True).top(10).papers[-1].score
        old = surge(store, round(1.5 * tenth))  # half as much again as the 10th paper's score
        refresh(store)
        digest = service(store, trending=True).top(10)
        where = [p.paper.arxiv_id for p in digest.papers]
        item = digest.papers[where.index(old)] if old in where else None
        shown = f"rank {item.rank}, {item.surge.label}" if item and item.surge else "not shown"
        print(f"a 40-day-old paper's late surge after one refresh: {shown}"
              f" (the 10th scored {tenth:,.0f})")  # fmt: skip
        shared = service(store, trending=True).ranked("hot")
        signals = react(store, [s.arxiv_id for s in shared[200:250]])
        svc = service(store, trending=True, signals=signals)
        svc.top(10)  # the shared ranking, computed once
        for name, channel, weight in (("no reactions", "discord:2", 0.0),
                                      ("50 reacted-to papers", LAB, 30.0)):  # fmt: skip
            took = times(lambda c=channel, w=weight: svc.top(10, channel=c, channel_weight=w),
                         runs * 5)  # fmt: skip
            print(series(f"/hot 10 in a channel with {name}", took))
        weekly = WeeklyDigests(svc, signals)
        week = weekly.week(LAB, Selection(top=10), day=TODAY, end=NOW)
        first = times(lambda: WeeklyDigests(svc, signals).week(
            LAB, Selection(top=10), day=TODAY, end=NOW), 3)  # fmt: skip
        print(
            series(
                "weekly digest, the week's ranking computed",
                first,
                f"{len(week.favourites.papers)} favourites, {len(week.overall.papers)} top",
            )
        )
        warm = times(lambda: weekly.week(LAB, Selection(top=10), day=TODAY, end=NOW), runs * 5)
        print(series("weekly digest, the week's ranking kept", warm))
        store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")


def main() -> None:
    """Parse arguments and run each size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[100_000])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    for papers in args.papers:
        bench(papers, args.runs)


if __name__ == "__main__":
    main()
