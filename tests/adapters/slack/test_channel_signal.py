"""The channel's own signal end to end over HTTP: reactions move that channel's /hot only."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.subscriptions import Subscription
from tests.adapters.slack.support import NOW, SlackSim, papers_in

NICHE = 9  # the lab's pick: ninth of twelve on Hacker News


def posts(slack: SlackSim, channel: str) -> list[dict[str, Any]]:
    """The bot's messages in a channel, newest first (abstracts in threads left out)."""
    return [m for m in slack.fake.history[channel] if "thread_ts" not in m]


async def hot(slack: SlackSim, channel: str) -> list[str]:
    """/hot 5 in a channel: the papers of the message it posts there."""
    before = len(posts(slack, channel))
    await slack.command("/hot", "5", channel=channel)
    await slack.fake.wait_for(lambda: len(posts(slack, channel)) > before)
    return papers_in(posts(slack, channel)[0]["blocks"])


async def card(slack: SlackSim, paper_id: str, channel: str) -> str:
    """/paper in a channel; the ts of its single-paper message once its paper is remembered."""
    before = len(posts(slack, channel))
    await slack.command("/paper", paper_id, channel=channel)
    await slack.fake.wait_for(lambda: len(posts(slack, channel)) > before)
    ts = str(posts(slack, channel)[0]["ts"])
    reactions = slack.app.reactions
    await slack.fake.wait_for(lambda: reactions.papers_on("slack", f"{channel}/{ts}"))
    return ts


async def counted(slack: SlackSim, channel: str, people: int) -> None:
    """Wait until the channel's reactions have been counted (or uncounted) to people."""

    def done() -> bool:
        found = slack.app.signals.interest(f"slack:{channel}", NOW.replace(year=2000), NOW, 36)
        return sum(i.people for i in found.values()) == people

    await slack.fake.wait_for(done)
    await asyncio.sleep(0)


async def test_reactions_in_a_weighted_channel_raise_its_paper_there_only_and_undo_on_removal(
    slack: SlackSim, ranked_ids: list[str]
) -> None:
    subs = slack.app.subscriptions
    for channel in ("C00000001", "C00000002"):
        subs.save(Subscription(f"slack:{channel}", channel_weight=300), NOW)
    niche = ranked_ids[NICHE - 1]
    before = await hot(slack, "C00000002")
    assert niche not in before and before == await hot(slack, "C00000001")
    ts = await card(slack, niche, "C00000002")
    for user, emoji in (("U2", "+1"), ("U3", "fire"), ("U4", "page_facing_up"), ("U2", "fire")):
        assert await slack.react(emoji, "C00000002", ts, user=user) == 200
    await slack.react("+1", "C00000002", ts, user="UBOT")  # the bot's own reaction never counts
    await counted(slack, "C00000002", 3)

    assert (await hot(slack, "C00000002"))[0] == niche
    shown = str(posts(slack, "C00000002")[0]["blocks"])
    assert "this channel 900" in shown and "this channel: 3 people reacted here" in shown
    assert await hot(slack, "C00000001") == before

    for user, emoji in (("U2", "+1"), ("U3", "fire"), ("U4", "page_facing_up"), ("U2", "fire")):
        await slack.unreact(emoji, "C00000002", ts, user=user)
    await counted(slack, "C00000002", 0)
    assert await hot(slack, "C00000002") == before


async def test_hot_week_shows_the_channels_favourites_with_counts_then_the_weeks_top(
    slack: SlackSim, ranked_ids: list[str]
) -> None:
    niche = ranked_ids[NICHE - 1]
    ts = await card(slack, niche, "C00000002")
    for user in ("U2", "U3"):
        await slack.react("heart", "C00000002", ts, user=user)
    await counted(slack, "C00000002", 2)
    before = len(posts(slack, "C00000002"))
    await slack.command("/hot", "week 3", channel="C00000002")
    await slack.fake.wait_for(lambda: len(posts(slack, "C00000002")) == before + 2)
    top, favourites = posts(slack, "C00000002")[:2]  # newest first
    assert favourites["blocks"][0]["text"]["text"] == "This channel's favourites of the week"
    assert papers_in(favourites["blocks"]) == [niche]
    assert "*Score* 2 people here reacted" in str(favourites["blocks"])
    assert top["blocks"][0]["text"]["text"] == "The week's top papers"
    assert papers_in(top["blocks"]) == ranked_ids[:3]


async def test_hot_with_a_word_that_is_not_week_says_how_to_use_it(slack: SlackSim) -> None:
    status, answer, _ = await slack.command("/hot", "weekly", channel="C00000002")
    assert status == 200 and "[week] [count 1-25] [category]" in answer
