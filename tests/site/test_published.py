"""A day is published when its digest is first posted to any channel; its page shows that digest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build_app, build_deliverer
from bot.channels import DeliveryError
from bot.delivery.deliver import Deliverer, RetryPolicy
from bot.delivery.lease import Leases
from bot.delivery.queue import OutboundQueue
from bot.delivery.schedule import run_on
from bot.site import queries as q
from bot.site.pages import Site
from bot.store import Store
from tests.delivery.fakechannel import MemoryChannel
from tests.delivery.support import NINE_BERLIN, TODAY, Clock, make_settings, seed, subscribe
from tests.factories import DISCORD, DISCORD_2, snowflake
from tests.site.html import tags

FAST = RetryPolicy(attempts=2, rate_limited=2, base=0.001, cap=0.01)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    settings = make_settings(tmp_path)
    app = build_app(settings, clock=Clock(NINE_BERLIN), store=Store(settings.env.hotpapers_db))
    seed(app.store, count=8)
    yield app
    await app.aclose()


def deliverer(app: App, channel: MemoryChannel) -> Deliverer:
    return build_deliverer(app, {"discord": channel}, leases=Leases(app.store),
                           queue=OutboundQueue({}), retry=FAST)  # fmt: skip


def listed(app: App) -> list[str]:
    page = Site(app.store, app.service, app.settings.config).render(f"days/{TODAY}/")
    return [a["data-arxiv-id"] for t, a in tags(page.body) if t == "article"]


async def test_the_first_digest_posted_for_a_day_is_published_as_it_was_posted(app: App) -> None:
    channel = MemoryChannel(per_message=2)
    sub = subscribe(app, DISCORD, top=3)
    outcome = await deliverer(app, channel).deliver(sub, run_on(sub, TODAY), "schedule")
    assert outcome.status == "sent"
    found = q.published(app.store, TODAY)
    assert found is not None and found.published_at == NINE_BERLIN
    posted = [a for _, m in channel.posts[snowflake(1)] for a in m.arxiv_ids]
    assert [p.paper.arxiv_id for p in found.digest.papers] == posted == listed(app)
    # Another channel's later digest (a different selection) does not replace the day's.
    other = subscribe(app, DISCORD_2, top=5)
    await deliverer(app, channel).deliver(other, run_on(other, TODAY), "schedule")
    assert len(channel.posts[snowflake(2)]) == 3
    assert listed(app) == posted


async def test_a_digest_planned_but_never_posted_publishes_nothing(app: App) -> None:
    refused = DeliveryError("missing access", permanent=True)
    channel = MemoryChannel(fault=lambda target, n: refused)
    sub = subscribe(app, DISCORD, top=3)
    outcome = await deliverer(app, channel).deliver(sub, run_on(sub, TODAY), "schedule")
    assert outcome.status == "failed"
    assert q.published(app.store, TODAY) is None and q.latest_day(app.store) is None


async def test_the_frozen_copy_is_dropped_once_the_delivery_is_finished(app: App) -> None:
    sub = subscribe(app, DISCORD, top=3)
    await deliverer(app, MemoryChannel()).deliver(sub, run_on(sub, TODAY), "schedule")
    rows = app.store.query(
        "SELECT digest FROM deliveries WHERE channel = 'discord:10000000000000001'"
    )
    assert rows == [{"digest": None}]
    assert q.published(app.store, TODAY) is not None


async def test_a_skipped_day_is_not_published(app: App) -> None:
    # Nobody talks about combinatorics: the channel's digest is empty, and so not posted.
    sub = subscribe(app, DISCORD, top=3, empty_day="skip", categories=("math.CO",))
    outcome = await deliverer(app, MemoryChannel()).deliver(sub, run_on(sub, TODAY), "schedule")
    assert outcome.status == "skipped"
    assert q.published_days(app.store) == []
