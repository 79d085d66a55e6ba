"""A day is published when its digest is first posted to any channel; its page is the public digest.

The public digest is `hotpapers digest --date DAY`: no channel's filter, signal or repeat rule
reaches the page or the feed. With `[site] channel` the page mirrors that channel's posts.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest

from bot.adapters.markdown import MarkdownChannel
from bot.app import App, build_app, build_deliverer
from bot.channel_signal import CHANNEL
from bot.channels import Channel, DeliveryError
from bot.config import DigestConfig, SiteConfig
from bot.delivery.defaults import default_subscription, markdown_channel
from bot.delivery.deliver import Deliverer, RetryPolicy
from bot.delivery.lease import Leases
from bot.delivery.queue import OutboundQueue
from bot.delivery.schedule import run_on
from bot.models import Digest, Ranking
from bot.rank import Scored
from bot.service import HotPapersService
from bot.site import queries as q
from bot.site.frozen import load_digest
from bot.site.pages import Site
from bot.site.publish import Publisher
from bot.store import Store
from tests.delivery.fakechannel import MemoryChannel
from tests.delivery.support import NINE_BERLIN, TODAY, Clock, make_settings, seed, subscribe
from tests.factories import DISCORD, DISCORD_2, SLACK, snowflake
from tests.factories import post as post_of
from tests.site.html import tags

FAST = RetryPolicy(attempts=2, rate_limited=2, base=0.001, cap=0.01)
LAB = DISCORD  # a private lab channel with its own filter
GENERAL = DISCORD_2
IDS: list[str] = []  # today's papers, most talked about first


class CountingService(HotPapersService):
    """The real service, counting the rankings it computes and where public digests are made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rankings: list[tuple[Ranking, date]] = []
        self.public_threads: list[threading.Thread] = []

    def _compute(self, ranking: Ranking, day: date, now: datetime) -> list[Scored]:
        self.rankings.append((ranking, day))
        return super()._compute(ranking, day, now)

    def digest(self, **kwargs: Any) -> Digest:
        if kwargs.get("channel") is None and kwargs.get("selection") is None:
            self.public_threads.append(threading.current_thread())
        return super().digest(**kwargs)


async def make_app(tmp_path: Path, site_channel: str = "") -> AsyncIterator[App]:
    """An app over 10 papers of today; the public digest is the configured top 8."""
    settings = make_settings(tmp_path)
    site = SiteConfig(channel=site_channel)
    config = settings.config.model_copy(update={"site": site, "digest": DigestConfig(top=8)})
    settings = replace(settings, config=config)
    clock = Clock(NINE_BERLIN)
    app = build_app(settings, clock=clock, store=Store(settings.env.hotpapers_db))
    # The root's service, counting: the same class and store, only watched.
    app = replace(app, service=CountingService(app.store, config, clock))
    IDS[:] = seed(app.store, count=10)
    yield app
    await app.aclose()


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    async for built in make_app(tmp_path):
        yield built


def deliverer(app: App, channel: Channel, platform: str = "discord") -> Deliverer:
    return build_deliverer(app, {platform: channel}, leases=Leases(app.store),
                           queue=OutboundQueue({}), retry=FAST)  # fmt: skip


async def post(app: App, channel: str, platform_channel: Channel, day: date = TODAY) -> None:
    sub = app.subscriptions.get(channel)
    assert sub is not None
    platform = channel.split(":", 1)[0]
    outcome = await deliverer(app, platform_channel, platform).deliver(
        sub, run_on(sub, day), "schedule"
    )
    assert outcome.status == "sent", outcome


def site(app: App) -> Site:
    return Site(app.store, app.service, app.settings.config)


def listed(app: App, day: date = TODAY) -> list[str]:
    page = site(app).render(f"days/{day}/")
    return [a["data-arxiv-id"] for t, a in tags(page.body) if t == "article"]


def feed_entry(app: App) -> str:
    feed = feedparser.parse(site(app).render("feed.atom").body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.title for e in feed.entries] == [f"Hot Papers {TODAY}"]
    return str(feed.entries[0].content[0].value)


def public_ids(app: App, day: date = TODAY) -> list[str]:
    """What `hotpapers digest --date DAY` lists."""
    return [p.paper.arxiv_id for p in app.service.digest(day=day).papers]


