"""SQLite storage of papers, posts and signals, through sqlite-utils."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.models import Paper, Signal, SocialPost, Tally
from bot.store import queries as q
from bot.store.rows import birth, paper_row, post_row, row_paper, row_post, row_signal
from bot.store.schema import core_migrations
from bot.timeutil import opt_time, parse_time, to_iso

__all__ = ["Store"]

log = logging.getLogger(__name__)


class Store:
    """The SQLite store: idempotent upserts keyed on version-less arXiv ids, WAL, FTS5."""

    def __init__(
        self, path: str | Path = ":memory:", *, growth_window: timedelta = timedelta(hours=24)
    ) -> None:
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
        # Ranking scans a week of post links: a 64 MiB page cache keeps that in memory.
        self.db.execute("PRAGMA cache_size = -65536")
        self._writes = 0
        # Growth baselines are kept at ingest, one window before each newest observation.
        self._offset = f"-{int(growth_window.total_seconds())} seconds"
        self.migrate(core_migrations)

    def migrate(self, migrations: Migrations) -> None:
        """Apply a set of migrations (each feature package owns one), once across processes.

        sqlite-utils decides what is pending before each migration's own transaction, so two
        processes starting together could both create a table; holding the write lock around
        the whole set makes the second one see the first one's work.
        """
        with self.lock:
            if migrations.pending(self.db):
                with self.write():
                    migrations.apply(self.db)

    @contextmanager
    def write(self, within: sqlite3.Connection | None = None) -> Iterator[sqlite3.Connection]:
        """A transaction holding SQLite's write lock from the start, committed on exit.

        BEGIN IMMEDIATE, not BEGIN: a deferred transaction that reads, then writes, fails at once
        with "database is locked" when another process wrote in between, instead of waiting.
        Pass `within` (the connection of an enclosing write) to join that transaction instead.
        """
        if within is not None:
            yield within
            return
        with self.lock:
            conn = self.db.conn
            if conn.in_transaction:
                # Python's sqlite3 opens a transaction before any write and keeps it open until
                # someone commits; joining it would let a crash undo what we say is recorded.
                log.warning("committing a transaction other code left open")
                conn.commit()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
            self._writes += 1

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
        post_list, signal_list = list(posts), list(signals)
        with self.lock, self.db.atomic():
            conn = self.db.conn
            conn.executemany(q.PAPER_UPSERT, [paper_row(p, seen_at) for p in papers])
            rows = [post_row(p) for p in post_list]
            conn.executemany(q.POST_UPSERT, rows)
            conn.executemany(q.OBSERVATION_UPSERT, rows)
            conn.executemany(
                q.LINK_INSERT, [(a, p.source, p.post_id) for p in post_list for a in p.arxiv_ids]
            )
            keys = [{"source": s, "post_id": i} for s, i in _keys(post_list)]
            conn.executemany(q.POST_BASE_UPDATE, [{**k, "offset": self._offset} for k in keys])
            conn.executemany(q.LINK_COUNTS_UPDATE, keys)
            signal_rows = [
                (s.arxiv_id, s.source, s.metric, to_iso(s.observed_at), s.value, s.url)
                for s in signal_list
            ]
            conn.executemany(q.SIGNAL_INSERT, signal_rows)
            conn.executemany(q.SIGNAL_LATEST_UPSERT, signal_rows)
            conn.executemany(
                q.SIGNAL_BASE_UPDATE,
                [
                    {"offset": self._offset, "arxiv_id": a, "source": s, "metric": m}
                    for a, s, m in {(s.arxiv_id, s.source, s.metric) for s in signal_list}
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

    def papers_by_id(self, arxiv_ids: Iterable[str]) -> dict[str, Paper]:
        """The stored papers among these ids."""
        rows = self._query(q.PAPERS_BY_ID, {"ids": json.dumps(sorted(set(arxiv_ids)))})
        return {r["arxiv_id"]: row_paper(r) for r in rows}

    def search(self, query: str, limit: int = 10) -> list[Paper]:
        """Full-text search over titles and abstracts, best match first."""
        with self.lock:
            rows = list(self.db.table("papers").search(query, limit=limit, quote=True))
        return [row_paper(r) for r in rows]

    def births(self, since: date | None, until: date | None) -> dict[str, datetime | None]:
        """When each paper in the window was born: its announcement day, else its first version."""
        sql = "SELECT arxiv_id, announced, published FROM papers"
        if since is not None or until is not None:
            sql += " WHERE day >= :since AND day < :until"
        with self.lock:
            rows = self.db.conn.execute(sql, q.window(since, until)).fetchall()
        return {a: birth(announced, published) for a, announced, published in rows}

    def births_of(self, arxiv_ids: Iterable[str]) -> dict[str, datetime | None]:
        """When each of these papers was born (see births)."""
        params = {"ids": json.dumps(sorted(set(arxiv_ids)))}
        with self.lock:
            rows = self.db.conn.execute(
                "SELECT arxiv_id, announced, published FROM papers"
                " WHERE arxiv_id IN (SELECT value FROM json_each(:ids))",
                params,
            ).fetchall()
        return {a: birth(announced, published) for a, announced, published in rows}

    def post_tallies(
        self,
        since: date | None,
        until: date | None,
        cutoff: datetime,
        ids: Iterable[str] | None = None,
    ) -> list[Tally]:
        """Per paper and source in the window (or of the given papers): counts and growth."""
        params = q.params(since, until, cutoff, ids)
        with self.lock:
            rows = self.db.conn.execute(q.for_candidates(q.POST_TALLIES, params), params).fetchall()
        return [
            Tally(
                arxiv_id,
                source,
                float(reposts + likes),
                float(growth),
                reposts,
                likes,
                posts,
                "",
                datetime.fromtimestamp(as_of, UTC),
            )
            for arxiv_id, source, posts, reposts, likes, as_of, growth in rows
        ]

    def signal_tallies(
        self,
        since: date | None,
        until: date | None,
        cutoff: datetime,
        metrics: Sequence[str],
        ids: Iterable[str] | None = None,
    ) -> list[Tally]:
        """The newest value of each listed signal metric in the window (or of the given papers)."""
        params = {**q.params(since, until, cutoff, ids), "metrics": json.dumps(list(metrics))}
        with self.lock:
            rows = self.db.conn.execute(
                q.for_candidates(q.SIGNAL_TALLIES, params), params
            ).fetchall()
        return [
            Tally(arxiv_id, source, value, growth, metric=metric, as_of=parse_time(as_of))
            for arxiv_id, source, metric, value, as_of, growth in rows
        ]

    def hot_totals(
        self,
        since: date | None,
        until: date | None,
        cutoff: datetime,
        *,
        weights: Mapping[str, float],
        growth_weight: float,
        metrics: Sequence[str],
    ) -> dict[str, float]:
        """Per paper in the window: the sum over sources of weight x (level + g x growth)."""
        params: dict[str, Any] = {
            **q.params(since, until, cutoff, None),
            "growth_weight": growth_weight,
            "metrics": json.dumps(list(metrics)),
        }
        cases = []
        for i, (source, weight) in enumerate(sorted(weights.items())):
            params[f"s{i}"], params[f"w{i}"] = source, weight
            cases.append(f"WHEN :s{i} THEN :w{i}")
        totals: dict[str, float] = {}
        for sql, table in ((q.HOT_POST_TOTALS, "l"), (q.HOT_SIGNAL_TOTALS, "s")):
            weigh = f"CASE {table}.source {' '.join(cases)} ELSE 0 END" if cases else "0"
            query = q.for_candidates(sql, params).replace("{weight}", weigh)
            with self.lock:
                for arxiv_id, total in self.db.conn.execute(query, params):
                    totals[arxiv_id] = totals.get(arxiv_id, 0.0) + total
        return totals

    def top_posts(
        self, arxiv_ids: Iterable[str], min_score: int, limit: int
    ) -> dict[str, tuple[SocialPost, ...]]:
        """For each paper, its posts scoring at least min_score (reposts + likes), best first."""
        found: dict[str, tuple[SocialPost, ...]] = {}
        for arxiv_id in arxiv_ids:
            params = {"arxiv_id": arxiv_id, "min_score": min_score, "limit": limit}
            rows = self._query(q.TOP_POSTS, params) if limit > 0 else []
            found[arxiv_id] = tuple(row_post(r, tuple(r["linked"].split())) for r in rows)
        return found

    def signal_links(self, arxiv_ids: Iterable[str]) -> dict[str, list[tuple[str, str, str]]]:
        """(source, metric, url) of signals that carry a URL (HF page, code repository)."""
        found: dict[str, list[tuple[str, str, str]]] = {}
        for r in self._query(q.SIGNAL_LINKS, {"ids": json.dumps(sorted(set(arxiv_ids)))}):
            found.setdefault(r["arxiv_id"], []).append((r["source"], r["metric"], r["url"]))
        return found

    def latest_observation(self) -> datetime | None:
        """The newest observation time of any post or signal."""
        rows = self._query(
            "SELECT max(t) AS t FROM (SELECT max(observed_at) AS t FROM posts"
            " UNION ALL SELECT max(observed_at) FROM signals)"
        )
        return opt_time(rows[0]["t"]) if rows else None

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
            yield row_post(row, tuple(links.get((row["source"], row["post_id"]), ())))

    def iter_signals(self) -> Iterator[Signal]:
        """Every signal observation, oldest first."""
        for row in self._query("SELECT * FROM signals ORDER BY observed_at, arxiv_id, source"):
            yield row_signal(row)


def _keys(posts: Iterable[SocialPost]) -> set[tuple[str, str]]:
    """The distinct (source, post id) pairs of a batch."""
    return {(p.source, p.post_id) for p in posts}
