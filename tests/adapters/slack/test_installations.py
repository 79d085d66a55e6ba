"""The installation store: Bolt awaits it on the event loop, so it never blocks that loop."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation

from bot.adapters.slack.installations import SqliteInstallationStore
from bot.store import Store


def _installation(token: str = "xoxb-1") -> Installation:
    return Installation(
        app_id="A1", team_id="T1", team_name="Lab", bot_token=token, bot_id="B1",
        bot_user_id="U0BOT", bot_scopes=["chat:write"], user_id="U1", installed_at=1.0,
    )  # fmt: skip


async def test_a_save_waiting_for_a_locked_store_leaves_the_event_loop_free(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "hp.db")
    installations = SqliteInstallationStore(store)
    holder = sqlite3.connect(tmp_path / "hp.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's write lock
    try:
        saving = asyncio.create_task(installations.async_save(_installation()))
        await asyncio.sleep(0.05)  # the loop runs on while the save waits for the lock
        assert not saving.done()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await saving
    bot = await installations.async_find_bot(enterprise_id=None, team_id="T1")
    assert isinstance(bot, Bot) and bot.bot_token == "xoxb-1"
    assert installations.token_for_team("T1") == "xoxb-1"
    store.close()


async def test_a_reinstall_replaces_the_token_and_an_uninstall_forgets_it(tmp_path: Path) -> None:
    store = Store(tmp_path / "hp.db")
    installations = SqliteInstallationStore(store)
    await installations.async_save(_installation("xoxb-old"))
    await installations.async_save(_installation("xoxb-new"))
    assert installations.teams() == ["T1"]
    assert installations.token_for_team("T1") == "xoxb-new"
    found = await installations.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.bot_token == "xoxb-new"
    await installations.async_delete_all(enterprise_id=None, team_id="T1")
    assert await installations.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert installations.teams() == []
    store.close()
