"""The settings modal end to end: the real Bolt app, signed interactions, the fake Slack."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr
from slack_sdk.models.blocks import Block

from bot.adapters.slack.access import NOT_ALLOWED
from bot.adapters.slack.views import read_form, settings_button, settings_modal
from bot.app import slack_adapter
from bot.delivery.schedule import next_run
from bot.limits import MAX_ITEMS, MAX_KEYWORD_CHARS
from bot.subscriptions import Subscription, convert_settings
from bot.taxonomy import CATEGORIES as CATS
from tests.adapters.slack.conftest import MakeApp
from tests.adapters.slack.fake_slack import FakeSlack, error, view_problem
from tests.adapters.slack.support import (
    ADMIN,
    NOW,
    SlackSim,
    click_settings,
    filled,
    responses,
    submit,
    suggest,
    the_modal,
)
from tests.factories import SLACK


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The modal's inputs by setting name: their elements."""
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


async def opened(slack: SlackSim) -> dict[str, Any]:
    """Wait for the modal that views.open opened."""
    await slack.fake.wait_for(lambda: slack.fake.views)
    return the_modal(slack.fake)


def subscribe(slack: SlackSim, **settings: Any) -> Subscription:
    """A digest in C00000001 of workspace T1, saved directly."""
    sub = Subscription(SLACK, workspace="T1", **settings)
    return slack.app.subscriptions.save(sub, NOW)


