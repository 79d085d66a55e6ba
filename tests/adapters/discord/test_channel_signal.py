"""The channel's own signal end to end: reactions in one channel move that channel's /hot only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.adapters.discord import DiscordAdapter
from bot.subscriptions import Subscription
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.support import NOW
from tests.adapters.discord.test_commands import answered, option, urls
from tests.adapters.discord.test_reactions import settle

NICHE = 9  # the lab's pick: ninth of twelve on Hacker News


async def hot(fake: FakeDiscord, channel_id: int, count: int = 5) -> dict[str, Any]:
    """/hot in a channel, as shown."""
    return await answered(fake, await fake.slash("hot", [option("count", count)],
                                                 channel_id=channel_id))  # fmt: skip


async def card(fake: FakeDiscord, adapter: DiscordAdapter, paper_id: str, channel: int) -> str:
    """/paper in a channel; the id of the posted single-paper message."""
    sent = await fake.slash("paper", [option("query", paper_id)], channel_id=channel)
    message = await answered(fake, sent)
    await adapter.inflight.drain(5)  # its paper is remembered once it is out
    return str(message["id"])


async def test_reactions_in_a_weighted_channel_raise_its_paper_there_only_and_undo_on_removal(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    lab, general = fake.lab_channel_id, fake.channel_id
    subs = adapter.commands.subscriptions
    for channel in (lab, general):  # both weigh reactions; only the lab reacts
        subs.save(Subscription(f"discord:{channel}", channel_weight=200), NOW)
    niche = ranked_ids[NICHE - 1]
    before = urls(await hot(fake, lab))
    assert f"https://arxiv.org/abs/{niche}" not in before
    message = await card(fake, adapter, niche, lab)
    for user, emoji in ((41, "👍"), (42, "🔥"), (43, "📄"), (41, "🔥")):  # 41 counts once
        await fake.react(message, emoji, user_id=user, channel_id=lab)
    await fake.react(message, "👍", user_id=int(fake.bot["id"]), channel_id=lab)  # never counts
    await settle(adapter)

    shown = await hot(fake, lab)
    assert urls(shown)[0] == f"https://arxiv.org/abs/{niche}"
    score = {f["name"]: f["value"] for f in shown["embeds"][0]["fields"]}["Score"]
    assert "this channel 600" in score  # three people x 200, reacted just now
    assert urls(await hot(fake, general)) == before

    for user, emoji in ((41, "👍"), (42, "🔥"), (43, "📄"), (41, "🔥")):
        await fake.unreact(message, emoji, user_id=user, channel_id=lab)
    await settle(adapter)
    assert urls(await hot(fake, lab)) == before


async def test_a_moderator_clearing_a_messages_reactions_uncounts_them(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    lab = fake.lab_channel_id
    adapter.commands.subscriptions.save(Subscription(f"discord:{lab}", channel_weight=500), NOW)
    niche = ranked_ids[NICHE - 1]
    message = await card(fake, adapter, niche, lab)
    for user in (41, 42):
        await fake.react(message, "🎉", user_id=user, channel_id=lab)
    await settle(adapter)
    assert urls(await hot(fake, lab))[0] == f"https://arxiv.org/abs/{niche}"
    await fake.clear_reactions(message, channel_id=lab)
    await settle(adapter)
    assert f"https://arxiv.org/abs/{niche}" not in urls(await hot(fake, lab))


async def test_hot_week_shows_the_channels_favourites_with_counts_then_the_weeks_top(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    lab = fake.lab_channel_id
    niche = ranked_ids[NICHE - 1]
    message = await card(fake, adapter, niche, lab)
    for user in (41, 42):
        await fake.react(message, "❤️", user_id=user, channel_id=lab)
    await settle(adapter)
    before = len(fake.messages[lab])
    sent = await fake.slash("hot", [option("count", 3), option("period", "week")], channel_id=lab)
    await answered(fake, sent)
    week = await fake.wait_for(lambda: fake.messages[lab][before:] if len(
        fake.messages[lab]) >= before + 2 else None)  # fmt: skip
    favourites, top = week
    assert favourites["content"].startswith("**This channel's favourites of the week")
    assert urls(favourites) == [f"https://arxiv.org/abs/{niche}"]
    score = {f["name"]: f["value"] for f in favourites["embeds"][0]["fields"]}["Score"]
    assert score == "**2 people here reacted**"
    assert top["content"].startswith("**The week's top papers")
    assert urls(top) == [f"https://arxiv.org/abs/{i}" for i in ranked_ids[:3]]
    await settle(adapter)
    assert adapter.reactions.papers_on("discord", str(top["id"])) == dict(
        enumerate(ranked_ids[:3], 1)
    )  # keycaps on the week's top work as on any list


async def test_a_per_paper_digest_lets_any_reaction_count_for_its_paper(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    lab = fake.lab_channel_id
    digest = adapter.commands.service.top(3)
    header, *papers = adapter.render(digest, "per-paper")
    sent = [await adapter.send(str(lab), m, key=f"hp-test-{i}") for i, m in enumerate(papers)]
    await adapter.send(str(lab), header, key="hp-test-h")
    for message_id, message in zip(sent, papers, strict=True):  # as delivery records them
        adapter.remember(str(lab), message_id, message)
    await fake.react(sent[2], "🧠", channel_id=lab)  # no keycap needed: the message is one paper
    await settle(adapter)
    interest = adapter.interest.signals.interest(f"discord:{lab}", NOW - timedelta(days=1), NOW, 36)
    assert list(interest) == [ranked_ids[2]]
