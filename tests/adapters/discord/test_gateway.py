"""Connecting the real discord.py client to the fake Discord: login, intents, sync, reconnects."""

from __future__ import annotations

import discord
import pytest

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord.sync import tree_hash
from tests.adapters.discord.conftest import MakeAdapter
from tests.adapters.discord.fake_discord import FakeDiscord

PRIVILEGED = discord.Intents(members=True, presences=True, message_content=True).value


async def test_start_logs_in_and_identifies_with_the_least_intents(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    assert fake.calls("GET", r"/users/@me$")
    (identify,) = fake.ops(2)
    intents = identify["d"]["intents"]
    assert intents == discord.Intents(guilds=True, guild_reactions=True, dm_reactions=True).value
    assert intents & PRIVILEGED == 0
    health = adapter.health()
    assert health["connected"] and health["user"] == "hotpapers"
    assert health["gateway_task"] == "running"


async def test_heartbeats_are_sent_and_acknowledged(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    await fake.wait_for(lambda: len(fake.ops(1)) >= 2)  # the first at HELLO, then every 0.5 s
    # A latency is known once a heartbeat was acknowledged (how long it took is for benches).
    await fake.wait_for(lambda: adapter.health()["latency_ms"] is not None)
    assert adapter.health()["latency_ms"] >= 0


async def test_commands_are_synced_on_first_start_and_not_again_when_unchanged(
    make_adapter: MakeAdapter, fake: FakeDiscord
) -> None:
    first = await make_adapter()
    assert len(fake.calls("PUT", r"/applications/\d+/commands$")) == 1
    assert {c["name"] for c in fake.commands} == {"hot", "paper", "search", "digest"}
    await first.close()
    await make_adapter()  # a restart with the same commands
    assert len(fake.calls("PUT", r"/applications/\d+/commands$")) == 1


async def test_synced_commands_declare_limits_and_hide_digest_from_non_managers(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    commands = {c["name"]: c for c in fake.commands}
    count = next(o for o in commands["hot"]["options"] if o["name"] == "count")
    assert (count["min_value"], count["max_value"], count.get("required", False)) == (1, 25, False)
    digest = commands["digest"]
    manage_channels = discord.Permissions(manage_channels=True).value
    assert int(digest["default_member_permissions"]) == manage_channels
    assert digest["contexts"] == [0]  # servers only
    assert {o["name"] for o in digest["options"]} == {
        "subscribe", "unsubscribe", "settings", "preview", "status", "pause", "resume",
    }  # fmt: skip


async def test_manual_sync_mode_never_syncs_at_start_but_sync_commands_does(
    make_adapter: MakeAdapter, fake: FakeDiscord
) -> None:
    adapter = await make_adapter(command_sync="manual")
    assert not fake.calls("PUT", r"/applications/\d+/commands$")
    assert await adapter.sync_commands() is True
    assert len(fake.calls("PUT", r"/applications/\d+/commands$")) == 1
    # A deliberate sync uploads even when nothing changed; a change-detected one does not.
    assert await adapter.sync_commands(force=False) is False
    assert tree_hash(adapter.tree) == adapter.command_sync.last_hash(fake.app_id)


async def test_a_refused_token_fails_start_with_login_failure(
    make_adapter: MakeAdapter, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapter = await make_adapter(start=False)
    adapter.token = "not-the-token"
    with pytest.raises(discord.LoginFailure):
        await adapter.start()
    assert not fake.ops(2)


async def test_a_dropped_gateway_is_resumed_and_missed_events_are_replayed(
    adapter: DiscordAdapter, fake: FakeDiscord, ranked_ids: list[str]
) -> None:
    await fake.drop_gateway()
    sent = await fake.slash("hot", [{"name": "count", "type": 4, "value": 1}])  # while down
    (resume,) = await fake.wait_for(lambda: fake.ops(6))
    assert resume["d"]["session_id"] in fake.sessions
    assert len(fake.ops(2)) == 1, "resumed, not identified again"
    await fake.wait_for(lambda: sent.callback)
    assert sent.original is not None
    assert sent.original["embeds"][0]["url"].endswith(ranked_ids[0])
    await fake.wait_for(lambda: adapter.health()["connected"])


async def test_auto_sharding_identifies_every_recommended_shard(
    make_adapter: MakeAdapter, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.recommended_shards = 2
    adapter = await make_adapter(start=False, auto_shard=True)
    assert isinstance(adapter.client, discord.AutoShardedClient)

    async def no_identify_spacing(shard_id: int | None, *, initial: bool = False) -> None:
        """Discord spaces IDENTIFYs 5 s apart; the fake does not need that."""

    monkeypatch.setattr(adapter.client, "before_identify_hook", no_identify_spacing)
    await adapter.start()
    await fake.wait_for(lambda: len(fake.ops(2)) == 2)
    assert sorted(tuple(p["d"]["shard"]) for p in fake.ops(2)) == [(0, 2), (1, 2)]
    assert fake.calls("GET", r"/gateway/bot$")
    await fake.wait_for(lambda: adapter.health()["shards"] == [0, 1])


async def test_a_process_runs_only_the_shards_it_is_given(
    make_adapter: MakeAdapter, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapter = await make_adapter(start=False, auto_shard=True, shard_count=3, shard_ids=(1,))
    await adapter.start()  # the first shard identifies at once: no spacing to skip
    assert [p["d"]["shard"] for p in fake.ops(2)] == [[1, 3]]
    assert not fake.calls("GET", r"/gateway/bot$"), "a fixed shard count needs no recommendation"


async def test_shard_ids_without_a_fixed_shard_count_are_refused(
    make_adapter: MakeAdapter,
) -> None:
    with pytest.raises(ValueError, match="shard_count"):
        await make_adapter(start=False, auto_shard=True, shard_ids=(0,))
