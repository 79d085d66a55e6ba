"""A store shaped like a week of production: papers, posts observed every few hours, HF upvotes,
hostile titles and posts, and two published days, posted through the real ledger."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from aiohttp import web

from bot.config import Config
from bot.delivery.ledger import Ledger
from bot.models import Digest, Paper, Signal, SocialPost
from bot.service import HotPapersService
from bot.site.frozen import dump_digest
from bot.site.pages import Site
from bot.store import Store
from tests.factories import NOW

YESTERDAY = date(2026, 11, 25)
TODAY = NOW.date()
HOSTILE_TITLE = '<script>alert("title")</script> Attention & "Quotes" <img src=x onerror=alert(1)>'
HOSTILE_ID = "2611.00666"
SOURCES = ("x", "bluesky", "hackernews", "reddit")


@dataclass
class World:
    """The store, a service on a fixed clock, and what was published."""

    store: Store
    service: HotPapersService
    config: Config
    published: dict[date, Digest]

    def site(self, *, static: bool = False) -> Site:
        return Site(self.store, self.service, self.config, static=static)


def _paper(i: int, day: date) -> Paper:
    arxiv_id = f"2611.{i:05d}"
    return Paper(
        arxiv_id=arxiv_id,
        title=f"Scaling laws for attention number {i}",
        authors=tuple(f"Author {i}-{k}" for k in range(3 + i % 5)),
        abstract=f"We study attention {i}. " * 30,
        categories=("cs.LG", "cs.CL"),
        published=datetime.combine(day - timedelta(days=1), datetime.min.time(), UTC),
        announced=day,
    )


def hostile_paper() -> Paper:
    """A paper whose every field tries to inject markup."""
    return Paper(
        arxiv_id=HOSTILE_ID,
        title=HOSTILE_TITLE,
        authors=("<b>Mallory</b>", 'Eve" onmouseover="alert(2)', "@everyone"),
        abstract="</p><script>alert('abstract')</script><style>body{display:none}</style>",
        categories=("cs.CR",),
        published=datetime(2026, 11, 25, tzinfo=UTC),
        announced=TODAY,
        comment="<iframe src=https://evil.example/></iframe>",
    )


def _observations(i: int, source: str, arxiv_id: str, day: date) -> list[SocialPost]:
    """One post seen every four hours for two days, its counts growing."""
    start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=6)
    posts = []
    for step in range(12):
        seen = start + timedelta(hours=4 * step)
        if seen > NOW:
            break
        growth = (step + 1) * (20 - i) * (2 if source == "hackernews" else 1)
        posts.append(
            SocialPost(
                source=source,
                post_id=f"{arxiv_id}-{source}",
                url=f"https://example.org/{source}/{arxiv_id}",
                arxiv_ids=(arxiv_id,),
                observed_at=seen,
                author=f"user{i}",
                author_name=f"User {i}",
                text=f"Read this: {arxiv_id}\nIt is good.",
                created_at=start - timedelta(hours=1),
                reposts=growth // 4,
                likes=growth,
            )
        )
    return posts


def hostile_posts() -> list[SocialPost]:
    """Posts about the hostile paper: script in the text, javascript: URLs, pings."""
    return [
        SocialPost(
            source=source,
            post_id=f"evil-{source}",
            url="javascript:alert('url')",
            arxiv_ids=(HOSTILE_ID,),
            observed_at=NOW - timedelta(hours=hours),
            author='mallory"><script>alert(4)</script>',
            author_name="<img src=x onerror=alert(5)> @everyone <!channel>",
            text="<script>alert('post')</script>\u202eevil\u202c <a href=javascript:alert(6)>x</a>",
            created_at=NOW - timedelta(hours=20),
            reposts=400 - hours,
            likes=900 - hours,
        )
        for source in ("x", "bluesky")
        for hours in (10, 2)
    ]


def _signals(i: int, arxiv_id: str, day: date) -> list[Signal]:
    start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8)
    return [
        Signal("huggingface", arxiv_id, "upvotes", float(5 * (k + 1) * (12 - i)),
               start + timedelta(hours=6 * k), url=f"https://huggingface.co/papers/{arxiv_id}")
        for k in range(6)
        if start + timedelta(hours=6 * k) <= NOW
    ]  # fmt: skip


def fill(store: Store) -> None:
    """Ten papers per day for two days, each talked about on every source, plus the hostile one."""
    for day, offset in ((YESTERDAY, 0), (TODAY, 10)):
        papers = [_paper(offset + i + 1, day) for i in range(10)]
        posts = [
            p
            for i, paper in enumerate(papers)
            for source in SOURCES[: 1 + i % 4]
            for p in _observations(i, source, paper.arxiv_id, day)
        ]
        signals = [
            s for i, paper in enumerate(papers[:5]) for s in _signals(i, paper.arxiv_id, day)
        ]
        store.ingest(papers, posts, signals, seen_at=NOW)
    store.ingest([hostile_paper()], hostile_posts(), seen_at=NOW)


def publish(store: Store, digest: Digest, channel: str, at: datetime) -> None:
    """Post a digest through the ledger as delivery does: plan (frozen), then the part sent."""
    ledger = Ledger(store, lambda: at)
    ids = [p.paper.arxiv_id for p in digest.papers]
    from bot.channels import OutboundMessage

    ledger.plan(
        channel, digest.day, [OutboundMessage({"text": "x"}, "x", tuple(ids))], arxiv_ids=ids,
        note="", trigger="schedule", scheduled_for=at, digest=dump_digest(digest),
    )  # fmt: skip
    ledger.set_part(channel, digest.day, 0, "sent", "m1")
    ledger.finish(channel, digest.day, "sent")


def fixed(moment: datetime) -> Callable[[], datetime]:
    """A clock stopped at moment."""
    return lambda: moment


def world(store: Store | None = None) -> World:
    """The filled store with yesterday's and today's digests published."""
    store = store or Store()
    fill(store)
    config = Config()
    published = {}
    for day, hour in ((YESTERDAY, 8), (TODAY, 8)):
        at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour)
        service = HotPapersService(store, config, clock=fixed(at))
        digest = service.digest(day=day, ranking="hot")
        publish(store, digest, "markdown:posts", at)
        published[day] = digest
    service = HotPapersService(store, config, clock=lambda: NOW)
    return World(store, service, config, published)


async def until(check: Callable[[], Awaitable[bool] | bool], seconds: float = 30.0) -> None:
    """Wait for something a server or browser brings about in the background."""
    for _ in range(int(seconds / 0.02)):
        result = check()
        if await result if isinstance(result, Awaitable) else result:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out waiting")


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve an aiohttp application on a free loopback port; yield its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/"
    finally:
        await runner.cleanup()