async def test_digest_alone_opens_the_modal_with_the_channels_settings(slack: SlackSim) -> None:
    subscribe(slack, time="07:45", timezone="Europe/Berlin", days=("mon", "thu"), top=8,
              categories=("cs.LG", "cs.CL"), keywords=("diffusion",), min_score=2.5,
              channel_weight=2.5, layout="per-paper", weekly="fri")  # fmt: skip
    status, body, key = await slack.command("/digest", "", user=ADMIN)
    assert (status, body) == (200, "")
    view = await opened(slack)
    [call] = slack.fake.calls_to("views.open")
    assert call.args["trigger_id"] == f"trigger{key}"
    assert slack.fake.problems == []  # slack_sdk's models took the view as it is
    fields = inputs(view)
    assert fields["time"]["initial_time"] == "07:45"
    assert fields["timezone"]["initial_option"]["value"] == "Europe/Berlin"
    assert [o["value"] for o in fields["days"]["initial_options"]] == ["mon", "thu"]
    assert fields["top"]["initial_value"] == "8"
    assert fields["ranking"]["initial_option"]["value"] == "hot"
    assert [o["value"] for o in fields["categories"]["initial_options"]] == ["cs.LG", "cs.CL"]
    assert fields["categories"]["initial_options"][0]["text"]["text"] == "cs.LG — Machine Learning"
    assert fields["keywords"]["initial_value"] == "diffusion"
    assert fields["min_score"]["initial_value"] == "2.5"
    assert "initial_options" not in fields["paused"]
    assert fields["layout"]["initial_option"]["value"] == "per-paper"
    assert fields["weekly"]["type"] == "static_select"
    assert [o["value"] for o in fields["weekly"]["options"]] == [
        "off", "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    ]  # fmt: skip
    assert fields["weekly"]["initial_option"]["value"] == "fri"
    weight = fields["channel_weight"]
    assert (weight["type"], weight["initial_value"], weight["min_value"], weight["max_value"]) == (
        "number_input", "2.5", "0", "1000"
    )  # fmt: skip
    hints = {b["block_id"]: b.get("hint", {}).get("text", "") for b in view["blocks"]
             if b["type"] == "input"}  # fmt: skip
    assert hints["channel_weight"].startswith("0 to 1000: what each person reacting")
    assert "Next weekly digest: Fri" in json.dumps(view["blocks"][:2])
    assert json.loads(view["private_metadata"]) == {"channel": "C00000001", "team": "T1"}
    assert "Next digest" in json.dumps(view["blocks"][:2])
    assert responses(slack.fake, key) == []


async def test_digest_alone_from_someone_not_allowed_shows_the_status_privately(
    slack: SlackSim,
) -> None:
    subscribe(slack)
    _, _, key = await slack.command("/digest", "", user="U9")
    await slack.fake.wait_for(lambda: responses(slack.fake, key))
    [reply] = responses(slack.fake, key)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("slack:C00000001: 09:00 UTC") and NOT_ALLOWED in reply["text"]
    assert slack.fake.calls_to("views.open") == []


async def test_typing_in_the_timezone_and_category_menus_finds_matches(slack: SlackSim) -> None:
    await slack.command("/digest", "", user=ADMIN)
    view = await opened(slack)
    zones = await suggest(slack, view, "timezone", "berl")
    assert zones[0]["value"] == "Europe/Berlin"
    assert zones[0]["text"]["text"].startswith("Europe/Berlin (UTC+0")
    found = await suggest(slack, view, "categories", "vision")
    assert [o["value"] for o in found] == ["cs.CV"]
    assert found[0]["text"]["text"] == "cs.CV — Computer Vision and Pattern Recognition"
    assert len(await suggest(slack, view, "exclude_categories", "a")) == 100
    assert await suggest(slack, view, "categories", "<!channel>") == []


async def test_invalid_values_come_back_on_their_fields_and_nothing_is_saved(
    slack: SlackSim,
) -> None:
    changes: list[Any] = []
    slack.app.events.listen(lambda sub, channel: changes.append(channel))
    await slack.command("/digest", "", user=ADMIN)
    view = await opened(slack)
    status, answer = await submit(
        slack, view, time="25:61", top="0", days=[], categories=["cs.XX"],
        keywords="x" * (MAX_KEYWORD_CHARS + 1), repeat_days="9999", min_score="nan",
        channel_weight="1000.5", layout="sideways", weekly="someday",
    )  # fmt: skip
    assert status == 200 and answer["response_action"] == "errors"
    errors = answer["errors"]
    assert set(errors) == {"time", "top", "days", "categories", "keywords", "repeat_days",
                           "min_score", "channel_weight", "layout", "weekly"}  # fmt: skip
    assert errors["top"] == "0 must be between 1 and 25"
    assert errors["channel_weight"] == "1000.5 must be between 0 and 1000"
    assert errors["layout"] == "'sideways' must be grouped or per-paper"
    assert errors["weekly"] == "'someday' is not a weekday like fri (or off)"
    assert "did you mean" in errors["categories"]
    assert all(len(text) <= 150 for text in errors.values())
    assert slack.app.subscriptions.get(SLACK) is None
    assert changes == [] and slack.fake.calls_to("chat.postMessage") == []


async def test_valid_values_save_through_the_core_and_are_confirmed_in_the_channel(
    slack: SlackSim,
) -> None:
    heard: list[Subscription | None] = []
    slack.app.events.listen(lambda sub, channel: heard.append(sub))
    await slack.command("/digest", "", user=ADMIN)
    view = await opened(slack)
    status, answer = await submit(
        slack, view, time="07:30", timezone="Europe/Berlin", days=["mon", "wed"], top="3",
        ranking="seed", categories=["cs.LG", "cs.CL"], keywords="llm, agents",
        min_score="1.5", repeat_days="30", empty_day="skip",
    )  # fmt: skip
    assert (status, answer) == (200, {})  # the modal closes
    sub = slack.app.subscriptions.get(SLACK)
    assert sub is not None
    assert (sub.time, sub.timezone, sub.days, sub.top, sub.ranking) == (
        "07:30", "Europe/Berlin", ("mon", "wed"), 3, "seed"
    )  # fmt: skip
    assert (sub.categories, sub.keywords, sub.min_score, sub.repeat_days, sub.empty_day) == (
        ("cs.LG", "cs.CL"), ("llm", "agents"), 1.5, 30, "skip"
    )  # fmt: skip
    assert (sub.workspace, sub.created_by) == ("T1", ADMIN)
    assert (sub.channel_weight, sub.layout, sub.weekly) == (0.0, "grouped", "")
    # The scheduler hears of it: the next run is 07:30 Berlin time on a Monday or Wednesday.
    assert heard == [sub]
    run = next_run(sub, NOW)
    assert run is not None and run.at == datetime(2026, 11, 30, 6, 30, tzinfo=UTC)
    assert next_run(sub, NOW, "weekly") is None
    await slack.fake.wait_for(lambda: slack.fake.history["C00000001"])
    [confirmation] = slack.fake.history["C00000001"]
    assert confirmation["text"].startswith("Subscribed: slack:C00000001: 07:30 Europe/Berlin")


async def test_changing_an_existing_digest_says_updated_and_keeps_the_rest(
    slack: SlackSim,
) -> None:
    subscribe(slack, top=4, keywords=("graphs",), created_by="UOLD")
    await slack.command("/digest", "", user=ADMIN)
    status, answer = await submit(slack, await opened(slack), top="6")
    assert (status, answer) == (200, {})
    sub = slack.app.subscriptions.get(SLACK)
    assert sub is not None and (sub.top, sub.keywords, sub.created_by) == (6, ("graphs",), "UOLD")
    await slack.fake.wait_for(lambda: slack.fake.history["C00000001"])
    assert slack.fake.history["C00000001"][0]["text"].startswith("Updated: slack:C00000001")


async def test_the_weekly_day_layout_and_channel_weight_are_set_and_cleared_in_the_modal(
    slack: SlackSim,
) -> None:
    heard: list[Subscription | None] = []
    slack.app.events.listen(lambda sub, channel: heard.append(sub))
    subscribe(slack, timezone="Europe/Berlin", time="07:30")
    await slack.command("/digest", "", user=ADMIN)
    answer = await submit(
        slack, await opened(slack), weekly="sun", layout="per-paper", channel_weight="12.5"
    )
    assert answer == (200, {})
    sub = slack.app.subscriptions.get(SLACK)
    assert sub is not None
    assert (sub.channel_weight, sub.layout, sub.weekly) == (12.5, "per-paper", "sun")
    assert heard == [sub]  # the scheduler is told: a weekly digest on Sundays at 07:30 Berlin
    weekly = next_run(sub, NOW, "weekly")
    assert weekly is not None and weekly.at == datetime(2026, 11, 29, 6, 30, tzinfo=UTC)
    await slack.fake.wait_for(lambda: slack.fake.history["C00000001"])
    said = slack.fake.history["C00000001"][0]["text"]
    assert "channel weight 12.5, per-paper layout, weekly on sun" in said
    slack.fake.views.clear()
    await slack.command("/digest", "", user=ADMIN)
    reopened = await opened(slack)
    assert inputs(reopened)["weekly"]["initial_option"]["value"] == "sun"
    assert "Next weekly digest: Sun 2026-11-29 07:30 CET" in json.dumps(reopened["blocks"][:2])
    # The seed ranking counts no reactions: the clash is shown on the field that caused it.
    status, clash = await submit(slack, reopened, ranking="seed")
    assert status == 200 and clash["response_action"] == "errors"
    assert list(clash["errors"]) == ["ranking"]
    assert clash["errors"]["ranking"].startswith("channel_weight: only the hot ranking")
    assert await submit(slack, reopened, ranking="seed", weekly="off", channel_weight=None) == (
        200, {},
    )  # fmt: skip
    sub = slack.app.subscriptions.get(SLACK)
    assert sub is not None and (sub.ranking, sub.channel_weight, sub.weekly) == ("seed", 0.0, "")
    assert next_run(sub, NOW, "weekly") is None and heard[-1] == sub


async def test_saving_an_unchanged_modal_closes_it_and_posts_nothing(slack: SlackSim) -> None:
    subscribe(slack)
    await slack.command("/digest", "", user=ADMIN)
    assert await submit(slack, await opened(slack)) == (200, {})
    assert slack.fake.calls_to("chat.postMessage") == []


async def test_unticking_pause_resumes_a_digest_paused_by_an_error(slack: SlackSim) -> None:
    subscribe(slack)
    slack.app.subscriptions.pause(SLACK, "the bot is not in this channel", NOW)
    await slack.command("/digest", "", user=ADMIN)
    view = await opened(slack)
    paused = inputs(view)["paused"]
    assert [o["value"] for o in paused["initial_options"]] == ["paused"]
    assert "not in this channel" in json.dumps(view)
    assert await submit(slack, view, paused=[]) == (200, {})
    sub = slack.app.subscriptions.get(SLACK)
    assert sub is not None and not sub.paused and sub.paused_reason == ""
    await slack.fake.wait_for(lambda: slack.fake.history["C00000001"])
    assert slack.fake.history["C00000001"][0]["text"].startswith("Resumed:")


async def test_someone_who_lost_the_right_to_change_digests_cannot_save(
    slack: SlackSim,
) -> None:
    slack.fake.users["UBOSS"] = {"is_admin": True}
    await slack.command("/digest", "", user="UBOSS")
    view = await opened(slack)
    slack.fake.users["UBOSS"] = {"is_admin": False}
    status, answer = await submit(slack, view, user="UBOSS", top="2")
    assert status == 200 and answer["response_action"] == "update"
    assert NOT_ALLOWED in json.dumps(answer["view"])
    assert view_problem(answer["view"]) is None
    assert slack.app.subscriptions.get(SLACK) is None


async def test_the_settings_button_on_a_digest_opens_that_channels_modal(
    slack: SlackSim,
) -> None:
    subscribe(slack, top=2)
    [*_, last] = slack.adapter.render(slack.app.service.digest())
    button = last.payload["blocks"][-1]
    assert button["type"] == "actions"
    assert button["elements"][0]["action_id"] == "hotpapers_open_settings"
    status, _ = await click_settings(slack, channel="C00000001")
    assert status == 200
    view = await opened(slack)
    assert inputs(view)["top"]["initial_value"] == "2"


async def test_the_settings_button_tells_a_plain_member_they_may_not(slack: SlackSim) -> None:
    subscribe(slack)
    await click_settings(slack, user="U9")
    view = await opened(slack)
    assert view.get("callback_id") is None and NOT_ALLOWED in json.dumps(view)


async def test_a_modal_for_a_channel_the_bot_cannot_post_in_confirms_by_dm(
    slack: SlackSim,
) -> None:
    await slack.command("/digest", "", user=ADMIN)
    view = await opened(slack)
    slack.fake.script("chat.postMessage", error("not_in_channel"))
    assert await submit(slack, view, top="2") == (200, {})
    await slack.fake.wait_for(lambda: slack.fake.history[f"D{ADMIN}"])
    [dm] = slack.fake.history[f"D{ADMIN}"]
    assert dm["text"].startswith("Subscribed:") and "/invite" in dm["text"]


@pytest.mark.parametrize(
    "sub",
    [
        Subscription(SLACK),
        Subscription(SLACK, days=("sun",), ranking="seed", empty_day="skip",
                     min_score=123456789.125, paused=True, paused_reason="x" * 3000),
        Subscription(SLACK, categories=tuple(sorted(CATS))[:MAX_ITEMS],
                     exclude_categories=("math",), keywords=("k" * MAX_KEYWORD_CHARS,) * 50),
        Subscription(SLACK, channel_weight=1000, layout="per-paper", weekly="sun"),
        Subscription(SLACK, channel_weight=0.125, weekly="mon"),
    ],
)  # fmt: skip
def test_the_modal_is_valid_block_kit_for_any_settings(sub: Subscription) -> None:
    view = settings_modal(sub, exists=True, status="Last digest: x\n" * 40, now=NOW, workspace="T1")
    assert view_problem(view) is None
    values, paused = read_form(filled(view))
    assert paused == sub.paused
    as_read = convert_settings({k: values[k] for k in ("channel_weight", "layout", "weekly")})
    assert as_read == {"channel_weight": sub.channel_weight, "layout": sub.layout,
                       "weekly": sub.weekly}  # fmt: skip
    if "keywords" not in values:  # too long to edit: kept as they are, and said so
        assert "too long to edit here" in json.dumps(view)


def envelope(envelope_id: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A request as Socket Mode delivers it."""
    return {"envelope_id": envelope_id, "type": kind, "payload": payload,
            "accepts_response_payload": True}  # fmt: skip


async def test_socket_mode_serves_the_modal_its_type_ahead_and_its_errors(
    fake: FakeSlack, make_app: MakeApp
) -> None:
    app = await make_app(slack_app_token=SecretStr("xapp-1-test"), slack_signing_secret=None)
    adapter = slack_adapter(app)
    await adapter.start()
    try:
        fake.triggers.add("t-open")
        command = {
            "team_id": "T1", "channel_id": "C00000001", "user_id": ADMIN, "command": "/digest",
            "text": "", "api_app_id": "A1", "response_url": fake.response_url("s"),
            "trigger_id": "t-open",
        }  # fmt: skip
        await fake.envelopes.put(envelope("e1", "slash_commands", command))
        await fake.wait_for(lambda: fake.views)
        [view] = fake.views.values()
        who = {"user": {"id": ADMIN}, "team": {"id": "T1"}, "api_app_id": "A1"}
        typing = {"type": "block_suggestion", **who, "action_id": "digest_timezone",
                  "block_id": "timezone", "value": "tokyo", "view": view}  # fmt: skip
        saving = {"type": "view_submission", **who, "trigger_id": "t2",
                  "view": filled(view, top="99")}  # fmt: skip
        await fake.envelopes.put(envelope("e2", "interactive", typing))
        await fake.envelopes.put(envelope("e3", "interactive", saving))
        await fake.wait_for(lambda: {a.get("envelope_id") for a in fake.acks} >= {"e2", "e3"})
        acks = {a["envelope_id"]: a.get("payload") for a in fake.acks}
        assert acks["e2"]["options"][0]["value"] == "Asia/Tokyo"
        errors = {"top": "99 must be between 1 and 25"}
        assert acks["e3"] == {"response_action": "errors", "errors": errors}
        assert app.subscriptions.get(SLACK) is None
    finally:
        await adapter.close()


async def test_a_forged_or_stale_submission_is_refused_before_anything_runs(
    slack: SlackSim,
) -> None:
    await slack.command("/digest", "", user=ADMIN)
    view = await opened(slack)
    payload = {"type": "view_submission", "user": {"id": ADMIN}, "team": {"id": "T1"},
               "api_app_id": "A1", "trigger_id": "tx", "view": filled(view, top="3")}  # fmt: skip
    body = urlencode({"payload": json.dumps(payload)})
    form = "application/x-www-form-urlencoded"
    forged = await slack.post(body, form, signature="v0=" + "0" * 64)
    stale = await slack.post(body, form, timestamp=int(time.time()) - 3600)
    assert [forged[0], stale[0]] == [401, 401]
    assert slack.app.subscriptions.get("slack:C1") is None


def test_the_settings_button_under_a_digest_is_valid_block_kit() -> None:
    block = settings_button()
    parsed = Block.parse(block)
    assert parsed is not None
    parsed.validate_json()
    assert parsed.to_dict() == block
