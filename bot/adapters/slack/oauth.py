"""OAuth for many workspaces: one-time states, Bolt's settings, and a token per channel."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.adapters.slack.installations import SqliteInstallationStore, log, migrations
from bot.adapters.slack.manifest import BOT_SCOPES, INSTALL_PATH, REDIRECT_PATH
from bot.channels import DeliveryError
from bot.config import Env
from bot.store import Store
from bot.subscriptions import Subscriptions

__all__ = ["SqliteStateStore", "WorkspaceTokens", "oauth_settings"]


def oauth_settings(
    env: Env, installations: SqliteInstallationStore, store: Store, logger: logging.Logger
) -> AsyncOAuthSettings:
    """Bolt's install flow at /slack/install, storing bot tokens and states in SQLite."""
    return AsyncOAuthSettings(
        client_id=env.slack_client_id,
        client_secret=env.slack_client_secret.get_secret_value()
        if env.slack_client_secret
        else None,
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=SqliteStateStore(store),
        logger=logger,
    )


class WorkspaceTokens:
    """The bot token to post into a channel with: its subscription says which workspace."""

    def __init__(
        self, subscriptions: Subscriptions, installations: SqliteInstallationStore
    ) -> None:
        """Look channels up in the subscriptions and tokens in the installations."""
        self.subscriptions = subscriptions
        self.installations = installations

    async def __call__(self, target: str) -> str:
        """The token for a Slack channel id, or a permanent DeliveryError saying what to do."""
        token = await asyncio.to_thread(self._lookup, target)
        if token is None:
            raise DeliveryError(
                f"slack:{target}: no Slack installation for this channel's workspace; install the"
                " app there, then run /digest subscribe in the channel",
                permanent=True,
            )
        return token

    def _lookup(self, target: str) -> str | None:
        """The channel's workspace's token from the store (in a thread: it reads SQLite)."""
        sub = self.subscriptions.get(f"slack:{target}")
        # Without a subscription naming the workspace, a lone installation is unambiguous.
        teams = [sub.workspace] if sub is not None and sub.workspace else self.installations.teams()
        return self.installations.token_for_team(teams[0]) if len(teams) == 1 else None


class SqliteStateStore(AsyncOAuthStateStore):
    """One-time OAuth state values, so a callback cannot be replayed or forged."""

    def __init__(self, store: Store, expiration_seconds: float = 600) -> None:
        """Use the project's store; a state is good for expiration_seconds."""
        self.store = store
        self.expiration_seconds = expiration_seconds
        store.migrate(migrations)

    @property
    def logger(self) -> logging.Logger:
        """The logger Bolt expects every state store to have."""
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A fresh random state, remembered until it expires (written off the event loop)."""
        return await asyncio.to_thread(self._issue)

    async def async_consume(self, state: str) -> bool:
        """True once for a state that was issued and has not expired."""
        return await asyncio.to_thread(self._consume, state)

    def _issue(self) -> str:
        """Insert a new state, pruning expired ones."""
        state = secrets.token_urlsafe(24)
        now = time.time()
        with self.store.transaction() as tx:
            tx.execute("DELETE FROM slack_oauth_states WHERE expires_at <= ?", [now])
            tx.execute(
                "INSERT INTO slack_oauth_states (state, expires_at) VALUES (?, ?)",
                [state, now + self.expiration_seconds],
            )
        return state

    def _consume(self, state: str) -> bool:
        """Delete a live state; whether there was one."""
        with self.store.transaction() as tx:
            consumed = tx.execute(
                "DELETE FROM slack_oauth_states WHERE state = ? AND expires_at > ?",
                [state, time.time()],
            )
        return consumed == 1
