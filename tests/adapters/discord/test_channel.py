"""Scheduled delivery through the Channel contract: post once, find again, fail usefully."""

from __future__ import annotations

import time

import pytest

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord.channel import marker, nonce
from bot.channels import Channel, DeliveryError
from bot.store import Store
from tests.adapters.discord.conftest import MakeAdapter
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.limits import assert_within_limits
from tests.adapters.discord.support import seed


def as_channel(adapter: DiscordAdapter) -> Channel:
    """The adapter, typed as what delivery sees."""
    return adapter


async def test_a_digest_is_posted_with_its_key_as_nonce_and_numbers_that_react(
    make_adapter: MakeAdapter, fake: FakeDiscord, store: object
) -> None:
    ids = seed(store, 12)  # type: ignore[arg-type]
    adapter = await make_adapter()
    channel = as_channel(adapter)
    assert channel.platform == "discord"
    messages = channel.render(adapter.commands.service.digest())
    assert [m.arxiv_ids for m in messages] == [tuple(ids[:10])]  # default top 10
    target = str(fake.channel_id)
    message_id = await channel.send(
        target, messages[0], key="discord:10000000000000001:2026-11-26:1"
    )
    (request,) = fake.calls("POST", rf"/channels/{target}/messages$")
    assert (
        request.body["nonce"] == nonce("discord:10000000000000001:2026-11-26:1")
        and request.body["enforce_nonce"]
    )
    assert request.body["allowed_mentions"] == {"parse": []}
    assert_within_limits(request.body)
    (posted,) = fake.messages[fake.channel_id]
    assert posted["id"] == message_id
    assert posted["embeds"][-1]["footer"]["text"].endswith(
        marker("discord:10000000000000001:2026-11-26:1")
    )
    channel.remember(target, message_id, messages[0])  # delivery does, recording it as sent
    await fake.react(message_id, "🔟")
    reply = await fake.wait_for(lambda: [m for m in fake.messages[fake.channel_id][1:]])
    assert reply[0]["embeds"][0]["url"].endswith(ids[9])


async def test_sending_the_same_key_twice_posts_one_message(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    (message,) = adapter.render(adapter.commands.service.digest())
    first = await adapter.send(str(fake.channel_id), message, key="k1")
    again = await adapter.send(str(fake.channel_id), message, key="k1")
    assert first == again and len(fake.messages[fake.channel_id]) == 1


async def test_find_sent_recovers_a_posted_digest_after_a_restart_and_rebuilds_its_numbers(
    make_adapter: MakeAdapter, fake: FakeDiscord, store: Store, ranked_ids: list[str]
) -> None:
    first = await make_adapter(start=False)  # REST only: delivery needs no gateway
    (message,) = first.render(first.commands.service.digest())
    target = f"discord:{fake.channel_id}"
    sent = await first.send(target, message, key="day-1")
    await first.send(target, first.render(first.commands.service.digest())[0], key="day-2")
    assert not fake.ops(2), "posting needs no gateway session"
    await first.close()
    with store.transaction() as tx:  # as if we crashed before saving
        tx.execute("DELETE FROM message_papers")
    second = await make_adapter(start=False)
    assert await second.find_sent(target, "day-1") == sent
    assert await second.find_sent(target, "day-3") is None
    assert second.reactions.paper_for("discord", sent, "2️⃣") == ranked_ids[1]


async def test_an_empty_digest_carries_its_marker_in_the_content(
    make_adapter: MakeAdapter, fake: FakeDiscord
) -> None:
    adapter = await make_adapter(start=False)
    (message,) = adapter.render(adapter.commands.service.digest())
    assert message.payload["embeds"] == []
    sent = await adapter.send(str(fake.channel_id), message, key="empty-day")
    assert fake.messages[fake.channel_id][0]["content"].endswith(marker("empty-day"))
    assert await adapter.find_sent(str(fake.channel_id), "empty-day") == sent


@pytest.mark.parametrize(("which", "said"), [("forbidden", "403"), ("unknown", "404")])
async def test_missing_access_and_unknown_channels_are_permanent_failures(
    adapter: DiscordAdapter, fake: FakeDiscord, which: str, said: str
) -> None:
    target = str(fake.forbidden_channel_id if which == "forbidden" else fake.snowflake())
    (message,) = adapter.render(adapter.commands.service.digest())
    with pytest.raises(DeliveryError) as caught:
        await adapter.send(target, message, key="k")
    assert caught.value.permanent and said in caught.value.reason
    assert len(fake.calls("POST", rf"/channels/{target}/messages$")) == 1, "not retried"


async def test_a_target_that_is_no_channel_id_is_a_permanent_failure(
    adapter: DiscordAdapter,
) -> None:
    (message,) = adapter.render(adapter.commands.service.digest())
    with pytest.raises(DeliveryError) as caught:
        await adapter.send("discord:general", message, key="k")
    assert caught.value.permanent


async def test_a_short_429_is_waited_out_and_the_post_goes_through(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    fake.rate_limit("POST", rf"/channels/{fake.channel_id}/messages$", retry_after=0.4)
    (message,) = adapter.render(adapter.commands.service.digest())
    started = time.monotonic()
    sent = await adapter.send(str(fake.channel_id), message, key="k")
    assert time.monotonic() - started >= 0.4
    calls = fake.calls("POST", rf"/channels/{fake.channel_id}/messages$")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 0.4
    assert fake.messages[fake.channel_id][0]["id"] == sent


async def test_a_429_longer_than_the_configured_wait_becomes_a_retry_after(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    fake.rate_limit("POST", rf"/channels/{fake.channel_id}/messages$", retry_after=600)
    (message,) = adapter.render(adapter.commands.service.digest())
    with pytest.raises(DeliveryError) as caught:
        await adapter.send(str(fake.channel_id), message, key="k")
    assert not caught.value.permanent and caught.value.retry_after == 600


async def test_a_rate_limited_interaction_reply_is_waited_out(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    fake.rate_limit("POST", r"/webhooks/\d+/[^/]+$", retry_after=0.3)
    sent = await fake.slash("hot", [{"name": "count", "type": 4, "value": 12}])  # two messages
    await fake.wait_for(lambda: len(fake.messages.get(fake.channel_id, [])) == 2)
    statuses = [c.status for c in fake.calls("POST", r"/webhooks/\d+/[^/]+$")]
    assert statuses == [429, 200] and sent.callback is not None
