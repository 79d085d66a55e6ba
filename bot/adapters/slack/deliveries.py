"""One-time claims on Slack deliveries, so a replayed or retried request runs nothing twice.

Kept in SQLite rather than memory: a request captured before a restart is still inside Slack's
five-minute window after it, and a standby runner sharing the database serves the same URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from bot.store import Store
from bot.store.migrations import Database, Migrations

__all__ = ["KEEP_SECONDS", "Deliveries", "migrations", "unique_key"]

# Slack retries an event 3 times within about 5 minutes, and a signature is good for 5 minutes
# either side of its timestamp: an hour covers both with room to spare.
KEEP_SECONDS = 3600.0
migrations = Migrations("hotpapers-slack-deliveries")


@migrations()
def m001_deliveries(db: Database) -> None:
    """Delivery keys (event id, trigger id or signature) until they can no longer come back."""
    db.execute(
        "CREATE TABLE slack_deliveries (key TEXT PRIMARY KEY, expires_at REAL NOT NULL)"
        " WITHOUT ROWID"
    )
    db.execute("CREATE INDEX slack_deliveries_expiry ON slack_deliveries (expires_at)")


def unique_key(body: Mapping[str, Any]) -> str | None:
    """What names a delivery across Slack's retries: an event's id or an action's trigger."""
    for field in ("event_id", "trigger_id"):
        value = body.get(field)
        if isinstance(value, str) and value:
            return f"{field}:{value}"
    return None  # nothing to recognise a retry by (an options request): it runs each time


class Deliveries:
    """Claims in the store; expired claims are pruned as new ones are made, so the table stays
    as small as an hour of genuine (signed) traffic."""

    def __init__(
        self, store: Store, keep: float = KEEP_SECONDS, clock: Callable[[], float] = time.time
    ) -> None:
        """Use the project's store; a claim lasts keep seconds of clock."""
        self.store = store
        self.keep = keep
        self.clock = clock
        store.migrate(migrations)

    def claim(self, key: str) -> bool:
        """True the first time a key is claimed (within keep seconds), False after."""
        now = self.clock()
        with self.store.transaction() as tx:
            tx.execute("DELETE FROM slack_deliveries WHERE expires_at <= ?", [now])
            claimed = tx.execute(
                "INSERT OR IGNORE INTO slack_deliveries (key, expires_at) VALUES (?, ?)",
                [key, now + self.keep],
            )
        return claimed == 1

    def release(self, key: str) -> None:
        """Give a claim back (the delivery failed on our side, so Slack's retry should run)."""
        with self.store.transaction() as tx:
            tx.execute("DELETE FROM slack_deliveries WHERE key = ?", [key])

    def count(self) -> int:
        """How many claims are kept (for tests and benchmarks)."""
        row = self.store.query_one("SELECT count(*) AS n FROM slack_deliveries")
        return int(row["n"]) if row else 0
