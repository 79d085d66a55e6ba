"""The core schema as sqlite-utils migrations; feature packages keep migration sets of their own."""

from __future__ import annotations

from bot.store.migrations import Database, Migrations

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


@core_migrations()
def m006_paper_totals(db: Database) -> None:
    """Per paper and source running totals kept at ingest, and indexes the hot queries read.

    Ranking and breakdowns read these instead of summing every post of a paper, so their cost
    follows the papers shown or ranked, not how famous those papers are (queries.py keeps them).
    """
    db.execute(
        """
        CREATE TABLE paper_sources (
            arxiv_id TEXT NOT NULL,
            source TEXT NOT NULL,
            posts INTEGER NOT NULL DEFAULT 0,
            reposts INTEGER NOT NULL DEFAULT 0,
            likes INTEGER NOT NULL DEFAULT 0,
            observed INTEGER NOT NULL DEFAULT 0, -- newest observation of any post (Unix s)
            PRIMARY KEY (arxiv_id, source)
        ) WITHOUT ROWID
        """
    )
    # Growth is summed per fetch: posts whose latest observation came at `observed` and have a
    # baseline gained `gain` in total. Ranking reads the last growth window's rows only.
    db.execute(
        """
        CREATE TABLE paper_gains (
            arxiv_id TEXT NOT NULL,
            source TEXT NOT NULL,
            observed INTEGER NOT NULL,
            posts INTEGER NOT NULL,
            gain INTEGER NOT NULL,
            PRIMARY KEY (arxiv_id, source, observed)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX paper_gains_empty ON paper_gains(posts) WHERE posts = 0")
    # A paper's best posts, best first, read LIMIT rows deep however many posts it has.
    db.execute(
        "CREATE INDEX post_links_top ON post_links(arxiv_id, reposts + likes DESC, source, post_id)"
    )
    # Posts without a growth baseline count fully when written since the cutoff.
    db.execute(
        "CREATE INDEX post_links_fresh ON post_links(arxiv_id, source, created) WHERE gain IS NULL"
    )
    # Births of a window's papers without reading their rows (abstracts and all).
    db.execute("CREATE INDEX papers_born ON papers(day, arxiv_id, announced, published)")
    db.execute("DROP INDEX papers_day")
    # The newest observation, for freshness checks, without scanning every post.
    db.execute("CREATE INDEX posts_observed ON posts(observed_at)")
    db.execute("CREATE INDEX signals_observed ON signals(observed_at)")
    db.execute(
        """
        INSERT INTO paper_sources (arxiv_id, source, posts, reposts, likes, observed)
        SELECT arxiv_id, source, count(*), sum(reposts), sum(likes), max(observed)
        FROM post_links WHERE observed > 0 GROUP BY arxiv_id, source
        """
    )
    db.execute(
        """
        INSERT INTO paper_gains (arxiv_id, source, observed, posts, gain)
        SELECT arxiv_id, source, observed, count(*), sum(gain)
        FROM post_links WHERE observed > 0 AND gain IS NOT NULL
        GROUP BY arxiv_id, source, observed
        """
    )


@core_migrations()
def m007_paper_fresh(db: Database) -> None:
    """Per paper, source and hour: the counts of posts without a growth baseline yet.

    Growth counts such posts in full when written since the cutoff; summed by the hour they
    were written, today's most talked-about paper costs ranking 24 rows, not all its posts.
    """
    db.execute(
        """
        CREATE TABLE paper_fresh (
            arxiv_id TEXT NOT NULL,
            source TEXT NOT NULL,
            hour INTEGER NOT NULL, -- created (Unix s) / 3600
            posts INTEGER NOT NULL,
            score INTEGER NOT NULL, -- reposts + likes
            PRIMARY KEY (arxiv_id, source, hour)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX paper_fresh_empty ON paper_fresh(posts) WHERE posts = 0")
    # A post is never written after it was seen: ingest now clamps, older rows are clamped here.
    db.execute("UPDATE post_links SET created = observed WHERE created > observed")
    db.execute(
        """
        INSERT INTO paper_fresh (arxiv_id, source, hour, posts, score)
        SELECT arxiv_id, source, created / 3600, count(*), sum(reposts + likes)
        FROM post_links WHERE observed > 0 AND gain IS NULL AND created IS NOT NULL
        GROUP BY arxiv_id, source, created / 3600
        """
    )


@core_migrations()
def m008_store_meta(db: Database) -> None:
    """Counters other processes read: the ingest generation, bumped by every ingest.

    Rankings depend on ingested posts and signals only; this is what their caches are keyed on
    (SQLite's data_version also moves with every lease renewal, ledger row and reaction).
    """
    db.execute("CREATE TABLE store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    db.execute("INSERT INTO store_meta (key, value) VALUES ('ingest_generation', 0)")


@core_migrations()
def m009_paper_pending(db: Database) -> None:
    """Linked ids the store has no paper for, kept at ingest: the arXiv lookup's candidates.

    Finding them by grouping every post link on each fetch grew with the store (6 s at 100k
    papers); ingest adds a link's id when no paper has it and a paper's arrival removes it.
    """
    db.execute(
        "CREATE TABLE paper_pending (arxiv_id TEXT PRIMARY KEY, seen TEXT NOT NULL) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX paper_pending_seen ON paper_pending (seen DESC, arxiv_id)")
    db.execute(
        """
        INSERT INTO paper_pending (arxiv_id, seen)
        SELECT arxiv_id, max(seen) FROM (
            SELECT l.arxiv_id AS arxiv_id, p.observed_at AS seen
            FROM post_links l JOIN posts p ON p.source = l.source AND p.post_id = l.post_id
            UNION ALL
            SELECT arxiv_id, observed_at FROM signals
        )
        WHERE arxiv_id NOT IN (SELECT arxiv_id FROM papers)
        GROUP BY arxiv_id
        """
    )
