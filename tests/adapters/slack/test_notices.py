"""A word when a Slack digest breaks: one DM per pause, to the right person, and 'works again'."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.adapters.slack import SlackAdapter
from bot.adapters.slack.channel import PERMANENT
from bot.adapters.slack.notices import _FIXES, notice_text
from bot.app import App, build_deliverer, slack_adapter
from bot.delivery.deliver import Outcome
from bot.delivery.notices import Notice
from bot.delivery.schedule import run_on
from bot.subscriptions import Subscription
from tests.adapters.slack.conftest import MakeApp
from tests.adapters.slack.fake_slack import FakeSlack, error
from tests.adapters.slack.support import NOW, SlackSim, responses
from tests.factories import SLACK

BOSS = "UBOSS"


async def subscribed(slack: SlackSim) -> Subscription:
    """/digest subscribe by a workspace admin in C00000001."""
    slack.fake.users[BOSS] = {"is_admin": True}
    _, _, key = await slack.command("/digest", "subscribe top=2", user=BOSS)
    await slack.fake.wait_for(lambda: responses(slack.fake, key))
    sub = slack.app.subscriptions.get(SLACK)
    assert sub is not None and sub.created_by == BOSS
    return sub


async def deliver(app: App, adapter: SlackAdapter, sub: Subscription, days: int = 0) -> Outcome:
    """Post the subscription's digest as the scheduler would (today, or days later)."""
    deliverer = build_deliverer(app, {"slack": adapter})
    return await deliverer.deliver(sub, run_on(sub, NOW.date() + timedelta(days=days)), "test")


def dms(fake: FakeSlack, user: str) -> list[str]:
    """What the app said to a user in its Messages tab, oldest first."""
    return [m["text"] for m in reversed(fake.history.get(f"D{user}", []))]


async def test_a_removed_bot_brings_one_dm_naming_the_fix_even_after_a_restart(
    slack: SlackSim, make_app: MakeApp, ranked_ids: list[str]
) -> None:
    sub = await subscribed(slack)
    slack.fake.script("chat.postMessage", error("not_in_channel"))
    assert (await deliver(slack.app, slack.adapter, sub)).status == "failed"
    [text] = await slack.fake.wait_for(lambda: dms(slack.fake, BOSS))
    assert text.startswith("The daily digest of <#C00000001> is paused: the bot was removed")
    assert "`/invite @hotpapers` in <#C00000001>" in text and "`/digest resume`" in text
    notices = slack.adapter.notices
    assert notices is not None and await notices.sweep(slack.adapter.direct.tell) == 0
    await slack.adapter.close()
    restarted = slack_adapter(await make_app())
    await restarted.start()
    try:
        assert restarted.notices is not None
        assert await restarted.notices.sweep(restarted.direct.tell) == 0
    finally:
        await restarted.close()
    assert len(dms(slack.fake, BOSS)) == 1


async def test_a_deactivated_setter_means_the_primary_owner_is_told(
    slack: SlackSim, ranked_ids: list[str]
) -> None:
    sub = await subscribed(slack)
    slack.fake.users.update({
        BOSS: {"is_admin": True, "deleted": True},
        "UADMIN": {"is_admin": True},
        "UOWNER": {"is_owner": True, "is_primary_owner": True},
        "UBOT2": {"is_admin": True, "is_bot": True},
        "UPLAIN": {},
    })  # fmt: skip
    slack.fake.script("chat.postMessage", error("is_archived"))
    await deliver(slack.app, slack.adapter, sub)
    [text] = await slack.fake.wait_for(lambda: dms(slack.fake, "UOWNER"))
    assert "the channel was archived" in text
    assert [u for u in ("UBOSS", "UADMIN", "UBOT2", "UPLAIN") if dms(slack.fake, u)] == []
    assert len(slack.fake.calls_to("users.list")) >= 2  # every page was looked through


async def test_when_the_setter_cannot_be_reached_the_next_admin_is_tried(
    slack: SlackSim, ranked_ids: list[str]
) -> None:
    sub = await subscribed(slack)
    slack.fake.users["UADMIN"] = {"is_admin": True}
    slack.fake.unreachable.add(BOSS)
    slack.fake.script("chat.postMessage", error("channel_not_found"))
    await deliver(slack.app, slack.adapter, sub)
    await slack.fake.wait_for(lambda: dms(slack.fake, "UADMIN"))
    assert dms(slack.fake, BOSS) == []


async def test_a_digest_that_works_again_after_a_resume_says_so_once(
    slack: SlackSim, ranked_ids: list[str]
) -> None:
    sub = await subscribed(slack)
    slack.fake.script("chat.postMessage", error("not_in_channel"))
    await deliver(slack.app, slack.adapter, sub)
    await slack.fake.wait_for(lambda: dms(slack.fake, BOSS))
    _, _, key = await slack.command("/digest", "resume", user=BOSS)
    await slack.fake.wait_for(lambda: responses(slack.fake, key))
    notices = slack.adapter.notices
    assert notices is not None
    assert await notices.sweep(slack.adapter.direct.tell) == 0  # nothing posted yet
    resumed = slack.app.subscriptions.get(SLACK)
    assert resumed is not None
    assert (await deliver(slack.app, slack.adapter, resumed, days=1)).status == "sent"
    assert await notices.sweep(slack.adapter.direct.tell) == 1
    assert dms(slack.fake, BOSS)[-1] == (
        "The daily digest of <#C00000001> works again: its latest digest was posted."
    )
    assert await notices.sweep(slack.adapter.direct.tell) == 0
    assert len(dms(slack.fake, BOSS)) == 2


async def test_a_revoked_token_tells_nobody_and_is_not_retried(
    slack: SlackSim, ranked_ids: list[str]
) -> None:
    sub = await subscribed(slack)
    slack.fake.script("chat.postMessage", error("token_revoked"), error("token_revoked"))
    await deliver(slack.app, slack.adapter, sub)

    def recorded() -> Any:
        return slack.app.store.query_one("SELECT state FROM pause_notices WHERE state != 'sending'")

    assert await slack.fake.wait_for(recorded) == {"state": "unreachable"}
    assert dms(slack.fake, BOSS) == []


def test_every_error_that_pauses_a_digest_has_its_fix() -> None:
    assert set(_FIXES) == set(PERMANENT)


@pytest.mark.parametrize("code", sorted(PERMANENT))
def test_each_notice_escapes_and_names_the_channel(code: str) -> None:
    reason = f"slack:C00000001: {PERMANENT[code]} ({code})"
    text = notice_text(Notice(1, "paused", SLACK, "T1", "U1", reason))
    assert "<#C00000001>" in text and "/digest resume" in text
    assert text == text.replace("<!", "")  # no broadcast mention


def test_an_unknown_reason_is_quoted_safely() -> None:
    text = notice_text(Notice(1, "paused", SLACK, "T1", "U1", "odd <!channel> & co"))
    assert "paused: odd &lt;!channel&gt; &amp; co." in text
