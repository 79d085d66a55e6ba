"""End to end over HTTP: signed slash commands to the real Bolt app, answers seen by the fake."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bot.adapters.slack.slash import INVITE_HINT, NOT_ALLOWED
from bot.subscriptions import Subscription
from tests.adapters.slack.fake_slack import error, rate_limited
from tests.adapters.slack.support import ADMIN, NOW, SlackSim, papers_in, responses
from tests.factories import SLACK


async def posted(slack: SlackSim, count: int = 1) -> list[dict[str, Any]]:
    """Wait for count chat.postMessage calls and return their arguments."""
    await slack.fake.wait_for(lambda: len(slack.fake.calls_to("chat.postMessage")) >= count)
    return [c.args for c in slack.fake.calls_to("chat.postMessage")]


async def answered(slack: SlackSim, key: str, count: int = 1) -> list[dict[str, Any]]:
    """Wait for count posts to a command's response_url and return them."""
    await slack.fake.wait_for(lambda: len(responses(slack.fake, key)) >= count)
    return responses(slack.fake, key)


async def test_hot_5_acks_at_once_then_posts_five_papers_in_ranked_order(
    slack: SlackSim, ranked_ids: list[str]
) -> None:
    status, body, _ = await slack.command("/hot", "5")
    assert (status, body) == (200, "")
    [message] = await posted(slack)
    assert message["channel"] == "C00000001"
    assert papers_in(message["blocks"]) == ranked_ids[:5]
    assert slack.fake.calls_to("chat.postMessage")[0].token == "xoxb-test"
    assert "Paper number 1" in str(message["text"])


async def test_hot_answer_is_remembered_so_keycaps_point_at_its_papers(
    slack: SlackSim, ranked_ids: list[str]
) -> None:
    await slack.command("/hot", "5")
    await posted(slack)
    ts = slack.fake.history["C00000001"][0]["ts"]
    reactions = slack.app.reactions
    await slack.fake.wait_for(lambda: reactions.paper_for("slack", f"C00000001/{ts}", "one"))
    for emoji, expected in [("one", ranked_ids[0]), ("five", ranked_ids[4]), ("six", None)]:
        assert slack.app.reactions.paper_for("slack", f"C00000001/{ts}", emoji) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [0, 1, 2, 3, 4]),
        ("3", [0, 1, 2]),
        ("5 cs.LG", [0, 2, 4, 6, 8]),
        ("cs.CL 3", [1, 3, 5]),
    ],
)
async def test_hot_accepts_count_and_category_in_either_order(
    slack: SlackSim, ranked_ids: list[str], text: str, expected: list[int]
) -> None:
    await slack.command("/hot", text)
    [message] = await posted(slack)
    assert papers_in(message["blocks"]) == [ranked_ids[i] for i in expected]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("five", "Usage: /hot"),
        ("5.5", "Usage: /hot"),
        ("-3", "Usage: /hot"),
        ("5 6", "Usage: /hot"),
        ("cs.LG cs.CL", "Usage: /hot"),
        ("<!channel>", "Usage: /hot"),
        ("²", "Usage: /hot"),
        ("cs.lgg", "did you mean cs.LG"),
        ("100", "between 1 and 25"),
    ],
)
async def test_hot_with_garbage_gets_a_private_usage_line_and_posts_nothing(
    slack: SlackSim, text: str, says: str
) -> None:
    status, body, key = await slack.command("/hot", text)
    assert status == 200
    ack = json.loads(body)
    assert says in ack["text"]
    assert ack.get("response_type", "ephemeral") == "ephemeral"
    assert "<!channel>" not in ack["text"]
    await asyncio.sleep(0.1)
    assert slack.fake.calls_to("chat.postMessage") == []
    assert responses(slack.fake, key) == []


async def test_hot_with_no_matching_papers_answers_privately(slack: SlackSim) -> None:
    _, _, key = await slack.command("/hot", "math.AG")
    [reply] = await answered(slack, key)
    assert reply["response_type"] == "ephemeral"
    assert "No papers in math.AG" in reply["text"]
    assert slack.fake.calls_to("chat.postMessage") == []


async def test_hot_in_a_channel_without_the_bot_answers_through_the_response_url(
    slack: SlackSim, ranked_ids: list[str]
) -> None:
    slack.fake.script("chat.postMessage", error("not_in_channel"))
    _, _, key = await slack.command("/hot", "2")
    public, hint = await answered(slack, key, 2)
    assert public["response_type"] == "in_channel"
    assert papers_in(public["blocks"]) == ranked_ids[:2]
    assert hint["response_type"] == "ephemeral"
    assert hint["text"] == INVITE_HINT


async def test_paper_by_url_posts_that_paper_for_the_page_reaction(slack: SlackSim) -> None:
    await slack.command("/paper", "https://arxiv.org/abs/2611.00003v2")
    [message] = await posted(slack)
    blocks = message["blocks"]
    assert "<https://arxiv.org/abs/2611.00003|Paper number 3>" in blocks[0]["text"]["text"]
    assert ":page_facing_up:" in json.dumps(blocks)
    ts = slack.fake.history["C00000001"][0]["ts"]
    reactions = slack.app.reactions
    await slack.fake.wait_for(
        lambda: reactions.paper_for("slack", f"C00000001/{ts}", "page_facing_up")
    )
    assert reactions.paper_for("slack", f"C00000001/{ts}", "page_facing_up") == "2611.00003"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Usage: /paper"),
        ("not-an-id", "is not an arXiv id"),
        ("2611.99999", "not in the store"),
    ],
)
async def test_paper_with_a_bad_or_unknown_id_explains_privately(
    slack: SlackSim, text: str, says: str
) -> None:
    _, body, key = await slack.command("/paper", text)
    if body:
        assert says in json.loads(body)["text"]
    else:
        [reply] = await answered(slack, key)
        assert reply["response_type"] == "ephemeral"
        assert says in reply["text"]
    assert slack.fake.calls_to("chat.postMessage") == []


