"""The site at a store of 100,000 papers: page build times, served latency, page sizes, loop lag.

Uses the shared production-shaped store (bench/corpus.py: 100,000 papers over 50 days, a
million posts observed twice, HF upvote series), on a private copy, and posts a digest for each
of the last 30 days through the delivery ledger (one of them a `seed` day, which lists every
paper over its threshold). Then it times:
- each kind of page built from the store (what a cache miss costs, in the worker thread),
  including the paper with the most posts (its chart reads every observation of every post);
- each kind of page served over HTTP by the runner's site server (warm: built once per change);
- the event loop's lag while 100 paper pages are built at once (they build in threads);
- the size of every page of a full static build (`hotpapers site build`), and its time.

    .venv/bin/python bench/bench_site.py [--papers 100000] [--days 30] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import NOW, TODAY, real_store, working_copy
from bench.measure import LoopLag, ms, series
from bot.channels import OutboundMessage
from bot.config import Config
from bot.delivery.ledger import Ledger
from bot.service import HotPapersService
from bot.site.build import build_site
from bot.site.frozen import dump_digest
from bot.site.pages import Site
from bot.site.web import SiteServer
from bot.store import Store


def fixed(moment: datetime) -> Callable[[], datetime]:
    """A clock stopped at moment."""
    return lambda: moment


def publish(store: Store, config: Config, days: int) -> None:
    """Post a digest for each of the last `days` days through the ledger, as delivery does."""
    for back in range(days - 1, -1, -1):
        day = TODAY - timedelta(days=back)
        at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8)
        at = min(at, NOW)
        ranking = "seed" if back == 1 else "hot"
        digest = HotPapersService(store, config, clock=fixed(at)).digest(day=day, ranking=ranking)
        ids = [p.paper.arxiv_id for p in digest.papers]
        ledger = Ledger(store, fixed(at))
        message = OutboundMessage({"markdown": "…"}, "digest", tuple(ids))
        ledger.plan("markdown:posts", day, [message], arxiv_ids=ids, note="", trigger="schedule",
                    scheduled_for=at, digest=dump_digest(digest))  # fmt: skip
        ledger.set_part("markdown:posts", day, 0, "sent", "posts/x.md")
        ledger.finish("markdown:posts", day, "sent")


def papers_to_show(store: Store) -> dict[str, str]:
    """The most talked-about paper, a typical one, and one nobody posted about."""
    famous = store.query_one(
        "SELECT arxiv_id, count(*) AS n FROM post_links GROUP BY arxiv_id ORDER BY n DESC LIMIT 1"
    )
    typical = store.query_one(
        "SELECT arxiv_id FROM post_links GROUP BY arxiv_id HAVING count(*) BETWEEN 8 AND 12 LIMIT 1"
    )
    quiet = store.query_one(
        "SELECT arxiv_id FROM papers WHERE arxiv_id NOT IN (SELECT arxiv_id FROM post_links)"
        " LIMIT 1"
    )
    assert famous and typical and quiet
    print(f"most talked-about paper: {famous['arxiv_id']} ({famous['n']:,} posts)")
    return {
        "paper, most posts": famous["arxiv_id"],
        "paper, ~10 posts": typical["arxiv_id"],
        "paper, no posts": quiet["arxiv_id"],
    }


def pages(store: Store) -> dict[str, str]:
    """One path per kind of page."""
    paths = {"home (hot list)": "", "hot.json": "hot.json", "feed.atom": "feed.atom",
             "archive": "days/", "year": f"days/{TODAY:%Y}/", "day (hot)": f"days/{TODAY}/",
             "day (seed, page 1)": f"days/{TODAY - timedelta(days=1)}/",
             "search": "search/"}  # fmt: skip
    paths.update({k: f"papers/{v}/" for k, v in papers_to_show(store).items()})
    return paths


def build_times(store: Store, config: Config, paths: dict[str, str]) -> dict[str, int]:
    """Each page built from the store (a cache miss), five times; its size."""
    sizes = {}
    query = {"q": "diffusion transformer"}
    cold = Site(store, HotPapersService(store, config, clock=fixed(NOW)), config)
    with_cold_ranking = time.perf_counter()
    cold.render("")
    print(f"home with a cold ranking (the first build after a fetch): "
          f"{ms(time.perf_counter() - with_cold_ranking)}")  # fmt: skip
    site = Site(store, HotPapersService(store, config, clock=fixed(NOW)), config)
    for name, path in paths.items():
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            page = site.render(path, query if path == "search/" else {})
            runs.append(time.perf_counter() - start)
        sizes[name] = len(page.body)
        print(series(f"build {name}", runs, f"{len(page.body) / 1000:.1f} kB"))
    return sizes


async def served(store: Store, config: Config, paths: dict[str, str], requests: int) -> None:
    """Latency over HTTP of each page as the runner serves it, and loop lag under cold builds."""
    service = HotPapersService(store, config, clock=fixed(NOW))
    server = SiteServer(Site(store, service, config))
    app = web.Application()
    server.attach(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}/"
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            for name, path in paths.items():
                url = path + ("?q=diffusion+transformer" if path == "search/" else "")
                assert (await client.get(url)).status_code == 200, url
                runs = []
                for _ in range(requests):
                    start = time.perf_counter()
                    response = await client.get(url)
                    runs.append(time.perf_counter() - start)
                    assert response.status_code == 200
                print(series(f"served {name}", runs))
            ids = [r["arxiv_id"] for r in store.query(
                "SELECT DISTINCT arxiv_id FROM post_links LIMIT 100 OFFSET 5000")]  # fmt: skip
            lag = LoopLag(every=0.01)
            lag.start()
            start = time.perf_counter()
            answers = await asyncio.gather(*(client.get(f"papers/{a}/") for a in ids))
            took = time.perf_counter() - start
            await lag.stop()
            assert all(a.status_code == 200 for a in answers)
            print(f"100 uncached paper pages at once: {ms(took)} in all; {lag.report()}")
    finally:
        await runner.cleanup()


def static_build(store: Store, config: Config) -> None:
    """A full static build: time, files, and the largest page."""
    site = Site(store, HotPapersService(store, config, clock=fixed(NOW)), config, static=True)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        report = build_site(site, Path(folder) / "site")
        took = time.perf_counter() - start
        sizes = [p.stat().st_size for p in (Path(folder) / "site").rglob("*.html")]
    name, size = report.largest
    megabytes = report.total_bytes / 1e6
    print(f"static build: {report.files:,} files, {megabytes:.1f} MB in {took:.1f} s;"
          f" HTML pages median {statistics.median(sizes) / 1000:.1f} kB,"
          f" largest {name} {size / 1000:.1f} kB")  # fmt: skip


def main() -> None:
    """Build the store copy, publish days, measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    source = real_store(args.papers)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(working_copy(source, Path(folder)))
        config = Config()
        print(f"store: {store.counts()}")
        start = time.perf_counter()
        publish(store, config, args.days)
        print(f"posted {args.days} days through the ledger in {time.perf_counter() - start:.1f} s")
        paths = pages(store)
        build_times(store, config, paths)
        asyncio.run(served(store, config, paths, args.requests))
        static_build(store, config)
        store.close()


if __name__ == "__main__":
    main()
