"""The settings panel end to end: real discord.py, components and modals from the fake Discord."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import discord

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord.controls import NOT_ALLOWED
from bot.delivery.schedule import next_run
from bot.subscriptions import Subscription
from tests.adapters.discord.conftest import MakeAdapter
from tests.adapters.discord.fake_discord import EPHEMERAL, FakeDiscord, Sent
from tests.adapters.discord.limits import assert_no_pings
from tests.adapters.discord.support import NOW

MANAGE = discord.Permissions(manage_channels=True).value
ID = "hotpapers:digest:"


def channel_of(fake: FakeDiscord) -> str:
    """The subscription key of the fake's main channel."""
    return f"discord:{fake.channel_id}"


def components(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A message's components by custom_id."""
    return {
        c["custom_id"].removeprefix(ID): c
        for row in message["components"]
        for c in row["components"]
    }


def ticked(menu: dict[str, Any]) -> list[str]:
    """The values a select menu shows as chosen."""
    return [o["value"] for o in menu["options"] if o.get("default")]


async def panel(fake: FakeDiscord, permissions: int = MANAGE) -> dict[str, Any]:
    """Run /digest settings with no option and return the private panel it shows."""
    sent = await fake.slash("digest", [{"name": "settings", "type": 1, "options": []}],
                            permissions=permissions)  # fmt: skip
    await fake.wait_for(lambda: sent.original)
    assert sent.original is not None and sent.original["flags"] & EPHEMERAL
    return sent.original


async def answered(fake: FakeDiscord, sent: Sent) -> Sent:
    """Wait until the interaction was answered (within Discord's 3 s)."""
    await fake.wait_for(lambda: sent.callback)
    assert sent.callback is not None and sent.callback.at - sent.sent_at < 3
    return sent


def said(fake: FakeDiscord) -> list[str]:
    """What was posted publicly in the channel."""
    return [m["content"] for m in fake.messages.get(fake.channel_id, [])]


def subscribe(adapter: DiscordAdapter, fake: FakeDiscord, **settings: Any) -> None:
    """A digest in the fake's channel."""
    sub = Subscription(channel_of(fake), workspace=str(fake.guild_id), **settings)
    adapter.commands.subscriptions.save(sub, NOW)


def stored(adapter: DiscordAdapter, fake: FakeDiscord) -> Subscription:
    """The channel's saved subscription."""
    sub = adapter.commands.subscriptions.get(channel_of(fake))
    assert sub is not None
    return sub


async def test_a_channel_without_a_digest_gets_a_panel_to_subscribe(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    shown = await panel(fake)
    assert "No daily digest here yet" in shown["embeds"][0]["description"]
    assert set(components(shown)) == {"subscribe", "schedule", "preview"}
    sent = await answered(fake, await fake.click(shown, ID + "subscribe", permissions=MANAGE))
    assert sent.callback is not None and sent.callback.body["type"] == 7  # the panel redrawn
    sub = stored(adapter, fake)
    assert (sub.time, sub.top, sub.created_by) == ("09:00", 5, "42")
    assert {"ranking", "days", "categories", "pause", "unsubscribe"} <= set(components(shown))
    await fake.wait_for(lambda: said(fake))
    assert said(fake)[0].startswith(f"Subscribed: {channel_of(fake)}: 09:00 UTC")


async def test_the_panel_shows_the_settings_and_status_with_menus_set_to_them(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    subscribe(adapter, fake, ranking="seed", days=("mon", "wed"), categories=("math.CO",),
              keywords=("@everyone",), paused=True, paused_reason="Missing Access")  # fmt: skip
    shown = await panel(fake)
    parts = components(shown)
    assert ticked(parts["ranking"]) == ["seed"]
    assert ticked(parts["days"]) == ["mon", "wed"]
    assert ticked(parts["categories"]) == ["math.CO"]
    assert [o["value"] for o in parts["categories"]["options"]][:2] == ["math.CO", "cs.LG"]
    assert len(parts["categories"]["options"]) == 25
    assert "resume" in parts and "pause" not in parts
    description = shown["embeds"][0]["description"]
    assert "**Paused** — Missing Access" in description and "Last digest" in description
    assert_no_pings(shown)


async def test_menus_change_ranking_days_and_categories_and_each_change_is_announced(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    subscribe(adapter, fake)
    shown = await panel(fake)
    await answered(fake, await fake.click(shown, ID + "ranking", ["seed"], permissions=MANAGE))
    await answered(fake, await fake.click(shown, ID + "days", ["sat", "sun"], permissions=MANAGE))
    await answered(
        fake, await fake.click(shown, ID + "categories", ["cs.CL", "cs.LG"], permissions=MANAGE)
    )
    sub = stored(adapter, fake)
    assert (sub.ranking, sub.days, sub.categories) == ("seed", ("sat", "sun"), ("cs.CL", "cs.LG"))
    assert ticked(components(shown)["days"]) == ["sat", "sun"]  # the panel was redrawn
    await fake.wait_for(lambda: len(said(fake)) == 3)
    assert all(line.startswith("Updated: ") for line in said(fake))


async def test_the_schedule_modal_opens_filled_in_and_refuses_wrong_values_field_by_field(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    subscribe(adapter, fake, time="08:00", timezone="Europe/Paris", keywords=("llm",))
    shown = await panel(fake)
    opened = await answered(fake, await fake.click(shown, ID + "schedule", permissions=MANAGE))
    assert opened.callback is not None and opened.callback.body["type"] == 9
    assert opened.modal is not None and opened.modal["custom_id"] == ID + "modal:schedule"
    fields = {c["components"][0]["custom_id"]: c["components"][0].get("value")
              for c in opened.modal["components"]}  # fmt: skip
    assert fields == {"time": "08:00", "timezone": "Europe/Paris", "top": "5",
                      "keywords": "llm", "min_score": None}  # fmt: skip
    wrong = {"time": "25:00", "timezone": "Mars/Olympus", "top": "0", "keywords": "",
             "min_score": "nan"}  # fmt: skip
    sent = await answered(
        fake, await fake.submit_modal(shown, ID + "modal:schedule", wrong, permissions=MANAGE)
    )
    assert sent.callback is not None and sent.callback.body["type"] == 4
    reply = sent.callback.body["data"]
    assert reply["flags"] & EPHEMERAL and reply["content"].startswith("Nothing was saved")
    for name in ("time", "timezone", "top", "min_score"):
        assert f"• {name}: " in reply["content"]
    assert stored(adapter, fake).time == "08:00" and said(fake) == []


async def test_a_valid_modal_changes_the_schedule(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    subscribe(adapter, fake)
    shown = await panel(fake)
    valid = {"time": "7:30", "timezone": "america/new_york", "top": "3",
             "keywords": "diffusion agents", "min_score": "2.5"}  # fmt: skip
    await answered(
        fake, await fake.submit_modal(shown, ID + "modal:schedule", valid, permissions=MANAGE)
    )
    sub = stored(adapter, fake)
    assert (sub.time, sub.timezone, sub.top, sub.keywords, sub.min_score) == (
        "07:30", "America/New_York", 3, ("diffusion", "agents"), 2.5
    )  # fmt: skip
    run = next_run(sub, NOW)
    assert run is not None and run.at == datetime(
        2026, 11, 26, 12, 30, tzinfo=UTC
    )  # 07:30 in New York today
    await fake.wait_for(lambda: said(fake))
    assert said(fake)[0].startswith(f"Updated: {channel_of(fake)}: 07:30 America/New_York")


def assert_within_component_limits(message: dict[str, Any]) -> None:
    """Discord's limits: 5 rows; a row is one select (25 options at most) or 5 buttons."""
    rows = message["components"]
    assert len(rows) <= 5
    for row in rows:
        kinds = {c["type"] for c in row["components"]}
        if 3 in kinds:
            assert len(row["components"]) == 1 and len(row["components"][0]["options"]) <= 25
        else:
            assert kinds == {2} and len(row["components"]) <= 5


async def test_the_second_page_sets_the_layout_and_weekly_day_and_the_schedule_follows(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    subscribe(adapter, fake, time="08:00", timezone="Europe/Paris")
    shown = await panel(fake)
    description = shown["embeds"][0]["description"]
    assert "**Layout** grouped, ten papers a message" in description
    assert "**Weekly digest** off" in description
    assert "**Channel weight** not counted (weight 0)" in description
    assert_within_component_limits(shown)
    sent = await answered(fake, await fake.click(shown, ID + "more", permissions=MANAGE))
    assert sent.callback is not None and sent.callback.body["type"] == 7  # the same message
    parts = components(shown)
    assert set(parts) == {"layout", "weekly", "weight", "refresh"}
    assert ticked(parts["layout"]) == ["grouped"] and ticked(parts["weekly"]) == ["off"]
    assert [o["value"] for o in parts["weekly"]["options"]] == [
        "off", "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    ]  # fmt: skip
    assert_within_component_limits(shown)
    await answered(fake, await fake.click(shown, ID + "weekly", ["fri"], permissions=MANAGE))
    await answered(fake, await fake.click(shown, ID + "layout", ["per-paper"], permissions=MANAGE))
    sub = stored(adapter, fake)
    assert (sub.weekly, sub.layout) == ("fri", "per-paper")
    run = next_run(sub, NOW, "weekly")  # Friday 27 November, 08:00 in Paris
    assert run is not None and run.at == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    parts = components(shown)  # still the second page, redrawn with the new choices
    assert ticked(parts["weekly"]) == ["fri"] and ticked(parts["layout"]) == ["per-paper"]
    description = shown["embeds"][0]["description"]
    assert "**Weekly digest** Fridays at 08:00, once a week" in description
    assert "Next weekly digest: Fri 2026-11-27 08:00 CET" in description
    await fake.wait_for(lambda: len(said(fake)) == 2)
    assert said(fake)[0].endswith("weekly on fri") and "per-paper layout" in said(fake)[1]
    await answered(fake, await fake.click(shown, ID + "weekly", ["off"], permissions=MANAGE))
    assert (
        stored(adapter, fake).weekly == ""
        and next_run(stored(adapter, fake), NOW, "weekly") is None
    )
    await answered(fake, await fake.click(shown, ID + "refresh", permissions=MANAGE))
    assert "ranking" in components(shown)  # back on the first page


async def test_the_channel_weight_modal_refuses_wrong_values_on_the_field_and_saves_a_good_one(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    subscribe(adapter, fake)
    shown = await panel(fake)
    await answered(fake, await fake.click(shown, ID + "more", permissions=MANAGE))
    opened = await answered(fake, await fake.click(shown, ID + "weight", permissions=MANAGE))
    assert opened.callback is not None and opened.callback.body["type"] == 9
    assert opened.modal is not None and opened.modal["custom_id"] == ID + "modal:weight"
    [row] = opened.modal["components"]
    assert (row["components"][0]["custom_id"], row["components"][0]["value"]) == (
        "channel_weight", "0"
    )  # fmt: skip
    wrongs = {"1001": "1001 must be between 0 and 1000", "lots": "'lots' is not a number",
              "inf": "inf is not a number (give one like 10 or 2.5)"}  # fmt: skip
    for wrong, error in wrongs.items():
        sent = await answered(fake, await fake.submit_modal(
            shown, ID + "modal:weight", {"channel_weight": wrong}, permissions=MANAGE
        ))  # fmt: skip
        assert sent.callback is not None and sent.callback.body["type"] == 4
        reply = sent.callback.body["data"]
        assert reply["flags"] & EPHEMERAL
        assert reply["content"].startswith("Nothing was saved:\n• channel_weight: ")
        assert error in reply["content"]
    assert stored(adapter, fake).channel_weight == 0.0 and said(fake) == []
    await answered(fake, await fake.submit_modal(
        shown, ID + "modal:weight", {"channel_weight": "2.5"}, permissions=MANAGE
    ))  # fmt: skip
    assert stored(adapter, fake).channel_weight == 2.5
    assert (
        "**Channel weight** each adds 2.5 to a paper's score here"
        in (shown["embeds"][0]["description"])
    )
    assert "weight" in components(shown)  # the second page again
    await answered(fake, await fake.click(shown, ID + "refresh", permissions=MANAGE))
    sent = await answered(
        fake, await fake.click(shown, ID + "ranking", ["seed"], permissions=MANAGE)
    )
    assert sent.callback is not None
    content = sent.callback.body["data"]["content"]
    assert content.startswith("Nothing was saved:\n• ranking: channel_weight: only the hot ranking")
    assert stored(adapter, fake).ranking == "hot"


async def test_the_categories_modal_takes_any_category_and_suggests_for_typos(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    subscribe(adapter, fake)
    shown = await panel(fake)
    typo = {"categories": "cs.LG math.CX", "exclude_categories": "", "repeat_days": "7"}
    sent = await answered(
        fake, await fake.submit_modal(shown, ID + "modal:filters", typo, permissions=MANAGE)
    )
    assert sent.callback is not None and "did you mean" in sent.callback.body["data"]["content"]
    fine = {"categories": "cs.LG, astro-ph.GA", "exclude_categories": "cs.CV",
            "repeat_days": "0"}  # fmt: skip
    await answered(
        fake, await fake.submit_modal(shown, ID + "modal:filters", fine, permissions=MANAGE)
    )
    sub = stored(adapter, fake)
    assert (sub.categories, sub.exclude_categories, sub.repeat_days) == (
        ("cs.LG", "astro-ph.GA"), ("cs.CV",), 0
    )  # fmt: skip


async def test_pause_resume_and_the_empty_day_toggle(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    subscribe(adapter, fake)
    shown = await panel(fake)
    await answered(fake, await fake.click(shown, ID + "pause", permissions=MANAGE))
    assert stored(adapter, fake).paused and "resume" in components(shown)
    await answered(fake, await fake.click(shown, ID + "resume", permissions=MANAGE))
    assert not stored(adapter, fake).paused
    await answered(fake, await fake.click(shown, ID + "empty:skip", permissions=MANAGE))
    assert stored(adapter, fake).empty_day == "skip" and "empty:note" in components(shown)
    await fake.wait_for(lambda: len(said(fake)) == 3)
    assert [line.split(":")[0] for line in said(fake)] == ["Paused", "Resumed", "Updated"]


async def test_preview_is_shown_only_to_the_person(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    subscribe(adapter, fake, top=3)
    shown = await panel(fake)
    sent = await answered(fake, await fake.click(shown, ID + "preview", permissions=MANAGE))
    assert sent.callback is not None
    data = sent.callback.body["data"]
    assert data["flags"] & EPHEMERAL
    assert [e["url"] for e in data["embeds"]] == [
        f"https://arxiv.org/abs/{i}" for i in ranked_ids[:3]
    ]
    assert said(fake) == []


async def test_unsubscribe_asks_first_then_stops_the_digest(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    subscribe(adapter, fake)
    shown = await panel(fake)
    await answered(fake, await fake.click(shown, ID + "unsubscribe", permissions=MANAGE))
    assert set(components(shown)) == {"unsubscribe:yes", "refresh"}
    assert adapter.commands.subscriptions.get(channel_of(fake)) is not None
    await answered(fake, await fake.click(shown, ID + "unsubscribe:yes", permissions=MANAGE))
    assert adapter.commands.subscriptions.get(channel_of(fake)) is None
    assert "subscribe" in components(shown)
    await fake.wait_for(lambda: said(fake))
    assert said(fake) == ["Unsubscribed: no more daily digests here."]


async def test_manage_channels_is_checked_again_on_every_interaction(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    subscribe(adapter, fake)
    shown = await panel(fake)
    for custom_id, values in (("ranking", ["seed"]), ("pause", None), ("schedule", None),
                              ("unsubscribe:yes", None)):  # fmt: skip
        sent = await answered(fake, await fake.click(shown, ID + custom_id, values))
        assert sent.callback is not None and sent.callback.body["type"] == 4
        assert sent.callback.body["data"]["content"] == NOT_ALLOWED
    sent = await answered(fake, await fake.submit_modal(shown, ID + "modal:schedule", {"top": "2"}))
    assert sent.callback is not None and sent.callback.body["data"]["content"] == NOT_ALLOWED
    sub = stored(adapter, fake)
    assert (sub.ranking, sub.paused, sub.top) == ("hot", False, 5)


async def test_members_without_manage_channels_see_the_settings_without_controls(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    subscribe(adapter, fake)
    shown = await panel(fake, permissions=0)
    assert shown["components"] == []
    assert "Manage Channels" in shown["embeds"][0]["footer"]["text"]


async def test_a_panel_shown_before_a_restart_still_works_after_it(
    make_adapter: MakeAdapter, fake: FakeDiscord
) -> None:
    first = await make_adapter()
    subscribe(first, fake)
    shown = await panel(fake)
    await first.close()
    second = await make_adapter()
    sent = await answered(
        fake, await fake.click(shown, ID + "ranking", ["seed"], permissions=MANAGE)
    )
    assert sent.callback is not None and sent.callback.body["type"] == 7
    assert stored(second, fake).ranking == "seed"


async def test_typed_settings_still_change_the_digest_without_the_panel(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    options = [{"name": "settings", "type": 1, "options": [{"name": "top", "type": 4, "value": 9}]}]
    subscribe(adapter, fake)
    sent = await answered(fake, await fake.slash("digest", options, permissions=MANAGE))
    assert sent.callback is not None
    assert stored(adapter, fake).top == 9


async def test_the_timezone_option_suggests_zones_by_city_that_the_settings_accept(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    typed = {"name": "timezone", "type": 3, "value": "new york", "focused": True}
    options = [{"name": "subscribe", "type": 1, "options": [typed]}]
    sent = await fake.autocomplete("digest", options, permissions=MANAGE)
    choices = await fake.wait_for(lambda: sent.choices)
    assert choices[0] == {"name": "America/New_York", "value": "America/New_York"}
    typed["value"] = "posix"
    sent = await fake.autocomplete("digest", options, permissions=MANAGE)
    await fake.wait_for(lambda: sent.callback)
    assert sent.choices == []  # posix/… zones are refused by the settings, so never offered