async def test_search_lists_matches_only_to_the_person_who_asked(slack: SlackSim) -> None:
    _, _, key = await slack.command("/search", "number 3")
    [reply] = await answered(slack, key)
    assert reply["response_type"] == "ephemeral"
    assert "2611.00003" in json.dumps(reply["blocks"])
    assert "2611.00004" not in json.dumps(reply["blocks"])


async def test_search_without_words_gets_usage(slack: SlackSim) -> None:
    _, body, _ = await slack.command("/search", "  ")
    assert "Usage: /search" in json.loads(body)["text"]


async def test_digest_subscribe_by_a_plain_member_is_refused(slack: SlackSim) -> None:
    _, _, key = await slack.command("/digest", "subscribe time=08:00", user="U9")
    [reply] = await answered(slack, key)
    assert reply == {"text": NOT_ALLOWED, "response_type": "ephemeral"}
    assert slack.fake.calls_to("users.info")[0].args["user"] == "U9"
    assert slack.app.subscriptions.get(SLACK) is None


async def test_digest_subscribe_by_a_workspace_admin_subscribes_this_channel(
    slack: SlackSim,
) -> None:
    slack.fake.users["UBOSS"] = {"is_admin": True}
    text = "subscribe time=08:30 tz=Europe/Berlin top=3"
    _, _, key = await slack.command("/digest", text, user="UBOSS")
    [reply] = await answered(slack, key)
    assert reply["response_type"] == "in_channel"
    assert reply["text"].startswith("Subscribed: slack:C00000001: 08:30 Europe/Berlin")
    sub = slack.app.subscriptions.get(SLACK)
    assert sub is not None and (sub.top, sub.workspace) == (3, "T1")


async def test_digest_changes_by_an_allow_listed_user_need_no_admin_lookup(
    slack: SlackSim,
) -> None:
    _, _, key = await slack.command("/digest", "subscribe", user=ADMIN)
    await answered(slack, key)
    assert slack.app.subscriptions.get(SLACK) is not None
    assert slack.fake.calls_to("users.info") == []


async def test_digest_status_and_preview_are_private_and_open_to_everyone(
    slack: SlackSim, ranked_ids: list[str]
) -> None:
    slack.app.subscriptions.save(Subscription(SLACK, top=2, workspace="T1"), NOW)
    _, _, status_key = await slack.command("/digest", "status", user="U9")
    [status] = await answered(slack, status_key)
    assert status["response_type"] == "ephemeral"
    assert "slack:C00000001: 09:00 UTC" in status["text"]
    _, _, preview_key = await slack.command("/digest", "preview", user="U9")
    intro, digest = await answered(slack, preview_key, 2)
    assert {intro["response_type"], digest["response_type"]} == {"ephemeral"}
    assert papers_in(digest["blocks"]) == ranked_ids[:2]
    assert slack.fake.calls_to("users.info") == []
    assert slack.fake.calls_to("chat.postMessage") == []


async def test_digest_status_reports_a_channel_the_bot_was_removed_from(slack: SlackSim) -> None:
    slack.app.subscriptions.save(Subscription(SLACK, workspace="T1"), NOW)
    slack.fake.script("chat.postMessage", error("not_in_channel"))
    [message] = slack.adapter.render(slack.app.service.digest())[:1]
    with pytest.raises(Exception) as caught:
        await slack.adapter.send("C00000001", message, key="slack:C00000001/2026-11-26/1")
    # What delivery does with a permanent error: pause, keeping the reason for /digest status.
    slack.app.subscriptions.pause(SLACK, caught.value.args[0], NOW)
    _, _, key = await slack.command("/digest", "status")
    [reply] = await answered(slack, key)
    assert "paused" in reply["text"] and "not_in_channel" in reply["text"]
    assert "/invite" in reply["text"]


async def test_digest_with_an_unknown_action_gets_usage(slack: SlackSim) -> None:
    _, _, key = await slack.command("/digest", "explode")
    [reply] = await answered(slack, key)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("Usage: /digest")


async def test_hot_waits_out_a_429_for_its_retry_after_then_answers_once(
    slack: SlackSim, ranked_ids: list[str]
) -> None:
    slack.fake.script("chat.postMessage", rate_limited(1))
    _, body, _ = await slack.command("/hot", "2")
    assert body == ""  # the ack does not wait for Slack's rate limit
    await slack.fake.wait_for(lambda: slack.fake.history["C00000001"], within=5)
    first, second = slack.fake.calls_to("chat.postMessage")
    assert second.at - first.at >= 1.0
    [message] = slack.fake.history["C00000001"]
    assert papers_in(message["blocks"]) == ranked_ids[:2]
