"""Benchmark: the day's ranking and a "top 5 now" answer over a large synthetic store.

Builds (once, cached on disk) a store of 100,000 papers announced over 50 days (2,000 a day, as
arXiv's busiest listings), 1,000,000 posts (each observed twice, so 2,000,000 observation rows)
and 300,000 signal observations, then times:
- the day's hot ranking (cold: the first computation after the store changed), and the seed one;
- "top 5 now" as a slash command asks it (warm: ranking cached until the store changes).
Run: .venv/bin/python bench/bench_rank.py [--db PATH] [--rebuild]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Config
from bot.models import Paper, Signal, SocialPost
from bot.service import HotPapersService
from bot.store import Store

PAPERS, POSTS, SIGNALS, DAYS = 100_000, 1_000_000, 300_000, 50
TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CATS = ["cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "math.OC", "quant-ph", "cs.RO"]
SOURCES = ["x", "bluesky", "hackernews", "reddit"]


def _paper(i: int) -> Paper:
    day = TODAY - timedelta(days=i * DAYS // PAPERS)
    arxiv_id = f"{day:%y%m}.{i:05d}"
    return Paper(
        arxiv_id=arxiv_id,
        title=f"Synthetic paper {i} on {random.choice(['diffusion', 'agents', 'graphs', 'RL'])}",
        authors=("A. Author", "B. Author"),
        abstract="An abstract of moderate length. " * 20,
        categories=tuple(random.sample(CATS, 2)),
        published=datetime.combine(day - timedelta(days=1), datetime.min.time(), UTC),
        announced=day,
    )


def build(path: Path) -> Store:
    """Fill a store with the synthetic day range."""
    rng = random.Random(7)
    random.seed(7)
    store = Store(path)
    papers = [_paper(i) for i in range(PAPERS)]
    ids = [p.arxiv_id for p in papers]
    store.ingest(papers, seen_at=NOW)
    for start in range(0, POSTS, 100_000):
        batch = []
        for n in range(start, start + 100_000):
            # Most talk is about recent papers: half of all posts link last week's papers.
            target = ids[min(int(rng.expovariate(1 / 20_000)), PAPERS - 1)]
            source = rng.choice(SOURCES)
            likes = int(rng.paretovariate(1.2) * 3)
            for hours, share in ((30, 0.6), (1, 1.0)):
                batch.append(
                    SocialPost(
                        source=source,
                        post_id=str(n),
                        url=f"https://example.org/{n}",
                        arxiv_ids=(target,),
                        observed_at=NOW - timedelta(hours=hours),
                        author=f"user{n % 5000}",
                        text="Look at this paper",
                        created_at=NOW - timedelta(days=rng.randint(0, 10)),
                        reposts=int(likes * share / 3),
                        likes=int(likes * share),
                    )
                )
        store.ingest(posts=batch, seen_at=NOW)
    signals = [
        Signal(
            "huggingface",
            ids[i % PAPERS],
            "upvotes",
            float(rng.randint(0, 200)),
            NOW - timedelta(hours=(i // PAPERS) * 12),
        )
        for i in range(SIGNALS)
    ]
    store.ingest(signals=signals, seen_at=NOW)
    return store


def main() -> None:
    """Build or reuse the store, then time the ranking and the slash-command answer."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("/tmp/hotpapers-bench-rank.db"))
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild and args.db.exists():
        args.db.unlink()
    started = time.perf_counter()
    store = Store(args.db) if args.db.exists() else build(args.db)
    print(f"store ready in {time.perf_counter() - started:.1f} s: {store.counts()}")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for ranking in ("hot", "seed"):
        runs = []
        for _ in range(5):
            service = HotPapersService(store, Config(), clock=lambda: NOW)  # cold cache each run
            t0 = time.perf_counter()
            ranked = service.ranked(ranking)  # type: ignore[arg-type]
            runs.append(time.perf_counter() - t0)
        print(f"{ranking} ranking of the day: median {statistics.median(runs) * 1000:.0f} ms,"
              f" max {max(runs) * 1000:.0f} ms ({len(ranked)} papers ranked)")  # fmt: skip
    service = HotPapersService(store, Config(), clock=lambda: NOW)
    service.top(5)  # the scheduler's fetch leaves the ranking warm; measure what users see
    answers = []
    for _ in range(200):
        t0 = time.perf_counter()
        digest = service.top(5)
        answers.append(time.perf_counter() - t0)
    answers.sort()
    print(f"top 5 now: median {statistics.median(answers) * 1000:.2f} ms,"
          f" p99 {answers[197] * 1000:.2f} ms ({len(digest.papers)} papers)")  # fmt: skip
    # ru_maxrss (KiB on Linux) rather than tracemalloc, whose hooks would slow what is timed.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS: {peak / 1024:.0f} MiB (before ranking: {rss_before / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
