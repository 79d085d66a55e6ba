"""Request signatures are enforced, and untrusted text in titles cannot ping anyone."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import pytest

from bot.store import Store
from tests import factories
from tests.adapters.slack.support import NOW, SlackSim, sign

HOSTILE = (
    "<!channel> <!here> <@U0ADMIN> read <https://evil.example|arxiv.org/abs/1> & <#C00000001|x>"
)


async def nothing_happens(slack: SlackSim) -> None:
    """Give a wrongly accepted request the time to be answered, then check it was not."""
    await asyncio.sleep(0.15)
    assert [c.method for c in slack.fake.calls if c.method != "auth.test"] == []


async def test_a_forged_signature_is_rejected(slack: SlackSim) -> None:
    body, _ = slack.command_body("/hot", "5")
    stamp = int(time.time())
    forged = sign(body, stamp, "guess")
    status, _ = await slack.post(
        body, "application/x-www-form-urlencoded", timestamp=stamp, signature=forged
    )
    assert status == 401
    await nothing_happens(slack)


async def test_a_body_changed_after_signing_is_rejected(slack: SlackSim) -> None:
    body, _ = slack.command_body("/hot", "5")
    stamp = int(time.time())
    tampered = body.replace("text=5", "text=25")
    status, _ = await slack.post(
        tampered, "application/x-www-form-urlencoded", timestamp=stamp, signature=sign(body, stamp)
    )
    assert status == 401
    await nothing_happens(slack)


async def test_a_correctly_signed_but_stale_request_is_rejected(slack: SlackSim) -> None:
    body, _ = slack.command_body("/hot", "5")
    stale = int(time.time()) - 6 * 60  # Slack's replay window is five minutes
    status, _ = await slack.post(body, "application/x-www-form-urlencoded", timestamp=stale)
    assert status == 401
    await nothing_happens(slack)


async def test_an_unsigned_event_is_rejected(slack: SlackSim) -> None:
    event = json.dumps({"type": "event_callback", "team_id": "T1", "event": {"type": "x"}})
    async with slack.session.post(slack.url, data=event) as response:
        assert response.status == 401
    await nothing_happens(slack)


async def test_slacks_url_verification_challenge_is_answered(slack: SlackSim) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "unused"})
    status, text = await slack.post(body, "application/json")
    assert status == 200 and json.loads(text) == {"challenge": "abc123"}


def mrkdwn_texts(payload: Any) -> list[tuple[str, bool]]:
    """Every (text, verbatim) of the mrkdwn objects in a payload, plus its fallback text."""
    found: list[tuple[str, bool]] = []
    if isinstance(payload, dict):
        if payload.get("type") == "mrkdwn":
            found.append((payload["text"], bool(payload.get("verbatim"))))
        for value in payload.values():
            found += mrkdwn_texts(value)
    elif isinstance(payload, list):
        for value in payload:
            found += mrkdwn_texts(value)
    return found


def assert_harmless(text: str) -> None:
    """No special mention, user mention, channel link or link the title smuggled in."""
    assert not re.search(r"<[!@#]", text), text
    assert not any("evil.example" in url for url in re.findall(r"<([^|>]*)", text)), text


@pytest.fixture
def hostile(store: Store) -> None:
    """A paper whose title, authors and post try to ping and to fake a link, hottest of all."""
    paper = factories.paper(
        "2611.09999", title=HOSTILE, authors=("<!everyone>", "Eve <@U0EVE>"), abstract=HOSTILE
    )
    post = factories.post(
        "evil", ("2611.09999",), source="hackernews", likes=100_000, text=HOSTILE, author="<!here>"
    )
    store.ingest([paper], [post], seen_at=NOW)


@pytest.mark.usefixtures("hostile")
async def test_a_hostile_title_in_hot_cannot_ping_or_fake_a_link(slack: SlackSim) -> None:
    await slack.command("/hot", "1")
    await slack.fake.wait_for(lambda: slack.fake.calls_to("chat.postMessage"))
    reactions = slack.app.reactions
    await slack.fake.wait_for(lambda: reactions.paper_for("slack", posted_id(slack), "one"))
    message = slack.fake.calls_to("chat.postMessage")[0].args
    assert "&lt;!channel&gt;" in message["text"]
    assert_harmless(message["text"])
    texts = mrkdwn_texts(message["blocks"])
    assert any("&lt;!channel&gt;" in t for t, _ in texts)
    for text, verbatim in texts:
        assert_harmless(text)
        assert verbatim, "untrusted text must not be auto-parsed"
    # ... and the abstract a reaction brings is just as harmless.
    ts = posted_id(slack).split("/")[1]
    await slack.react("one", "C00000001", ts)
    await slack.fake.wait_for(lambda: len(slack.fake.calls_to("chat.postMessage")) == 2)
    reply = slack.fake.calls_to("chat.postMessage")[1].args
    assert_harmless(reply["text"])
    for text, _ in mrkdwn_texts(reply["blocks"]):
        assert_harmless(text)


@pytest.mark.usefixtures("hostile")
async def test_a_hostile_search_echo_cannot_ping(slack: SlackSim) -> None:
    _, _, key = await slack.command("/search", "<!channel> everyone")
    await slack.fake.wait_for(lambda: slack.fake.calls_to(f"respond/{key}"))
    reply = slack.fake.calls_to(f"respond/{key}")[0].args
    assert_harmless(json.dumps(reply))


def posted_id(slack: SlackSim) -> str:
    """Our id of the newest message in C00000001."""
    return (
        f"C00000001/{slack.fake.history['C00000001'][0]['ts']}"
        if slack.fake.history["C00000001"]
        else "C00000001/none"
    )
