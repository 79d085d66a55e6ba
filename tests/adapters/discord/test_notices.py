"""A word when a Discord digest breaks: one DM per pause, to the right person, and 'works again'."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import discord
import httpx
import pytest

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord.notices import notice_text
from bot.app import App, build_app, build_deliverer, discord_adapter
from bot.delivery.deliver import Outcome
from bot.delivery.notices import Notice
from bot.delivery.schedule import run_on
from bot.store import Store
from bot.subscriptions import Subscription
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.limits import assert_no_pings
from tests.adapters.discord.support import NOW, settings
from tests.factories import DISCORD, snowflake

MANAGE = discord.Permissions(manage_channels=True).value
SETTER = 4242


def _no_http(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected outbound request to {request.url}")


Start = Callable[[], Awaitable[tuple[App, DiscordAdapter]]]


@pytest.fixture
async def start(fake: FakeDiscord, store: Store) -> AsyncIterator[Start]:
    """Start an app and its Discord adapter over the shared store (again: a restart)."""
    running: list[tuple[App, DiscordAdapter]] = []

    async def make() -> tuple[App, DiscordAdapter]:
        app = build_app(settings(fake), clock=lambda: NOW, store=store,
                        transport=httpx.MockTransport(_no_http))  # fmt: skip
        adapter = discord_adapter(app)
        await adapter.start()
        running.append((app, adapter))
        return app, adapter

    yield make
    for app, adapter in running:
        await adapter.close()
        await app.http.aclose()
    store.close()


async def subscribe_locked_channel(app: App, fake: FakeDiscord) -> Subscription:
    """/digest subscribe run by SETTER in the channel the bot then loses access to."""
    sent = await fake.slash("digest", [{"name": "subscribe", "type": 1, "options": []}],
                            user_id=SETTER, permissions=MANAGE,
                            channel_id=fake.forbidden_channel_id)  # fmt: skip
    await fake.wait_for(lambda: sent.original and sent.original["content"].startswith("Subscr"))
    sub = app.subscriptions.get(f"discord:{fake.forbidden_channel_id}")
    assert sub is not None and sub.created_by == str(SETTER)
    return sub


async def deliver(app: App, adapter: DiscordAdapter, sub: Subscription, days: int = 0) -> Outcome:
    """Post the subscription's digest as the scheduler would (today, or days later)."""
    deliverer = build_deliverer(app, {"discord": adapter})
    return await deliverer.deliver(sub, run_on(sub, NOW.date() + timedelta(days=days)), "test")


def dms(fake: FakeDiscord, user: int) -> list[str]:
    """What the bot said to a user directly."""
    return [m["content"] for m in fake.direct.get(user, [])]


async def test_a_lost_permission_brings_one_dm_naming_the_fix_even_after_a_restart(
    start: Start, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    app, adapter = await start()
    sub = await subscribe_locked_channel(app, fake)
    outcome = await deliver(app, adapter, sub)
    assert outcome.status == "failed"
    [text] = await fake.wait_for(lambda: dms(fake, SETTER))
    channel = f"<#{fake.forbidden_channel_id}>"
    assert text.startswith(f"⚠️ The daily digest of {channel} is paused")
    assert "**View Channel**" in text and "**Send Messages**" in text
    assert f"Then run `/digest resume` in {channel}" in text
    assert_no_pings(fake.direct[SETTER][0])
    assert await adapter.notices.sweep(adapter.direct.tell) == 0
    await adapter.close()
    _, again = await start()  # a restart sweeps at once: nothing more to say
    assert again.notices is not None
    assert await again.notices.sweep(again.direct.tell) == 0
    assert len(dms(fake, SETTER)) == 1 and fake.direct.keys() == {SETTER}


async def test_when_the_setter_takes_no_dms_the_server_owner_is_told(
    start: Start, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    fake.no_dms.add(SETTER)
    app, adapter = await start()
    sub = await subscribe_locked_channel(app, fake)
    await deliver(app, adapter, sub)
    [text] = await fake.wait_for(lambda: dms(fake, fake.owner_id))
    assert "is paused" in text and dms(fake, SETTER) == []


async def test_a_digest_that_works_again_after_a_resume_says_so_once(
    start: Start, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    app, adapter = await start()
    sub = await subscribe_locked_channel(app, fake)
    await deliver(app, adapter, sub)
    await fake.wait_for(lambda: dms(fake, SETTER))
    # The admin fixes the permission and resumes from the channel.
    fake.channels[fake.forbidden_channel_id] = "unlocked"
    locked, fake.forbidden_channel_id = fake.forbidden_channel_id, fake.snowflake()
    sent = await fake.slash("digest", [{"name": "resume", "type": 1, "options": []}],
                            permissions=MANAGE, channel_id=locked)  # fmt: skip
    await fake.wait_for(lambda: sent.original and "Resumed" in sent.original["content"])
    assert adapter.notices is not None
    assert await adapter.notices.sweep(adapter.direct.tell) == 0  # nothing posted yet
    resumed = app.subscriptions.get(f"discord:{locked}")
    assert resumed is not None and (await deliver(app, adapter, resumed, days=1)).status == "sent"
    assert await adapter.notices.sweep(adapter.direct.tell) == 1
    _, second = dms(fake, SETTER)
    assert (
        second == f"✅ The daily digest of <#{locked}> works again: its latest digest was posted."
    )
    assert await adapter.notices.sweep(adapter.direct.tell) == 0


@pytest.mark.parametrize(
    ("reason", "says", "resume"),
    [
        ("Discord 403 on channel 1: Missing Permissions (does the bot still have View Channel"
         " and Send Messages there?)", "missing a permission", True),
        ("Discord 404 on channel 1: Unknown Channel (does the bot ...)", "was deleted", False),
        ("Discord 401 on channel 1: 401: Unauthorized (is DISCORD_TOKEN valid?)", "token", True),
        ("@everyone something new", "everyone something new", True),
    ],
)  # fmt: skip
def test_each_reason_gets_its_fix(reason: str, says: str, resume: bool) -> None:
    notice = Notice(1, "paused", DISCORD, "2", "3", reason)
    text = notice_text(notice)
    assert says in text
    assert ("/digest resume" in text) is resume
    assert "@everyone" not in text  # escaped: it pings nobody


def test_a_working_notice_names_the_channel() -> None:
    channel = snowflake(99)
    text = notice_text(Notice(1, "working", f"discord:{channel}", "2", "3", "x", recipient="3"))
    assert text.startswith(f"✅ The daily digest of <#{channel}> works again")


async def test_nobody_reachable_is_recorded_and_not_tried_again(
    start: Start, fake: FakeDiscord, ranked_ids: list[str], store: Store
) -> None:
    fake.no_dms.update({SETTER, fake.owner_id})
    app, adapter = await start()
    sub = await subscribe_locked_channel(app, fake)
    await deliver(app, adapter, sub)
    row: dict[str, Any] | None = None

    def recorded() -> dict[str, Any] | None:
        return store.query_one("SELECT state FROM pause_notices WHERE state != 'sending'")

    row = await fake.wait_for(recorded)
    assert row == {"state": "unreachable"}
    assert fake.direct == {}
