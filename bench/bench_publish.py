"""What publishing a day's public page costs the day's deliveries, at a store of 100,000 papers.

On a private copy of the shared production-shaped store (bench/corpus.py), channels with their
own filters (categories, keywords, top, repeat rule) post today's digest through the real
Deliverer (ledger, leases, the site's Publisher) to an in-memory channel. It reports:
- what the first channel's plan pays for the public page: the public digest made from the
  day's cached ranking, against the ranking a cold service would compute for it;
- the rankings computed and public digests made while every channel posts (one each);
- what a later channel pays once the day is published (one indexed lookup);
- the size of the frozen copy, and that the page is `hotpapers digest --date` for the day.

    .venv/bin/python bench/bench_publish.py [--papers 100000] [--channels 20]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the in-memory channel lives under tests/

from bench.corpus import NOW, TODAY, real_store, working_copy  # noqa: E402
from bench.measure import ms  # noqa: E402
from bot.app import build_app, build_deliverer  # noqa: E402
from bot.config import Config, Env, MarkdownConfig, Settings  # noqa: E402
from bot.delivery.lease import Leases  # noqa: E402
from bot.delivery.queue import OutboundQueue  # noqa: E402
from bot.delivery.schedule import run_on  # noqa: E402
from bot.models import Digest, Ranking  # noqa: E402
from bot.rank import Scored  # noqa: E402
from bot.service import HotPapersService  # noqa: E402
from bot.site import queries as q  # noqa: E402
from bot.site.publish import Publisher  # noqa: E402
from bot.subscriptions import WEEKDAYS, Subscription  # noqa: E402
from tests.delivery.fakechannel import MemoryChannel  # noqa: E402

CATEGORIES = ("cs.CV", "cs.RO", "cs.CR", "stat.ML", "cs.AI", "math.OC", "cs.LG")
KEYWORDS = ("robot", "attention", "privacy", "graph", "language")


class CountingService(HotPapersService):
    """The real service, counting the rankings it computes and the public digests asked of it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rankings = 0
        self.public = 0

    def _compute(self, ranking: Ranking, day: date, now: datetime) -> list[Scored]:
        self.rankings += 1
        return super()._compute(ranking, day, now)

    def digest(self, **kwargs: Any) -> Digest:
        if kwargs.get("channel") is None and kwargs.get("selection") is None:
            self.public += 1
        return super().digest(**kwargs)


def channel_settings(i: int) -> dict[str, Any]:
    """A lab's own filter: some follow categories, some keywords, tops and repeat rules vary."""
    values: dict[str, Any] = {"top": 3 + i % 10, "repeat_days": (0, 3, 7)[i % 3]}
    if i % 2:
        values["categories"] = (CATEGORIES[i % len(CATEGORIES)],)
    elif i % 4 == 0:
        values["keywords"] = (KEYWORDS[i % len(KEYWORDS)],)
    return values


def timed(call: Any) -> tuple[Any, float]:
    """call() and the seconds it took."""
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


async def deliver_all(settings: Settings, channels: int) -> None:
    """Every channel posts today's digest; report the rankings and the public page's cost."""
    clock = lambda: NOW  # noqa: E731
    app = build_app(settings, clock=clock)
    service = CountingService(app.store, settings.config, clock)
    app = replace(app, service=service)
    subs = [
        app.subscriptions.save(
            Subscription(f"discord:{100000000000000000 + i}", time="09:00", timezone="UTC",
                         days=WEEKDAYS, **channel_settings(i)),
            NOW,
        )
        for i in range(channels)
    ]  # fmt: skip
    deliverer = build_deliverer(app, {"discord": MemoryChannel(per_message=5)},
                                leases=Leases(app.store), queue=OutboundQueue({}))  # fmt: skip
    times = []
    for sub in subs:
        started = time.perf_counter()
        outcome = await deliverer.deliver(sub, run_on(sub, TODAY), "schedule")
        times.append(time.perf_counter() - started)
        assert outcome.status == "sent", outcome
    rankings, made = service.rankings, service.public
    found = q.published(app.store, TODAY)
    assert found is not None
    public = [p.paper.arxiv_id for p in service.digest(day=TODAY).papers]
    assert [p.paper.arxiv_id for p in found.digest.papers] == public
    print(f"{channels} channels posted: {rankings} ranking(s) computed, "
          f"{made} public digest(s) made for the site")  # fmt: skip
    print(f"  first delivery (cold ranking) {ms(times[0])}, "
          f"later ones median {ms(sorted(times[1:])[len(times[1:]) // 2])}")  # fmt: skip
    print(f"  the day's page: {len(found.digest.papers)} papers, the same as "
          f"`hotpapers digest --date {TODAY}`")  # fmt: skip
    service.close()
    await app.aclose()


def costs(settings: Settings) -> None:
    """The public page's cost in the first plan of a day, and once the day is published."""
    clock = lambda: NOW  # noqa: E731
    app = build_app(settings, clock=clock)
    lab = replace(Subscription("discord:100000000000000099"), **channel_settings(1))
    own, cold = timed(lambda: app.service.digest(day=TODAY, selection=lab.selection()))
    publisher = Publisher(app.store, app.service)
    copy, warm = timed(lambda: publisher.copy(lab.channel, TODAY, own))
    assert copy is not None
    fresh = HotPapersService(app.store, settings.config, clock)
    _, alone = timed(lambda: fresh.digest(day=TODAY))
    print(f"a lab's digest with a cold ranking: {ms(cold)}")
    print(f"+ the public page from the cached ranking: {ms(warm)} "
          f"(a cold service would rank for it: {ms(alone)})")  # fmt: skip
    print(f"  frozen copy {len(copy):,} bytes")
    with app.store.transaction() as tx:
        tx.execute(
            "INSERT INTO published_digests (day, channel, published_at, arxiv_ids, digest)"
            " VALUES (?, ?, ?, '[]', ?)",
            [TODAY.isoformat(), lab.channel, NOW.isoformat(), copy],
        )
    runs = []
    for _ in range(200):
        result, took = timed(lambda: publisher.copy(lab.channel, TODAY, own))
        assert result is None
        runs.append(took)
    runs.sort()
    print(f"a later channel once the day is published: median {runs[100] * 1e6:.0f} µs, "
          f"p99 {runs[197] * 1e6:.0f} µs")  # fmt: skip
    fresh.close()
    app.service.close()
    app.store.close()


def main() -> None:
    """Run on a private copy of the shared store."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--channels", type=int, default=20)
    args = parser.parse_args()
    source = real_store(args.papers)
    with tempfile.TemporaryDirectory(prefix="hotpapers-bench-") as tmp:
        folder = Path(tmp)
        for step in ("costs", "deliveries"):
            db = working_copy(source, folder)
            config = Config(markdown=MarkdownConfig(folder=folder / "posts"))
            settings = Settings(config=config, env=Env(hotpapers_db=db))
            print(f"-- {step} ({args.papers:,} papers)")
            if step == "costs":
                costs(settings)
            else:
                asyncio.run(deliver_all(settings, args.channels))


if __name__ == "__main__":
    main()
