"""App Home from app_home_opened, and the manifest that turns interactivity and Home on."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import aiohttp

from bot.adapters.slack.home import MAX_DIGESTS
from bot.adapters.slack.manifest import BOT_EVENTS, build_manifest
from bot.app import slack_adapter
from bot.sources.health import record_failure, record_success
from bot.subscriptions import Subscription
from tests.adapters.slack.fake_slack import view_problem
from tests.adapters.slack.support import ADMIN, NOW, SlackSim, click_settings, open_home
from tests.factories import SLACK, SLACK_2


async def home_of(slack: SlackSim, user: str) -> dict[str, Any]:
    """Open Home as user and return what was published."""
    assert await open_home(slack, user) == 200
    await slack.fake.wait_for(lambda: user in slack.fake.home)
    view = slack.fake.home[user]
    assert slack.fake.problems == []
    return view


def text_of(view: dict[str, Any]) -> str:
    """Every text of a view, for looking things up."""
    return json.dumps(view["blocks"], ensure_ascii=False)


def buttons(view: dict[str, Any]) -> list[str]:
    """The channels of the Settings buttons in a view."""
    return [
        b["accessory"]["value"]
        for b in view["blocks"]
        if b.get("accessory", {}).get("action_id") == "hotpapers_open_settings"
    ]


async def test_home_shows_the_hot_list_the_digests_and_the_sources(
    slack: SlackSim, ranked_ids: list[str]
) -> None:
    subs = slack.app.subscriptions
    subs.save(Subscription(SLACK, workspace="T1", time="08:15", top=3), NOW)
    subs.save(Subscription(SLACK_2, workspace="T1", categories=("cs.CL",), layout="per-paper",
                           weekly="fri", channel_weight=2.5), NOW)  # fmt: skip
    subs.pause(SLACK_2, "slack:C00000002: the channel is archived (is_archived)", NOW)
    subs.save(Subscription("slack:C00000003", workspace="TOTHER"), NOW)  # another workspace's
    subs.save(Subscription("discord:123456789012345678"), NOW)
    record_success(slack.app.store, "hackernews", NOW, (12, 12, 0), requests=1, note="", cursor={})
    record_failure(slack.app.store, "reddit", NOW - timedelta(hours=1), "HTTP 503", requests=2)
    view = await home_of(slack, ADMIN)
    assert view["type"] == "home"
    text = text_of(view)
    for number in range(1, 6):
        assert f"*{number}.* *<https://arxiv.org/abs/{ranked_ids[number - 1]}|" in text
    assert ranked_ids[5] not in text
    assert "Digests in this workspace" in text
    assert buttons(view) == ["C00000001", "C00000002"]
    assert "08:15 UTC · Mon–Fri · top 3 · hot · grouped · no weekly digest" in text
    assert "cs.CL · one message per paper · weekly on Fri · channel weight 2.5" in text
    assert "Next weekly digest: Fri" not in text  # paused: none is due
    assert "*paused*: slack:C00000002: the channel is archived" in text
    assert "Next digest" in text and "C00000003" not in text and "discord" not in text
    assert "hackernews: ok" in text and "reddit: failed" in text and "HTTP 503" in text


async def test_a_member_sees_only_the_digests_they_set_up_and_no_buttons(
    slack: SlackSim,
) -> None:
    subs = slack.app.subscriptions
    subs.save(Subscription(SLACK, workspace="T1", created_by="U9"), NOW)
    subs.save(Subscription(SLACK_2, workspace="T1", created_by="U8"), NOW)
    view = await home_of(slack, "U9")
    text = text_of(view)
    assert "Your digests" in text and "<#C00000001>" in text and "<#C00000002>" not in text
    assert buttons(view) == []


async def test_home_with_nothing_yet_says_what_to_do(make_app: Any, serve: Any, fake: Any) -> None:
    app = await make_app()  # an empty store: no papers, no digests, no fetch yet
    adapter = slack_adapter(app)
    base = await serve(adapter)
    async with aiohttp.ClientSession() as session:
        sim = SlackSim(f"{base}/slack/events", session, fake, adapter, app)
        text = text_of(await home_of(sim, ADMIN))
    assert "No papers have engagement yet" in text
    assert "run /digest in a channel" in text
    assert "No source has been fetched yet" in text


async def test_the_home_settings_button_opens_that_channels_modal(slack: SlackSim) -> None:
    slack.app.subscriptions.save(Subscription(SLACK_2, workspace="T1", top=9), NOW)
    await click_settings(slack, value="C00000002")
    await slack.fake.wait_for(lambda: slack.fake.views)
    [view] = slack.fake.views.values()
    assert json.loads(view["private_metadata"])["channel"] == "C00000002"
    top = next(b for b in view["blocks"] if b.get("block_id") == "top")
    assert top["element"]["initial_value"] == "9"


async def test_a_settings_button_for_another_workspaces_digest_opens_nothing(
    slack: SlackSim,
) -> None:
    slack.app.subscriptions.save(Subscription("slack:C00000003", workspace="TOTHER"), NOW)
    await click_settings(slack, value="C00000003")
    await slack.fake.wait_for(lambda: slack.fake.views)
    [view] = slack.fake.views.values()
    assert view.get("callback_id") is None and "another workspace" in json.dumps(view)


async def test_many_digests_stay_within_slacks_block_limit(slack: SlackSim) -> None:
    for i in range(MAX_DIGESTS + 7):
        slack.app.subscriptions.save(Subscription(f"slack:C{i:09d}", workspace="T1"), NOW)
    view = await home_of(slack, ADMIN)
    assert len(view["blocks"]) <= 100 and view_problem(view) is None
    assert "… and 7 more." in text_of(view)


def test_the_manifest_turns_on_interactivity_home_and_its_event() -> None:
    manifest = build_manifest("https://bot.example.org", socket_mode=False)
    url = "https://bot.example.org/slack/events"
    assert manifest["settings"]["interactivity"] == {
        "is_enabled": True, "request_url": url, "message_menu_options_url": url,
    }  # fmt: skip
    assert "app_home_opened" in BOT_EVENTS
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    socket = build_manifest(None, socket_mode=True)
    assert socket["settings"]["interactivity"] == {"is_enabled": True}
