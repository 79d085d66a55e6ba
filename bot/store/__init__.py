"""SQLite storage of papers, posts and signals, through sqlite-utils."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.models import Paper, PostEngagement, Signal, SignalEngagement, SocialPost
from bot.store.schema import core_migrations
from bot.timeutil import parse_time, to_iso

__all__ = ["Store"]

_PAPER_UPSERT = """
INSERT INTO papers (arxiv_id, version, title, authors, abstract, categories, primary_category,
                    published, updated, comment, announced, day, first_seen)
VALUES (:arxiv_id, :version, :title, :authors, :abstract, :categories, :primary_category,
        :published, :updated, :comment, :announced, :day, :first_seen)
ON CONFLICT (arxiv_id) DO UPDATE SET
    version = excluded.version, title = excluded.title, authors = excluded.authors,
    abstract = excluded.abstract, categories = excluded.categories,
    primary_category = excluded.primary_category,
    published = coalesce(excluded.published, papers.published),
    updated = coalesce(excluded.updated, papers.updated), comment = excluded.comment,
    -- The first announcement is the one that made the paper new; replacements keep it.
    announced = CASE WHEN papers.announced IS NULL OR excluded.announced < papers.announced
                     THEN coalesce(excluded.announced, papers.announced) ELSE papers.announced END,
    day = coalesce(CASE WHEN papers.announced IS NULL OR excluded.announced < papers.announced
                        THEN coalesce(excluded.announced, papers.announced)
                        ELSE papers.announced END,
                   substr(coalesce(excluded.published, papers.published), 1, 10))
WHERE excluded.version >= papers.version
"""

_POST_UPSERT = """
INSERT INTO posts (source, post_id, url, author, author_name, text, lang, created_at,
                   reposts, likes, replies, quotes, observed_at)
VALUES (:source, :post_id, :url, :author, :author_name, :text, :lang, :created_at,
        :reposts, :likes, :replies, :quotes, :observed_at)
ON CONFLICT (source, post_id) DO UPDATE SET
    url = excluded.url, author = excluded.author, author_name = excluded.author_name,
    text = excluded.text, lang = excluded.lang, created_at = excluded.created_at,
    reposts = excluded.reposts, likes = excluded.likes, replies = excluded.replies,
    quotes = excluded.quotes, observed_at = excluded.observed_at
WHERE excluded.observed_at >= posts.observed_at
"""

_OBSERVATION_UPSERT = """
INSERT OR REPLACE INTO post_observations (source, post_id, observed_at, reposts, likes, replies,
                                          quotes)
VALUES (:source, :post_id, :observed_at, :reposts, :likes, :replies, :quotes)
"""

_WINDOW = """
WITH cand AS (
    SELECT arxiv_id FROM papers
    WHERE (:since IS NULL OR day >= :since) AND (:until IS NULL OR day < :until)
)
"""

_POST_ENGAGEMENT = (
    _WINDOW
    + """
SELECT l.arxiv_id, p.*,
    (SELECT o.reposts + o.likes FROM post_observations o
     WHERE o.source = p.source AND o.post_id = p.post_id AND o.observed_at <= :cutoff
     ORDER BY o.observed_at DESC LIMIT 1) AS baseline
FROM cand
JOIN post_links l ON l.arxiv_id = cand.arxiv_id
JOIN posts p ON p.source = l.source AND p.post_id = l.post_id
"""
)

_SIGNAL_ENGAGEMENT = (
    _WINDOW
    + """
SELECT s.*,
    (SELECT b.value FROM signals b
     WHERE b.arxiv_id = s.arxiv_id AND b.source = s.source AND b.metric = s.metric
       AND b.observed_at <= :cutoff
     ORDER BY b.observed_at DESC LIMIT 1) AS baseline
FROM cand
JOIN signals s ON s.arxiv_id = cand.arxiv_id
WHERE s.observed_at = (SELECT max(m.observed_at) FROM signals m
                       WHERE m.arxiv_id = s.arxiv_id AND m.source = s.source
                         AND m.metric = s.metric)
