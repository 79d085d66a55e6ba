"""Deliberate slash command sync: on request, or when the command tree changed since the last."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime

import discord
from discord import app_commands

from bot.store import Store
from bot.store.migrations import Database, Migrations
from bot.timeutil import to_iso

__all__ = ["CommandSync", "tree_hash"]

log = logging.getLogger(__name__)
migrations = Migrations("hotpapers-discord")


@migrations()
def m001_command_sync(db: Database) -> None:
    """The hash of the command tree last synced, per application."""
    db.execute(
        """
        CREATE TABLE discord_command_sync (
            application_id TEXT PRIMARY KEY,
            tree_hash TEXT NOT NULL,
            synced_at TEXT NOT NULL
        )
        """
    )


def tree_hash(tree: app_commands.CommandTree[discord.Client]) -> str:
    """A hash of the global commands exactly as a sync would upload them."""
    payload = [command.to_dict(tree) for command in tree.get_commands()]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class CommandSync:
    """Syncs global commands only when asked or when they changed: syncs are rate limited."""

    def __init__(self, store: Store) -> None:
        """Use the store, creating the table on first use."""
        self.store = store
        store.migrate(migrations)

    def last_hash(self, application_id: int) -> str | None:
        """The hash recorded by the last sync for this application, if any."""
        row = self.store.query_one(
            "SELECT tree_hash FROM discord_command_sync WHERE application_id = ?",
            [str(application_id)],
        )
        return str(row["tree_hash"]) if row else None

    def _record(self, application_id: int, digest: str, now: datetime) -> None:
        """Remember what was synced."""
        with self.store.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO discord_command_sync (application_id, tree_hash, synced_at)"
                " VALUES (?, ?, ?)",
                [str(application_id), digest, to_iso(now)],
            )

    async def sync(
        self, tree: app_commands.CommandTree[discord.Client], now: datetime, *, force: bool = False
    ) -> bool:
        """Upload the commands if forced or changed; True when a sync happened. Needs a login."""
        application_id = tree.client.application_id
        if application_id is None:
            raise RuntimeError("log in before syncing commands: the application id is unknown")
        digest = tree_hash(tree)
        if not force and self.last_hash(application_id) == digest:
            log.info("Discord slash commands unchanged; not syncing")
            return False
        synced = await tree.sync()
        self._record(application_id, digest, now)
        log.info(
            "Synced %d Discord slash commands: %s", len(synced), ", ".join(c.name for c in synced)
        )
        return True
