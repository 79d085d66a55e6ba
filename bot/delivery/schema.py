"""The delivery tables, as this feature's own sqlite-utils migration set."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

__all__ = ["migrations"]

migrations = Migrations("hotpapers-delivery")


@migrations()
def m001_ledger(db: Database) -> None:
    """One row per (channel, digest day) and one per platform message of it."""
    db.execute(
        """
        CREATE TABLE deliveries (
            channel TEXT NOT NULL,
            day TEXT NOT NULL,
            state TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            trigger TEXT NOT NULL,
            scheduled_for TEXT,
            arxiv_ids TEXT NOT NULL DEFAULT '[]',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            next_attempt_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            finished_at TEXT,
            PRIMARY KEY (channel, day)
        )
        """
    )
    # The sweep looks for unfinished deliveries; finished ones are history.
    db.execute("CREATE INDEX deliveries_open ON deliveries(state) WHERE state = 'planned'")
    db.execute(
        """
        CREATE TABLE delivery_parts (
            channel TEXT NOT NULL,
            day TEXT NOT NULL,
            part INTEGER NOT NULL,
            key TEXT NOT NULL UNIQUE,
            message TEXT NOT NULL,
            state TEXT NOT NULL,
            message_id TEXT,
            sent_at TEXT,
            PRIMARY KEY (channel, day, part),
            FOREIGN KEY (channel, day) REFERENCES deliveries(channel, day) ON DELETE CASCADE
        )
        """
    )


@migrations()
def m002_leases(db: Database) -> None:
    """Named leases: the scheduler leader and each delivery being posted."""
    db.execute(
        """
        CREATE TABLE delivery_leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            acquired_at REAL NOT NULL,
            expires_at REAL NOT NULL
        )
        """
    )


@migrations()
def m003_published(db: Database) -> None:
    """The digest each delivery was planned with, and the one first posted each day.

    deliveries.digest holds the neutral JSON of a planned digest (bot/site/frozen.py) until the
    delivery finishes; the first part posted for a day copies it into published_digests, which
    the site reads: a day's page shows that digest, never re-ranked.
    """
    db.execute("ALTER TABLE deliveries ADD COLUMN digest TEXT")
    db.execute(
        """
        CREATE TABLE published_digests (
            day TEXT PRIMARY KEY,
            channel TEXT NOT NULL,
            published_at TEXT NOT NULL,
            arxiv_ids TEXT NOT NULL DEFAULT '[]',
            digest TEXT NOT NULL
        )
        """
    )
