"""Slash commands end to end: the fake injects INTERACTION_CREATE, the real client answers."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import discord
import pytest

from bot.adapters.discord import DiscordAdapter
from bot.commands import UsageError
from bot.models import Digest
from tests.adapters.discord.conftest import MakeAdapter
from tests.adapters.discord.fake_discord import (
    EPHEMERAL,
    INTERACTION_DEADLINE,
    LOADING,
    FakeDiscord,
    Sent,
)
from tests.adapters.discord.limits import assert_no_pings, assert_within_limits
from tests.adapters.discord.support import seed

MANAGE_CHANNELS = discord.Permissions(manage_channels=True).value


def option(name: str, value: Any) -> dict[str, Any]:
    """A command option as Discord sends it (3 string, 4 integer)."""
    return {"name": name, "type": 4 if isinstance(value, int) else 3, "value": value}


def sub(name: str, *options: dict[str, Any]) -> list[dict[str, Any]]:
    """A subcommand with its options."""
    return [{"name": name, "type": 1, "options": list(options)}]


async def answered(fake: FakeDiscord, sent: Sent) -> dict[str, Any]:
    """The message the interaction ended up showing, once it is no longer 'thinking'."""
    await fake.wait_for(lambda: sent.callback)
    assert sent.callback is not None
    assert sent.callback.at - sent.sent_at < INTERACTION_DEADLINE

    def shown() -> dict[str, Any] | None:
        """The original response once it is no longer loading, else the last private follow-up."""
        if sent.original is not None and not sent.original["flags"] & LOADING:
            return sent.original
        private = [m for m in fake.ephemeral if m is not sent.original]
        return private[-1] if private else None

    return await fake.wait_for(shown)


def urls(message: dict[str, Any]) -> list[str]:
    """The paper links of a message's embeds, in order."""
    return [e["url"] for e in message["embeds"]]


