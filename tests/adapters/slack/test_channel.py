"""The Channel contract: scheduled posts carry their key, are found after a crash, fail clearly."""

from __future__ import annotations

import socket

import pytest

from bot.adapters.slack.channel import EVENT_TYPE
from bot.app import slack_adapter
from bot.channels import DeliveryError, OutboundMessage
from tests.adapters.slack.conftest import MakeApp
from tests.adapters.slack.fake_slack import error, rate_limited
from tests.adapters.slack.support import SlackSim, papers_in

KEY = "slack:C00000005/2026-11-26/1"


def first_message(slack: SlackSim) -> OutboundMessage:
    """The first message of today's digest."""
    return slack.adapter.render(slack.app.service.digest())[0]


async def test_send_posts_the_blocks_with_the_key_in_metadata(
    slack: SlackSim, ranked_ids: list[str]
) -> None:
    message = first_message(slack)
    sent = await slack.adapter.send("C00000005", message, key=KEY)
    [call] = slack.fake.calls_to("chat.postMessage")
    assert call.args["metadata"] == {"event_type": EVENT_TYPE, "event_payload": {"key": KEY}}
    assert papers_in(call.args["blocks"]) == ranked_ids[:10]
    assert call.args["unfurl_links"] is False
    assert sent == f"C00000005/{slack.fake.history['C00000005'][0]['ts']}"
    # What it shows is recorded by remember(), which delivery calls in the commit of the send.
    assert slack.app.reactions.paper_for("slack", sent, "keycap_ten") is None
    slack.adapter.remember("C00000005", sent, message)
    assert slack.app.reactions.paper_for("slack", sent, "keycap_ten") == ranked_ids[9]


async def test_find_sent_recognises_the_message_posted_with_a_key(slack: SlackSim) -> None:
    sent = await slack.adapter.send("C00000005", first_message(slack), key=KEY)
    assert await slack.adapter.find_sent("C00000005", KEY) == sent
    assert await slack.adapter.find_sent("C00000005", "slack:C00000005/2026-11-27/1") is None
    assert await slack.adapter.find_sent("C00000006", KEY) is None
    [call, *_] = slack.fake.calls_to("conversations.history")
    assert call.args["include_all_metadata"] in ("1", "true", "True")


@pytest.mark.parametrize(("position", "found"), [(0, True), (450, True), (650, False)])
async def test_find_sent_pages_back_through_three_pages_of_history(
    slack: SlackSim, position: int, found: bool
) -> None:
    sent = await slack.adapter.send("C00000005", first_message(slack), key=KEY)
    chatter = [{"type": "message", "ts": f"1600000000.{i:06d}", "text": "hi"} for i in range(700)]
    ours = slack.fake.history["C00000005"]
    slack.fake.history["C00000005"] = chatter[:position] + ours + chatter[position:]
    assert await slack.adapter.find_sent("C00000005", KEY) == (sent if found else None)


@pytest.mark.parametrize(
    "code",
    ["channel_not_found", "not_in_channel", "is_archived", "account_inactive", "invalid_auth"],
)
async def test_errors_no_retry_can_fix_are_permanent(slack: SlackSim, code: str) -> None:
    slack.fake.script("chat.postMessage", error(code))
    with pytest.raises(DeliveryError) as caught:
        await slack.adapter.send("C00000005", first_message(slack), key=KEY)
    assert caught.value.permanent
    assert code in caught.value.reason and "slack:C00000005" in caught.value.reason


async def test_other_api_errors_are_transient(slack: SlackSim) -> None:
    slack.fake.script("chat.postMessage", error("internal_error"))
    with pytest.raises(DeliveryError) as caught:
        await slack.adapter.send("C00000005", first_message(slack), key=KEY)
    assert not caught.value.permanent and caught.value.retry_after is None


async def test_a_429_tells_delivery_when_to_retry(slack: SlackSim) -> None:
    slack.fake.script("chat.postMessage", rate_limited(7))
    with pytest.raises(DeliveryError) as caught:
        await slack.adapter.send("C00000005", first_message(slack), key=KEY)
    assert (caught.value.permanent, caught.value.retry_after) == (False, 7.0)
    assert slack.fake.history["C00000005"] == []


async def test_a_429_on_find_sent_also_tells_when_to_retry(slack: SlackSim) -> None:
    slack.fake.script("conversations.history", rate_limited(3))
    with pytest.raises(DeliveryError) as caught:
        await slack.adapter.find_sent("C00000005", KEY)
    assert caught.value.retry_after == 3.0


async def test_unreachable_slack_is_a_transient_error(make_app: MakeApp) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = await make_app(slack_api_url=f"http://127.0.0.1:{port}/api/")
    adapter = slack_adapter(app)
    message = adapter.render(app.service.digest())[0]
    with pytest.raises(DeliveryError) as caught:
        await adapter.send("C00000005", message, key=KEY)
    assert not caught.value.permanent
    assert "could not reach Slack" in caught.value.reason


async def test_an_empty_digest_renders_one_message_saying_so(slack: SlackSim) -> None:
    digest = slack.app.service.top(5, "math.AG")
    [message] = slack.adapter.render(digest)
    assert message.arxiv_ids == ()
    assert "Nothing to show" in str(message.payload["blocks"])
