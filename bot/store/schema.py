"""The core schema as sqlite-utils migrations; feature packages keep migration sets of their own."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

__all__ = ["core_migrations"]

core_migrations = Migrations("hotpapers-core")


@core_migrations()
def m001_papers(db: Database) -> None:
    """Papers keyed on the version-less arXiv id, with full-text search on title and abstract."""
    db.execute(
        """
        CREATE TABLE papers (
            arxiv_id TEXT PRIMARY KEY,
            version INTEGER NOT NULL DEFAULT 1,
            title TEXT NOT NULL,
            authors TEXT NOT NULL DEFAULT '[]',
            abstract TEXT NOT NULL DEFAULT '',
            categories TEXT NOT NULL DEFAULT '[]',
            primary_category TEXT NOT NULL DEFAULT '',
            published TEXT,
            updated TEXT,
            comment TEXT NOT NULL DEFAULT '',
            announced TEXT,
            day TEXT,
            first_seen TEXT NOT NULL
        )
        """
    )
    # The announcement window filters on `day` (the listing day, else the first-version day).
    db.execute("CREATE INDEX papers_day ON papers(day)")
    db.table("papers").enable_fts(["title", "abstract"], fts_version="FTS5", create_triggers=True)


@core_migrations()
def m002_posts(db: Database) -> None:
    """Social posts, their observation history and the papers they link."""
    db.execute(
        """
        CREATE TABLE posts (
            source TEXT NOT NULL,
            post_id TEXT NOT NULL,
            url TEXT NOT NULL,
            author TEXT NOT NULL DEFAULT '',
            author_name TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            lang TEXT NOT NULL DEFAULT 'en',
            created_at TEXT,
            reposts INTEGER NOT NULL DEFAULT 0,
            likes INTEGER NOT NULL DEFAULT 0,
            replies INTEGER,
            quotes INTEGER,
            observed_at TEXT NOT NULL,
            -- reposts + likes at the newest observation one growth window before observed_at,
            -- kept at ingest so ranking needs no per-post history lookups.
            base_score INTEGER,
            PRIMARY KEY (source, post_id)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE post_observations (
            source TEXT NOT NULL,
            post_id TEXT NOT NULL,
            observed_at TEXT NOT NULL,
            reposts INTEGER NOT NULL,
            likes INTEGER NOT NULL,
            replies INTEGER,
            quotes INTEGER,
            PRIMARY KEY (source, post_id, observed_at)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TABLE post_links (
            arxiv_id TEXT NOT NULL,
            source TEXT NOT NULL,
            post_id TEXT NOT NULL,
            -- A copy of the post's latest counts, so ranking a window is one range scan of
            -- this table by paper, with no lookup of each post. Times are Unix seconds and
            -- gain (reposts + likes above the growth baseline) is precomputed: ranking sums
            -- hundreds of thousands of these rows.
            reposts INTEGER NOT NULL DEFAULT 0,
            likes INTEGER NOT NULL DEFAULT 0,
            gain INTEGER,
            observed INTEGER NOT NULL DEFAULT 0,
            created INTEGER,
            PRIMARY KEY (arxiv_id, source, post_id)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX post_links_post ON post_links(source, post_id)")


@core_migrations()
def m003_signals(db: Database) -> None:
    """Paper-level signals (Hugging Face upvotes, GitHub stars...) as a time series."""
    db.execute(
        """
        CREATE TABLE signals (
            arxiv_id TEXT NOT NULL,
            source TEXT NOT NULL,
            metric TEXT NOT NULL,
            observed_at TEXT NOT NULL,
            value REAL NOT NULL,
            url TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (arxiv_id, source, metric, observed_at)
        ) WITHOUT ROWID
        """
    )
    # The newest value of each signal, with its growth baseline, maintained at ingest.
    db.execute(
        """
        CREATE TABLE signals_latest (
            arxiv_id TEXT NOT NULL,
            source TEXT NOT NULL,
            metric TEXT NOT NULL,
            observed_at TEXT NOT NULL,
            value REAL NOT NULL,
            url TEXT NOT NULL DEFAULT '',
            base_value REAL,
            PRIMARY KEY (arxiv_id, source, metric)
        ) WITHOUT ROWID
        """
    )


@core_migrations()
def m004_shown(db: Database) -> None:
    """Which papers each channel has been shown, so digests do not repeat them."""
    db.execute(
        """
        CREATE TABLE shown (
            channel TEXT NOT NULL,
            arxiv_id TEXT NOT NULL,
            shown_at TEXT NOT NULL,
            PRIMARY KEY (channel, arxiv_id)
        ) WITHOUT ROWID
        """
    )


@core_migrations()
def m005_post_entities(db: Database) -> None:
    """X posts keep their entities (links, mentions, hashtags) as X API v2 JSON, '' for none."""
    db.execute("ALTER TABLE posts ADD COLUMN entities TEXT NOT NULL DEFAULT ''")