def posted(channel: MemoryChannel, target: str) -> list[str]:
    return [a for _, m in channel.posts[target] for a in m.arxiv_ids]


def markdown_ids(post: Path) -> list[str]:
    """The papers of a blog post, in the order it lists them."""
    return re.findall(r"\[abs\]\(https://arxiv\.org/abs/([^)]+)\)", post.read_text())


async def test_a_filtered_private_channel_posting_first_does_not_leak_into_the_page_or_feed(
    app: App,
) -> None:
    ids = IDS
    # The lab follows one niche paper, outside the public top 10, by keyword.
    subscribe(app, LAB, top=3, keywords=(f"study of {ids[9]}",))
    lab = MemoryChannel(per_message=2)
    await post(app, LAB, lab)
    assert posted(lab, LAB.split(":")[1]) == [ids[9]]
    found = q.published(app.store, TODAY)
    assert found is not None and found.published_at == NINE_BERLIN
    assert [p.paper.arxiv_id for p in found.digest.papers] == public_ids(app) == ids[:8]
    assert found.digest.ranking == app.settings.config.ranking.default
    assert listed(app) == ids[:8]
    entry = feed_entry(app)
    assert all(a in entry for a in ids[:8]) and ids[9] not in entry
    assert f"study of {ids[9]}" not in site(app).render(f"days/{TODAY}/").body.decode()


async def test_a_channels_repeat_rule_does_not_thin_the_public_page(app: App) -> None:
    ids = IDS
    subscribe(app, LAB, top=10)
    app.store.mark_shown(LAB, ids[:3], NINE_BERLIN - timedelta(days=1))
    lab = MemoryChannel(per_message=5)
    await post(app, LAB, lab)
    assert posted(lab, LAB.split(":")[1]) == ids[3:10]  # the lab saw the first three yesterday
    assert listed(app) == ids[:8] == public_ids(app)


async def test_later_channels_never_replace_the_day_nor_rank_it_again(app: App) -> None:
    service, clock, ids = app.service, app.clock, IDS
    assert isinstance(service, CountingService) and isinstance(clock, Clock)
    subscribe(app, LAB, top=3, keywords=("study",))
    subscribe(app, GENERAL, top=5)
    await post(app, LAB, MemoryChannel())
    first = listed(app)
    assert first == ids[:8]
    # Later the least talked-about paper takes off: ranked now, it would lead the day.
    clock.advance(hours=2)
    surge = post_of("surge", (ids[9],), observed_at=clock(), reposts=5_000, likes=9_000)
    app.store.ingest([], [surge], seen_at=clock())
    assert public_ids(app)[0] == ids[9]
    made = len(service.public_threads)
    await post(app, GENERAL, MemoryChannel())
    assert listed(app) == first
    found = q.published(app.store, TODAY)
    assert found is not None and found.published_at == NINE_BERLIN
    # The second channel found the day published and made no public digest.
    assert len(service.public_threads) == made
    rows = app.store.query("SELECT channel, digest FROM deliveries ORDER BY channel")
    assert rows == [{"channel": LAB, "digest": None}, {"channel": GENERAL, "digest": None}]


async def test_channels_planned_together_share_one_ranking_of_the_day(app: App) -> None:
    service = app.service
    assert isinstance(service, CountingService)
    for n, keywords in enumerate([("study",), ("2611.1000",), ()]):
        subscribe(app, f"discord:{snowflake(10 + n)}", top=3 + n, keywords=keywords)
    channel = MemoryChannel()
    await asyncio.gather(*(post(app, f"discord:{snowflake(10 + n)}", channel) for n in range(3)))
    # The channels' digests and the public one come from the one cached ranking of the day.
    assert service.rankings == [(app.settings.config.ranking.default, TODAY)]
    assert listed(app) == public_ids(app)


async def test_a_weekly_digest_publishes_no_day(app: App) -> None:
    sub = subscribe(app, LAB, top=3, weekly="thu")  # TODAY is a Thursday
    channel = MemoryChannel()
    outcome = await deliverer(app, channel).deliver(sub, run_on(sub, TODAY, "weekly"), "schedule")
    assert outcome.status == "sent" and outcome.kind == "weekly" and channel.posts
    assert q.published_days(app.store) == []
    await post(app, LAB, channel)  # the daily digest of the same day does
    assert listed(app) == IDS[:8]


