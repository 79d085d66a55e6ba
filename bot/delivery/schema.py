"""The delivery tables, as this feature's own sqlite-utils migration set."""

from __future__ import annotations

from bot.store.migrations import Database, Migrations

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
    """The site's page of the day each delivery would publish, and the one published each day.

    deliveries.digest holds that page (bot/site/publish.py) as neutral JSON until the delivery
    finishes; the first part posted for a day copies it into published_digests, which the site
    reads: a day's page shows that digest, never re-ranked.
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


def _columns(db: Database, table: str) -> list[tuple[str, str]]:
    """A table's columns and their declared types, in order."""
    return [(row[1], row[2]) for row in db.execute(f"PRAGMA table_info({table})").fetchall()]


@migrations()
def m004_delivery_kinds(db: Database) -> None:
    """Daily and weekly digests side by side: the ledger is keyed on (channel, kind, day).

    SQLite cannot change a primary key, so both tables are rebuilt: renamed aside (the parts'
    foreign key follows the rename), created anew with `kind`, every row copied as 'daily'
    (columns other migrations added come along), and the old tables dropped, parts first.
    """
    db.execute("ALTER TABLE deliveries RENAME TO deliveries_old")
    db.execute("ALTER TABLE delivery_parts RENAME TO delivery_parts_old")
    db.execute("DROP INDEX IF EXISTS deliveries_open")
    db.execute(
        """
        CREATE TABLE deliveries (
            channel TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'daily',  -- 'daily' or 'weekly'
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
            PRIMARY KEY (channel, kind, day)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE delivery_parts (
            channel TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'daily',
            day TEXT NOT NULL,
            part INTEGER NOT NULL,
            key TEXT NOT NULL UNIQUE,
            message TEXT NOT NULL,
            state TEXT NOT NULL,
            message_id TEXT,
            sent_at TEXT,
            PRIMARY KEY (channel, kind, day, part),
            FOREIGN KEY (channel, kind, day) REFERENCES deliveries(channel, kind, day)
                ON DELETE CASCADE
        )
        """
    )
    db.execute("CREATE INDEX deliveries_open ON deliveries(state) WHERE state = 'planned'")
    for table in ("deliveries", "delivery_parts"):
        new = {name for name, _ in _columns(db, table)}
        for name, declared in _columns(db, f"{table}_old"):
            if name not in new:  # e.g. deliveries.digest (m003): carried over as it was
                db.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {declared}')
        names = ", ".join(f'"{name}"' for name, _ in _columns(db, f"{table}_old"))
        db.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {table}_old")
    db.execute("DROP TABLE delivery_parts_old")
    db.execute("DROP TABLE deliveries_old")


# A weekly row's week: the Monday of its day (strftime %w counts from Sunday = 0).
_MONDAY = "date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days')"


@migrations()
def m005_weekly_by_week(db: Database) -> None:
    """Weekly digests are filed by ISO week: each weekly row's day becomes its week's Monday.

    A week that already holds two weekly rows (the weekly day was changed mid-week) keeps one:
    a posted one before an unfinished, failed or skipped one, then the earlier. Part keys stay
    as they were, since a part being sent may already be out under its key; they are unique
    still, as each names a day of its own week. Parts follow their rows, checked at commit.
    """
    db.execute("PRAGMA defer_foreign_keys = ON")
    db.execute(
        f"""
        DELETE FROM deliveries WHERE rowid IN (
            SELECT rowid FROM (
                SELECT rowid, row_number() OVER (
                    PARTITION BY channel, {_MONDAY}
                    ORDER BY CASE state WHEN 'sent' THEN 0 WHEN 'planned' THEN 1
                                        WHEN 'failed' THEN 2 ELSE 3 END, day
                ) AS rank
                FROM deliveries WHERE kind = 'weekly'
            ) WHERE rank > 1
        )
        """
    )
    db.execute(  # the parts of rows dropped (should foreign keys be off, nothing cascaded)
        "DELETE FROM delivery_parts WHERE kind = 'weekly' AND NOT EXISTS (SELECT 1 FROM"
        " deliveries d WHERE d.channel = delivery_parts.channel AND d.kind = 'weekly'"
        " AND d.day = delivery_parts.day)"
    )
    db.execute(f"UPDATE deliveries SET day = {_MONDAY} WHERE kind = 'weekly'")
    db.execute(f"UPDATE delivery_parts SET day = {_MONDAY} WHERE kind = 'weekly'")
