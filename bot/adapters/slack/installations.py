"""Slack installations, one bot token per workspace, in the project's SQLite."""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation

from bot.store import Store, Transaction
from bot.store.migrations import Database, Migrations

__all__ = ["SqliteInstallationStore", "log", "migrations"]

log = logging.getLogger("hotpapers.slack")
migrations = Migrations("hotpapers-slack")
_BOT_COLUMNS = (
    "enterprise_id", "team_id", "app_id", "enterprise_name", "team_name", "bot_token", "bot_id",
    "bot_user_id", "bot_scopes", "bot_refresh_token", "bot_token_expires_at",
    "is_enterprise_install", "installer_user_id", "installed_at",
)  # fmt: skip


@migrations()
def m001_installations(db: Database) -> None:
    """The latest bot installation per workspace (or org), and pending OAuth states."""
    db.execute(
        """
        CREATE TABLE slack_installations (
            enterprise_id TEXT NOT NULL DEFAULT '',
            team_id TEXT NOT NULL DEFAULT '',
            app_id TEXT,
            enterprise_name TEXT,
            team_name TEXT,
            bot_token TEXT NOT NULL,
            bot_id TEXT NOT NULL,
            bot_user_id TEXT NOT NULL,
            bot_scopes TEXT NOT NULL DEFAULT '',
            bot_refresh_token TEXT,
            bot_token_expires_at INTEGER,
            is_enterprise_install INTEGER NOT NULL DEFAULT 0,
            installer_user_id TEXT NOT NULL DEFAULT '',
            installed_at REAL NOT NULL,
            PRIMARY KEY (enterprise_id, team_id)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE TABLE slack_oauth_states (state TEXT PRIMARY KEY, expires_at REAL NOT NULL)")


def _key(enterprise_id: str | None, team_id: str | None, org_wide: bool | None) -> list[str]:
    """The primary key: an org-wide install is stored without a team, as Slack's own stores do."""
    return [enterprise_id or "", "" if org_wide else team_id or ""]


class SqliteInstallationStore(AsyncInstallationStore):
    """Bot tokens per workspace for Bolt's OAuth flow and for scheduled delivery."""

    def __init__(self, store: Store) -> None:
        """Use the project's store, creating the tables on first use."""
        self.store = store
        store.migrate(migrations)

    @property
    def logger(self) -> logging.Logger:
        """The logger Bolt expects every installation store to have."""
        return log

    # Bolt awaits these on the event loop; each SQLite call runs in a thread instead, so a
    # store held by another process never stalls the acks and the heartbeat beside them.

    async def async_save(self, installation: Installation) -> None:
        """Keep the bot part of a new installation; a reinstall replaces the old token."""
        await asyncio.to_thread(self._save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        """Insert or replace a workspace's bot (also after token rotation)."""
        await asyncio.to_thread(self._save_bot, bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The bot installed in a workspace or org, or None."""
        key = _key(enterprise_id, team_id, is_enterprise_install)
        return await asyncio.to_thread(self._find_bot, key)

    def _save(self, installation: Installation) -> None:
        """The bot and who installed it, in one transaction."""
        bot = installation.to_bot()
        with self.store.transaction() as tx:
            self._write_bot(tx, bot)
            tx.execute(
                "UPDATE slack_installations SET installer_user_id = ?"
                " WHERE enterprise_id = ? AND team_id = ?",
                [installation.user_id or "", *_key(bot.enterprise_id, bot.team_id,
                                                   bot.is_enterprise_install)],
            )  # fmt: skip

    def _save_bot(self, bot: Bot) -> None:
        """Insert or replace one bot row."""
        with self.store.transaction() as tx:
            self._write_bot(tx, bot)

    @staticmethod
    def _write_bot(tx: Transaction, bot: Bot) -> None:
        """The bot's row, replacing the workspace's previous one."""
        row = [
            *_key(bot.enterprise_id, bot.team_id, bot.is_enterprise_install),
            bot.app_id, bot.enterprise_name, bot.team_name, bot.bot_token, bot.bot_id,
            bot.bot_user_id, ",".join(bot.bot_scopes or ()), bot.bot_refresh_token,
            bot.bot_token_expires_at, int(bot.is_enterprise_install), "", bot.installed_at,
        ]  # fmt: skip
        marks = ", ".join("?" * len(_BOT_COLUMNS))
        tx.execute(
            f"INSERT OR REPLACE INTO slack_installations ({', '.join(_BOT_COLUMNS)})"
            f" VALUES ({marks})",
            row,
        )

    def _find_bot(self, key: list[str]) -> Bot | None:
        """The bot row under a key, as Bolt's Bot."""
        row = self.store.query_one(
            "SELECT * FROM slack_installations WHERE enterprise_id = ? AND team_id = ?", key
        )
        if row is None:
            return None
        values = {k: row[k] for k in _BOT_COLUMNS if k != "installer_user_id"}
        values["enterprise_id"] = values["enterprise_id"] or None
        values["team_id"] = values["team_id"] or None
        values["is_enterprise_install"] = bool(values["is_enterprise_install"])
        return Bot(**values)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The installation as Bolt sees it: this app stores bot tokens only."""
        bot = await self.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is None:
            return None
        values = bot.to_dict_for_copying()
        values.pop("custom_values", None)
        return Installation(**values, user_id=user_id or "")

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget a workspace's bot (tokens_revoked, app_uninstalled)."""
        await asyncio.to_thread(self._delete_bot, _key(enterprise_id, team_id, False))

    def _delete_bot(self, key: list[str]) -> None:
        """Delete the bot row under a key."""
        with self.store.transaction() as tx:
            tx.execute(
                "DELETE FROM slack_installations WHERE enterprise_id = ? AND team_id = ?", key
            )

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """User tokens are never stored, so only the bot can go."""
        if user_id is None:
            await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget everything about a workspace."""
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def token_for_team(self, team_id: str) -> str | None:
        """The bot token installed in a workspace, for scheduled delivery."""
        row = self.store.query_one(
            "SELECT bot_token FROM slack_installations WHERE team_id = ?", [team_id]
        )
        return str(row["bot_token"]) if row else None

    def teams(self) -> list[str]:
        """The workspaces (team ids) the app is installed in."""
        rows = self.store.query("SELECT team_id FROM slack_installations")
        return [r["team_id"] for r in rows]