async def test_a_digest_planned_but_never_posted_publishes_nothing(app: App) -> None:
    refused = DeliveryError("missing access", permanent=True)
    channel = MemoryChannel(fault=lambda target, n: refused)
    sub = subscribe(app, LAB, top=3)
    outcome = await deliverer(app, channel).deliver(sub, run_on(sub, TODAY), "schedule")
    assert outcome.status == "failed"
    assert q.published(app.store, TODAY) is None and q.latest_day(app.store) is None


async def test_the_frozen_copy_is_dropped_once_the_delivery_is_finished(app: App) -> None:
    subscribe(app, LAB, top=3)
    await post(app, LAB, MemoryChannel())
    rows = app.store.query("SELECT digest FROM deliveries WHERE channel = ?", [LAB])
    assert rows == [{"digest": None}]
    assert q.published(app.store, TODAY) is not None


async def test_a_skipped_day_is_not_published(app: App) -> None:
    # Nobody talks about combinatorics: the channel's digest is empty, and so not posted.
    sub = subscribe(app, LAB, top=3, empty_day="skip", categories=("math.CO",))
    outcome = await deliverer(app, MemoryChannel()).deliver(sub, run_on(sub, TODAY), "schedule")
    assert outcome.status == "skipped"
    assert q.published_days(app.store) == []


# -- [site] channel -----------------------------------------------------------------------------


async def test_a_site_channel_is_mirrored_and_other_channels_publish_nothing(
    tmp_path: Path,
) -> None:
    async for app in make_app(tmp_path, site_channel=SLACK):
        ids = IDS
        subscribe(app, LAB, top=4)
        subscribe(app, SLACK, top=3, keywords=(f"study of {ids[9]}", f"study of {ids[6]}"))
        await post(app, LAB, MemoryChannel())
        assert q.published(app.store, TODAY) is None  # not the site's channel
        blog = MemoryChannel()
        await post(
            app,
            SLACK,
            blog,
        )
        assert posted(blog, SLACK.split(":")[1]) == [ids[6], ids[9]]
        assert listed(app) == [ids[6], ids[9]]
        entry = feed_entry(app)
        assert ids[9] in entry and ids[0] not in entry


async def test_a_markdown_site_channel_makes_the_day_page_the_blog_post(tmp_path: Path) -> None:
    # The blog's channel, as `hotpapers run` subscribes it, named as the site's channel.
    settings = make_settings(tmp_path)
    blog = markdown_channel(settings.config)
    async for app in make_app(tmp_path, site_channel=blog):
        ids = IDS
        app.subscriptions.save(default_subscription(blog, app.settings.config), NINE_BERLIN)
        app.store.mark_shown(blog, ids[:2], NINE_BERLIN - timedelta(days=1))  # yesterday's post
        subscribe(app, LAB, top=2)
        await post(app, LAB, MemoryChannel())
        await post(app, blog, MarkdownChannel(app.settings.config.markdown))
        written = app.settings.config.markdown.folder / f"hot-papers-{TODAY}.md"
        assert markdown_ids(written) == ids[2:10]
        assert listed(app) == markdown_ids(written)  # not the public ids[:8]


async def test_a_site_channel_counting_its_own_reactions_publishes_the_public_digest(
    app: App,
) -> None:
    # The lab is the site's channel but weighs its own reactions (issue 11): they stay in it.
    sub = subscribe(app, LAB, top=3, keywords=(f"study of {IDS[9]}",))
    plain = app.service.digest(day=TODAY, selection=sub.selection())
    niche = plain.papers[0]
    reacted = replace(niche, breakdown={**niche.breakdown, CHANNEL: 7.0})
    own = replace(plain, papers=(reacted,))
    publisher = Publisher(app.store, app.service, LAB)
    assert publisher.copy(GENERAL, TODAY, own) is None  # not the site's channel
    copy = publisher.copy(LAB, TODAY, own)
    assert copy is not None
    page = load_digest(copy)
    assert [p.paper.arxiv_id for p in page.papers] == public_ids(app) == IDS[:8]
    assert not any(CHANNEL in p.breakdown for p in page.papers)
    # Without its reactions, the site's channel's digest is the page, exactly.
    mirrored = publisher.copy(LAB, TODAY, plain)
    assert mirrored is not None and load_digest(mirrored) == plain