"""
)


def _opt_time(value: str | None) -> datetime | None:
    """Parse optional stored time text."""
    return parse_time(value) if value else None


def paper_row(paper: Paper, seen_at: datetime) -> dict[str, Any]:
    """Flatten a paper into its table row."""
    announced = paper.announced.isoformat() if paper.announced else None
    published = to_iso(paper.published) if paper.published else None
    return {
        "arxiv_id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "authors": json.dumps(list(paper.authors), ensure_ascii=False),
        "abstract": paper.abstract,
        "categories": json.dumps(list(paper.categories)),
        "primary_category": paper.primary_category,
        "published": published,
        "updated": to_iso(paper.updated) if paper.updated else None,
        "comment": paper.comment,
        "announced": announced,
        "day": announced or (published[:10] if published else None),
        "first_seen": to_iso(seen_at),
    }


def row_paper(row: dict[str, Any]) -> Paper:
    """Rebuild a paper from its table row."""
    return Paper(
        arxiv_id=row["arxiv_id"],
        version=row["version"],
        title=row["title"],
        authors=tuple(json.loads(row["authors"])),
        abstract=row["abstract"],
        categories=tuple(json.loads(row["categories"])),
        published=_opt_time(row["published"]),
        updated=_opt_time(row["updated"]),
        comment=row["comment"],
        announced=date.fromisoformat(row["announced"]) if row["announced"] else None,
    )


def _post_row(post: SocialPost) -> dict[str, Any]:
    """Flatten a post observation into its row."""
    return {
        "source": post.source,
        "post_id": post.post_id,
        "url": post.url,
        "author": post.author,
        "author_name": post.author_name,
        "text": post.text,
        "lang": post.lang,
        "created_at": to_iso(post.created_at) if post.created_at else None,
        "reposts": post.reposts,
        "likes": post.likes,
        "replies": post.replies,
        "quotes": post.quotes,
        "observed_at": to_iso(post.observed_at),
    }


def _row_post(row: dict[str, Any], arxiv_ids: tuple[str, ...]) -> SocialPost:
    """Rebuild a post from a posts row."""
    return SocialPost(
        source=row["source"],
        post_id=row["post_id"],
        url=row["url"],
        arxiv_ids=arxiv_ids,
        observed_at=parse_time(row["observed_at"]),
        author=row["author"],
        author_name=row["author_name"],
        text=row["text"],
        lang=row["lang"],
        created_at=_opt_time(row["created_at"]),
        reposts=row["reposts"],
        likes=row["likes"],
        replies=row["replies"],
        quotes=row["quotes"],
    )


def _row_signal(row: dict[str, Any]) -> Signal:
    """Rebuild a signal from a signals row."""
    return Signal(
        source=row["source"],
        arxiv_id=row["arxiv_id"],
        metric=row["metric"],
        value=row["value"],
        observed_at=parse_time(row["observed_at"]),
        url=row["url"],
    )


class Store:
    """The SQLite store: idempotent upserts keyed on version-less arXiv ids, WAL, FTS5."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        """Open (creating if needed) the database at path and apply the core migrations."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One connection shared with worker threads, serialised by the lock below.
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self.db = Database(conn)
        self.path = str(path)
        self.lock = threading.RLock()
        if self.path != ":memory:":
            self.db.enable_wal()
        self.db.execute("PRAGMA foreign_keys = ON")
        self._writes = 0
        self.migrate(core_migrations)

    def migrate(self, migrations: Migrations) -> None:
        """Apply a set of migrations (each feature package owns one)."""
        with self.lock:
            migrations.apply(self.db)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def data_version(self) -> tuple[int, int]:
        """A value that changes whenever any connection, this one included, commits a write."""
        with self.lock:
            other = self.db.execute("PRAGMA data_version").fetchone()[0]
            return (int(other), self._writes)

    # -- writing ---------------------------------------------------------------------------

    def ingest(
        self,
        papers: Iterable[Paper] = (),
        posts: Iterable[SocialPost] = (),
        signals: Iterable[Signal] = (),
        *,
        seen_at: datetime,
    ) -> None:
        """Store papers, post observations and signals in one transaction (all or nothing)."""
        post_list = list(posts)
        with self.lock, self.db.atomic():
            conn = self.db.conn
            conn.executemany(_PAPER_UPSERT, [paper_row(p, seen_at) for p in papers])
            rows = [_post_row(p) for p in post_list]
            conn.executemany(_POST_UPSERT, rows)
            conn.executemany(_OBSERVATION_UPSERT, rows)
            conn.executemany(
                "INSERT OR IGNORE INTO post_links (arxiv_id, source, post_id) VALUES (?, ?, ?)",
                [(a, p.source, p.post_id) for p in post_list for a in p.arxiv_ids],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO signals (arxiv_id, source, metric, observed_at, value, url)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (s.arxiv_id, s.source, s.metric, to_iso(s.observed_at), s.value, s.url)
                    for s in signals
                ],
            )
            self._writes += 1

    def mark_shown(self, channel: str, arxiv_ids: Iterable[str], at: datetime) -> None:
        """Record that these papers were shown in channel at a time."""
        with self.lock, self.db.atomic():
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO shown (channel, arxiv_id, shown_at) VALUES (?, ?, ?)",
                [(channel, a, to_iso(at)) for a in arxiv_ids],
            )
            self._writes += 1

    # -- reading ---------------------------------------------------------------------------

    def _query(
        self, sql: str, params: dict[str, Any] | tuple[Any, ...] = ()
    ) -> list[dict[str, Any]]:
        """Run a read query and return its rows as dicts."""
        with self.lock:
            return list(self.db.query(sql, params))

    def shown_since(self, channel: str, since: datetime) -> frozenset[str]:
        """The papers shown in channel at or after since."""
        rows = self._query(
            "SELECT arxiv_id FROM shown WHERE channel = ? AND shown_at >= ?",
            (channel, to_iso(since)),
        )
        return frozenset(r["arxiv_id"] for r in rows)

    def get_paper(self, arxiv_id: str) -> Paper | None:
        """One paper by version-less id, or None."""
        rows = self._query("SELECT * FROM papers WHERE arxiv_id = ?", (arxiv_id,))
        return row_paper(rows[0]) if rows else None

    def papers(self, since: date | None = None, until: date | None = None) -> dict[str, Paper]:
        """The papers whose announcement day lies in [since, until); all of them with no bounds."""
        rows = self._query(
            "SELECT * FROM papers WHERE (:since IS NULL OR day >= :since)"
            " AND (:until IS NULL OR day < :until)",
            _window(since, until),
        )
        return {r["arxiv_id"]: row_paper(r) for r in rows}

    def search(self, query: str, limit: int = 10) -> list[Paper]:
        """Full-text search over titles and abstracts, best match first."""
        with self.lock:
            rows = list(self.db.table("papers").search(query, limit=limit, quote=True))
        return [row_paper(r) for r in rows]

    def post_engagement(
        self, since: date | None, until: date | None, cutoff: datetime
    ) -> list[PostEngagement]:
        """Latest observation of every post linking a paper in the window, with its baseline."""
        params = {**_window(since, until), "cutoff": to_iso(cutoff)}
        rows = self._query(_POST_ENGAGEMENT, params)
        links: dict[tuple[str, str], list[str]] = {}
        for row in rows:
            links.setdefault((row["source"], row["post_id"]), []).append(row["arxiv_id"])
        return [
            PostEngagement(
                arxiv_id=row["arxiv_id"],
                post=_row_post(row, tuple(links[(row["source"], row["post_id"])])),
                baseline=row["baseline"],
            )
            for row in rows
        ]

    def signal_engagement(
        self, since: date | None, until: date | None, cutoff: datetime
    ) -> list[SignalEngagement]:
        """Latest value of every signal of a paper in the window, with its baseline."""
        params = {**_window(since, until), "cutoff": to_iso(cutoff)}
        return [
            SignalEngagement(signal=_row_signal(r), baseline=r["baseline"])
            for r in self._query(_SIGNAL_ENGAGEMENT, params)
        ]

    def latest_observation(self) -> datetime | None:
        """The newest observation time of any post or signal."""
        rows = self._query(
            "SELECT max(t) AS t FROM (SELECT max(observed_at) AS t FROM posts"
            " UNION ALL SELECT max(observed_at) FROM signals)"
        )
        return _opt_time(rows[0]["t"]) if rows else None

    def counts(self) -> dict[str, int]:
        """Row counts of the core tables."""
        tables = ("papers", "posts", "post_observations", "signals")
        return {t: self.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}

    # -- snapshots -------------------------------------------------------------------------

    def iter_papers(self) -> Iterator[Paper]:
        """Every paper, by id."""
        for row in self._query("SELECT * FROM papers ORDER BY arxiv_id"):
            yield row_paper(row)

    def iter_post_observations(self) -> Iterator[SocialPost]:
        """Every observation of every post, oldest first, with the post's current details."""
        links: dict[tuple[str, str], list[str]] = {}
        for row in self._query("SELECT * FROM post_links ORDER BY source, post_id, arxiv_id"):
            links.setdefault((row["source"], row["post_id"]), []).append(row["arxiv_id"])
        sql = (
            "SELECT p.*, o.observed_at AS obs_at, o.reposts AS obs_reposts, o.likes AS obs_likes,"
            " o.replies AS obs_replies, o.quotes AS obs_quotes FROM post_observations o"
            " JOIN posts p USING (source, post_id) ORDER BY o.observed_at, o.source, o.post_id"
        )
        for row in self._query(sql):
            row.update(
                observed_at=row["obs_at"],
                reposts=row["obs_reposts"],
                likes=row["obs_likes"],
                replies=row["obs_replies"],
                quotes=row["obs_quotes"],
            )
            yield _row_post(row, tuple(links.get((row["source"], row["post_id"]), ())))

    def iter_signals(self) -> Iterator[Signal]:
        """Every signal observation, oldest first."""
        for row in self._query("SELECT * FROM signals ORDER BY observed_at, arxiv_id, source"):
            yield _row_signal(row)


def _window(since: date | None, until: date | None) -> dict[str, str | None]:
    """SQL parameters for an announcement window."""
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }
