"""End to end over HTTP: reactions on the bot's messages bring abstracts into their threads."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.adapters.slack import SlackAdapter
from bot.app import slack_adapter
from bot.store import Store
from tests.adapters.slack.conftest import MakeApp
from tests.adapters.slack.fake_slack import error
from tests.adapters.slack.support import SlackSim


async def hot_message(slack: SlackSim, text: str = "5") -> str:
    """Run /hot and return the ts of the posted message once its papers are remembered."""
    await slack.command("/hot", text)
    await slack.fake.wait_for(lambda: slack.fake.history["C00000001"])
    ts = str(slack.fake.history["C00000001"][0]["ts"])
    reactions = slack.app.reactions
    await slack.fake.wait_for(lambda: reactions.paper_for("slack", f"C00000001/{ts}", "one"))
    return ts


def abstracts(slack: SlackSim) -> list[dict[str, Any]]:
    """The thread replies the bot posted successfully, oldest first."""
    posted = [m for messages in slack.fake.history.values() for m in messages]
    return sorted((m for m in posted if "thread_ts" in m), key=lambda m: float(m["ts"]))


async def settle() -> None:
    """Give a wrongly triggered handler the time it would need to post."""
    await asyncio.sleep(0.15)


async def test_keycap_posts_the_abstract_of_that_paper_in_the_messages_thread(
    slack: SlackSim, ranked_ids: list[str]
) -> None:
    ts = await hot_message(slack)
    assert await slack.react("three", "C00000001", ts) == 200
    await slack.fake.wait_for(lambda: abstracts(slack))
    [reply] = abstracts(slack)
    assert reply in slack.fake.history["C00000001"] and reply["thread_ts"] == ts
    assert "The abstract of paper 3." in str(reply["blocks"])
    assert ranked_ids[2] in str(reply["blocks"])


async def test_each_abstract_is_posted_once_per_message_however_often_people_react(
    slack: SlackSim,
) -> None:
    ts = await hot_message(slack)
    await slack.react("two", "C00000001", ts, user="U2")
    await slack.fake.wait_for(lambda: abstracts(slack))
    await slack.react("two", "C00000001", ts, user="U3")
    await asyncio.gather(*(slack.react("four", "C00000001", ts, user=f"U{i}") for i in range(5)))
    await slack.fake.wait_for(lambda: len(abstracts(slack)) >= 2)
    await settle()
    texts = [str(a["blocks"]) for a in abstracts(slack)]
    assert len(texts) == 2
    assert "paper 2." in texts[0] and "paper 4." in texts[1]


async def test_the_bots_own_reactions_are_ignored(slack: SlackSim) -> None:
    ts = await hot_message(slack)
    await slack.react("one", "C00000001", ts, user="UBOT")
    await settle()
    assert abstracts(slack) == []


async def test_reactions_that_point_at_no_paper_are_ignored(slack: SlackSim) -> None:
    ts = await hot_message(slack, "3")
    await slack.react("thumbsup", "C00000001", ts)
    await slack.react("four", "C00000001", ts)  # the message shows three papers
    await slack.react("page_facing_up", "C00000001", ts)  # only for single-paper messages
    await slack.react("one", "C00000001", "1600000000.000001")  # not a message of ours
    await settle()
    assert abstracts(slack) == []


async def test_page_reaction_on_a_single_paper_message_posts_its_abstract(
    slack: SlackSim,
) -> None:
    await slack.command("/paper", "2611.00007")
    await slack.fake.wait_for(lambda: slack.fake.history["C00000001"])
    ts = str(slack.fake.history["C00000001"][0]["ts"])
    reactions = slack.app.reactions
    await slack.fake.wait_for(
        lambda: reactions.paper_for("slack", f"C00000001/{ts}", "page_facing_up")
    )
    await slack.react("page_facing_up", "C00000001", ts)
    await slack.fake.wait_for(lambda: abstracts(slack))
    assert "The abstract of paper 7." in str(abstracts(slack)[0]["blocks"])


async def test_a_failed_abstract_post_is_tried_again_on_the_next_reaction(
    slack: SlackSim,
) -> None:
    ts = await hot_message(slack)
    slack.fake.script("chat.postMessage", error("internal_error"))
    await slack.react("one", "C00000001", ts)
    await slack.fake.wait_for(lambda: len(slack.fake.calls_to("chat.postMessage")) == 2)
    await settle()
    assert abstracts(slack) == []
    await slack.react("one", "C00000001", ts, user="U3")
    await slack.fake.wait_for(lambda: abstracts(slack))
    assert "paper 1." in str(abstracts(slack)[0]["blocks"])


async def test_the_reaction_map_survives_a_restart(
    slack: SlackSim,
    make_app: MakeApp,
    store: Store,
    serve: Callable[[SlackAdapter], Awaitable[str]],
    ranked_ids: list[str],
) -> None:
    # Before the restart: scheduled delivery posts a digest through the Channel contract.
    [message, *_] = slack.adapter.render(slack.app.service.digest())
    sent = await slack.adapter.send("C00000007", message, key="slack:C00000007/2026-11-26/1")
    slack.adapter.remember("C00000007", sent, message)  # as delivery does, recording it sent
    await slack.adapter.close()
    channel, ts = sent.split("/")
    # After it: a new process, a new connection to the same database file.
    reopened = Store(store.path)
    app = await make_app(reopened)
    restarted = slack_adapter(app)
    base = await serve(restarted)
    async with aiohttp.ClientSession() as session:
        sim = SlackSim(f"{base}/slack/events", session, slack.fake, restarted, app)
        await sim.react("two", channel, ts)
        await slack.fake.wait_for(lambda: abstracts(slack))
    assert ranked_ids[1] in str(abstracts(slack)[0]["blocks"])
    reopened.close()
