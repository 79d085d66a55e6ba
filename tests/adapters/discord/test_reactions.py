"""Abstracts on reaction, end to end through MESSAGE_REACTION_ADD from the fake gateway."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.adapters.discord import DiscordAdapter
from tests.adapters.discord.conftest import MakeAdapter
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.test_commands import answered, option


def replies(fake: FakeDiscord, message_id: str) -> list[dict[str, Any]]:
    """The bot's replies to a message."""
    return [
        m for messages in fake.messages.values() for m in messages
        if str((m.get("message_reference") or {}).get("message_id")) == message_id
    ]  # fmt: skip


async def settle(adapter: DiscordAdapter) -> None:
    """Let the events sent so far arrive and every handler in flight finish."""
    await asyncio.sleep(0.2)
    await adapter.inflight.drain(5)


async def posted(fake: FakeDiscord, adapter: DiscordAdapter, name: str, value: Any) -> Any:
    """Run a command and wait until its answer is posted and its papers remembered."""
    option_name = "query" if name == "paper" else "count"
    message = await answered(fake, await fake.slash(name, [option(option_name, value)]))
    await adapter.inflight.drain(5)
    return message


async def test_a_keycap_brings_that_papers_abstract_once_however_many_react(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    hot = await posted(fake, adapter, "hot", 5)
    await asyncio.gather(*(fake.react(hot["id"], "3️⃣", user_id=user) for user in (41, 42, 43)))
    await fake.react(hot["id"], "3\u20e3", user_id=44)  # the keycap without its selector
    await settle(adapter)
    (reply,) = replies(fake, hot["id"])
    assert reply["type"] == 19 and reply["message_reference"]["fail_if_not_exists"] is False
    (embed,) = reply["embeds"]
    assert embed["url"] == f"https://arxiv.org/abs/{ranked_ids[2]}"
    assert embed["description"].startswith("Abstract 3:")
    request = fake.calls("POST", rf"/channels/{fake.channel_id}/messages$")[-1]
    assert request.body["allowed_mentions"] == {"parse": [], "replied_user": False}


async def test_different_keycaps_bring_different_abstracts(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    hot = await posted(fake, adapter, "hot", 5)
    await fake.react(hot["id"], "1️⃣")
    await fake.react(hot["id"], "5️⃣")
    await settle(adapter)
    urls = sorted(r["embeds"][0]["url"] for r in replies(fake, hot["id"]))
    assert urls == sorted(f"https://arxiv.org/abs/{ranked_ids[i]}" for i in (0, 4))


async def test_the_page_emoji_on_a_single_paper_brings_its_abstract(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    card = await posted(fake, adapter, "paper", ranked_ids[6])
    one = await posted(fake, adapter, "hot", 1)
    five = await posted(fake, adapter, "hot", 5)
    for message in (card, one, five):
        await fake.react(message["id"], "📄")
    await settle(adapter)
    assert replies(fake, card["id"])[0]["embeds"][0]["description"].startswith("Abstract 7:")
    assert replies(fake, one["id"])[0]["embeds"][0]["description"].startswith("Abstract 1:")
    assert replies(fake, five["id"]) == []  # 📄 on five papers points at none


async def test_own_reactions_other_emoji_and_numbers_past_the_end_are_ignored(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    hot = await posted(fake, adapter, "hot", 3)
    await fake.react(hot["id"], "1️⃣", user_id=int(fake.bot["id"]))
    await fake.react(hot["id"], "👍")
    await fake.react(hot["id"], "7️⃣")
    await fake.react("1234567890123456789", "1️⃣")  # a message we never posted
    await settle(adapter)
    assert replies(fake, hot["id"]) == []
    assert not fake.calls("POST", r"/channels/\d+/messages$")


async def test_reactions_work_after_a_restart_on_messages_the_new_client_never_saw(
    make_adapter: MakeAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    first = await make_adapter()
    hot = await posted(fake, first, "hot", 5)
    await first.close()
    second = await make_adapter()
    await fake.wait_for(lambda: second.health()["connected"])
    await fake.react(hot["id"], "2️⃣")
    await settle(second)
    (reply,) = replies(fake, hot["id"])
    assert reply["embeds"][0]["url"].endswith(ranked_ids[1])


async def test_a_failed_reply_gives_the_claim_back_so_a_later_reaction_retries(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    reactions, locked = adapter.reactions, fake.forbidden_channel_id
    reactions.remember("discord", str(locked), "1234567890123456789", [ranked_ids[0]])
    await fake.react("1234567890123456789", "1️⃣", channel_id=locked)
    await settle(adapter)
    assert [r.status for r in fake.calls("POST", rf"/channels/{locked}/messages$")] == [403]
    assert reactions.claim("discord", "1234567890123456789", ranked_ids[0], adapter.clock())