async def test_hot_5_is_answered_within_the_deadline_with_five_papers_in_ranked_order(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    sent = await fake.slash("hot", [option("count", 5)])
    message = await answered(fake, sent)
    assert sent.callback is not None and sent.callback.body["type"] == 4  # answered directly
    assert urls(message) == [f"https://arxiv.org/abs/{i}" for i in ranked_ids[:5]]
    assert [e["title"].split(".")[0] for e in message["embeds"]] == ["1", "2", "3", "4", "5"]
    assert message["flags"] & EPHEMERAL == 0
    assert_within_limits(message)


async def test_hot_that_takes_longer_is_deferred_in_time_then_followed_up(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    slow_hot = adapter.commands.hot

    def hot(count: int = 5, category: str | None = None, channel: str | None = None) -> Digest:
        time.sleep(1.5)  # a cold ranking over a big store
        return slow_hot(count, category, channel)

    monkeypatch.setattr(adapter.commands, "hot", hot)
    sent = await fake.slash("hot", [option("count", 3)])
    message = await answered(fake, sent)
    assert sent.callback is not None and sent.callback.body["type"] == 5  # deferred
    assert sent.callback.at - sent.sent_at < 1.5
    assert fake.calls("PATCH", r"/messages/@original$")
    assert urls(message) == [f"https://arxiv.org/abs/{i}" for i in ranked_ids[:3]]


async def test_hot_25_splits_ten_a_message_and_keycaps_work_on_every_part(
    make_adapter: MakeAdapter, fake: FakeDiscord, store: Any
) -> None:
    ids = seed(store, 23)
    adapter = await make_adapter()
    sent = await fake.slash("hot", [option("count", 25)])
    await answered(fake, sent)
    messages = await fake.wait_for(lambda: len(fake.messages[fake.channel_id]) == 3 or None)
    await adapter.inflight.drain(5)  # the numbers are saved once each message is out
    parts = fake.messages[fake.channel_id]
    assert messages and [len(m["embeds"]) for m in parts] == [10, 10, 3]
    assert [u for m in parts for u in urls(m)] == [f"https://arxiv.org/abs/{i}" for i in ids]
    assert parts[2]["embeds"][0]["title"].startswith("1. ")
    await fake.react(parts[2]["id"], "3️⃣")
    reply = await fake.wait_for(lambda: [m for m in parts if m.get("message_reference")])
    assert "Abstract 23:" in reply[0]["embeds"][0]["description"]


@pytest.mark.parametrize(("count", "said"), [(0, "between 1 and 25"), (26, "between 1 and 25")])
async def test_a_bad_count_gets_a_private_explanation(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str], count: int, said: str
) -> None:
    sent = await fake.slash("hot", [option("count", count)])
    message = await answered(fake, sent)
    assert message["flags"] & EPHEMERAL and said in message["content"]


async def test_hot_with_no_engagement_gets_a_private_explanation(
    make_adapter: MakeAdapter, fake: FakeDiscord
) -> None:
    await make_adapter()  # over an empty store
    message = await answered(fake, await fake.slash("hot"))
    assert message["flags"] & EPHEMERAL and "No papers" in message["content"]


async def test_paper_by_url_shows_its_card_with_the_score_breakdown(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    url = f"https://arxiv.org/pdf/{ranked_ids[1]}v2"
    message = await answered(fake, await fake.slash("paper", [option("query", url)]))
    (embed,) = message["embeds"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert embed["url"] == f"https://arxiv.org/abs/{ranked_ids[1]}"
    assert fields["Score"].startswith("**") and "HN" in fields
    assert "📄" in embed["footer"]["text"]


@pytest.mark.parametrize(("query", "said"), [("2611.99999", "not in the store"),
                                             ("hello", "is not an arXiv id")])  # fmt: skip
async def test_an_unknown_or_malformed_paper_gets_a_private_explanation(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str], query: str, said: str
) -> None:
    message = await answered(fake, await fake.slash("paper", [option("query", query)]))
    assert message["flags"] & EPHEMERAL and said in message["content"]


async def test_search_lists_matching_papers_and_an_empty_search_is_private(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    message = await answered(fake, await fake.slash("search", [option("words", "sparse")]))
    assert len(message["embeds"]) == 10 and message["flags"] & EPHEMERAL == 0
    empty = await answered(fake, await fake.slash("search", [option("words", "zebra")]))
    assert empty["flags"] & EPHEMERAL and "No stored paper matches" in empty["content"]


async def test_digest_changes_need_manage_channels_checked_by_the_bot_too(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    channel = f"discord:{fake.channel_id}"
    options = sub("subscribe", option("time", "07:30"), option("timezone", "Europe/Berlin"),
                  option("top", 3), option("categories", "cs.LG, cs.CL"))  # fmt: skip
    refused = await answered(fake, await fake.slash("digest", options, permissions=0))
    assert refused["flags"] & EPHEMERAL and "manage" in refused["content"].lower()
    assert adapter.commands.subscriptions.get(channel) is None
    accepted = await answered(
        fake, await fake.slash("digest", options, permissions=MANAGE_CHANNELS)
    )
    sub_ = adapter.commands.subscriptions.get(channel)
    assert sub_ is not None and "Subscribed" in accepted["content"]
    assert (sub_.time, sub_.timezone, sub_.top, sub_.categories, sub_.workspace) == (
        "07:30", "Europe/Berlin", 3, ("cs.LG", "cs.CL"), str(fake.guild_id),
    )  # fmt: skip


async def test_typed_options_reach_the_commands_as_given_quotes_and_case_included(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    channel = f"discord:{fake.channel_id}"
    options = sub("subscribe", option("keywords", 'say "hi"'), option("categories", "CS.lg"),
                  option("timezone", "europe/berlin"))  # fmt: skip
    await answered(fake, await fake.slash("digest", options, permissions=MANAGE_CHANNELS))
    sub_ = adapter.commands.subscriptions.get(channel)
    assert sub_ is not None
    assert (sub_.keywords, sub_.categories, sub_.timezone) == (
        ("say", '"hi"'), ("cs.LG",), "Europe/Berlin",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("timezone", "America", "is not an IANA timezone"),
        ("timezone", "x" * 6000, "is not an IANA timezone"),
        ("min_score", "nan", "is not a number"),
        ("categories", ",".join(["cs.LG"] * 1000), "at most 50"),
    ],
)
async def test_a_bad_option_is_answered_privately_and_stores_nothing(
    adapter: DiscordAdapter, fake: FakeDiscord, name: str, value: str, said: str
) -> None:
    options = sub("subscribe", option(name, value))
    message = await answered(fake, await fake.slash("digest", options, permissions=MANAGE_CHANNELS))
    assert message["flags"] & EPHEMERAL and said in message["content"]
    assert adapter.commands.subscriptions.get(f"discord:{fake.channel_id}") is None


@pytest.mark.parametrize("words", ['"', "a\x00b", "NEAR(", "\ud800"])
async def test_search_takes_any_text(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str], words: str
) -> None:
    message = await answered(fake, await fake.slash("search", [option("words", words)]))
    assert message["flags"] & EPHEMERAL
    assert "Sorry" not in message["content"]


async def test_digest_status_and_preview_are_shown_only_to_the_user(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    await answered(fake, await fake.slash("digest", sub("subscribe", option("top", 2)),
                                          permissions=MANAGE_CHANNELS))  # fmt: skip
    status = await answered(fake, await fake.slash("digest", sub("status")))
    assert status["flags"] & EPHEMERAL and "top 2" in status["content"]
    preview = await answered(fake, await fake.slash("digest", sub("preview")))
    assert preview["flags"] & EPHEMERAL and len(preview["embeds"]) == 2


async def test_digest_settings_change_filters_repeats_and_the_empty_day_policy(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    channel = f"discord:{fake.channel_id}"
    await answered(fake, await fake.slash("digest", sub("subscribe"), permissions=MANAGE_CHANNELS))
    options = sub("settings", option("exclude", "math.CO"), option("min_score", "12.5"),
                  option("repeat_days", 3), option("empty_day", "skip"))  # fmt: skip
    changed = await answered(fake, await fake.slash("digest", options, permissions=MANAGE_CHANNELS))
    sub_ = adapter.commands.subscriptions.get(channel)
    assert "Updated" in changed["content"] and sub_ is not None
    assert (sub_.exclude_categories, sub_.min_score, sub_.repeat_days, sub_.empty_day) == (
        ("math.CO",), 12.5, 3, "skip",
    )  # fmt: skip


async def test_a_bad_setting_gets_a_private_explanation(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    options = sub("subscribe", option("timezone", "Mars/Olympus"))
    message = await answered(fake, await fake.slash("digest", options, permissions=MANAGE_CHANNELS))
    assert message["flags"] & EPHEMERAL and "IANA timezone" in message["content"]


async def test_a_command_discord_knows_but_the_bot_does_not_says_to_sync(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    message = await answered(fake, await fake.slash("retired"))
    assert message["flags"] & EPHEMERAL and "discord-sync" in message["content"]


async def test_a_hostile_title_pings_nobody_in_any_request(
    make_adapter: MakeAdapter, fake: FakeDiscord, store: Any
) -> None:
    ids = seed(store, 3, hostile=True)
    adapter = await make_adapter()
    hot = await answered(fake, await fake.slash("hot", [option("count", 3)]))
    card = await answered(fake, await fake.slash("paper", [option("query", ids[0])]))
    await adapter.inflight.drain(5)
    await fake.react(card["id"], "📄")
    await fake.wait_for(
        lambda: [m for m in fake.messages[fake.channel_id] if m.get("message_reference")]
    )
    assert "\\*\\*Bold\\*\\*" in hot["embeds"][0]["title"]
    bodies = [r.body for r in fake.requests if isinstance(r.body, dict)]
    payloads = [b.get("data", b) for b in bodies if "embeds" in b.get("data", b)]
    assert len(payloads) >= 3
    for payload in payloads:
        assert payload["allowed_mentions"]["parse"] == []
        assert not payload["allowed_mentions"].get("replied_user")
        assert_no_pings({k: v for k, v in payload.items() if k in ("content", "embeds")})


async def test_many_concurrent_commands_are_each_answered_in_time(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    sent = await asyncio.gather(*(fake.slash("hot", [option("count", 5)]) for _ in range(20)))
    for one in sent:
        message = await answered(fake, one)
        assert urls(message)[0].endswith(ranked_ids[0])


async def test_a_mistake_found_after_deferring_is_still_shown_only_to_the_user(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    def paper(query: str) -> Any:
        time.sleep(1.2)
        raise UsageError("arXiv:2611.99999 is not in the store yet")

    monkeypatch.setattr(adapter.commands, "paper", paper)
    sent = await fake.slash("paper", [option("query", "2611.99999")])
    message = await answered(fake, sent)
    assert sent.callback is not None and sent.callback.body["type"] == 5
    assert fake.calls("DELETE", r"/messages/@original$")
    assert message["flags"] & EPHEMERAL and "not in the store" in message["content"]
    assert fake.messages.get(fake.channel_id, []) == []  # the public placeholder is gone
