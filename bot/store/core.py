"""The core store: papers, posts and signals ingested idempotently, and the reads digests need."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.errors import StoreError
from bot.models import Paper, Signal, SocialPost
from bot.store import queries as q
from bot.store.guard import check_store_file
from bot.store.ranking import RankingReads
from bot.store.rows import births, paper_row, post_row, row_paper, row_post, row_signal
from bot.store.schema import core_migrations
from bot.store.sqlite import MEMORY
from bot.timeutil import opt_time, to_iso

__all__ = ["Store", "quote_fts"]

_GENERATION = "SELECT value FROM store_meta WHERE key = 'ingest_generation'"
_BUMP_GENERATION = "UPDATE store_meta SET value = value + 1 WHERE key = 'ingest_generation'"
_SEARCH = """
SELECT papers.* FROM papers JOIN papers_fts ON papers.rowid = papers_fts.rowid
WHERE papers_fts MATCH :query ORDER BY papers_fts.rank LIMIT :limit
"""

_FTS_TOKEN = re.compile(r'\s+|(".*?")')  # a run of spaces, or a quoted phrase kept whole


def quote_fts(query: str) -> str:
    """Any text as an FTS5 query of plain words and phrases (sqlite-utils' quote_fts)."""
    if query.count('"') % 2:
        query += '"'
    bits = [b for b in _FTS_TOKEN.split(query) if b and b != '""']
    return " ".join(b if b.startswith('"') else f'"{b}"' for b in bits)


class Store(RankingReads):
    """The SQLite store: idempotent upserts keyed on version-less arXiv ids, WAL, FTS5."""

    def __init__(
        self,
        path: str | Path = MEMORY,
        *,
        growth_window: timedelta = timedelta(hours=24),
        timeout: float = 30.0,
    ) -> None:
        """Open (creating if needed) the database at path and apply the core migrations.

        timeout is how long a write waits for another process's lock before failing.
        """
        check_store_file(path)  # never touches a file that is not a hotpapers store
        # Ranking scans a week of post links: a 64 MiB page cache keeps that in memory.
        super().__init__(path, timeout=timeout, cache_kib=65536)
        # Growth baselines are kept at ingest, one window before each newest observation.
        self._offset = f"-{int(growth_window.total_seconds())} seconds"
        try:
            self.migrate(core_migrations)
        except StoreError:
            self.close()
            raise

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
        paper_list, post_list, signal_list = list(papers), list(posts), list(signals)
        with self.transaction() as tx:
            tx.executemany(q.PAPER_UPSERT, [paper_row(p, seen_at) for p in paper_list])
            tx.executemany(q.PENDING_DONE, [(p.arxiv_id,) for p in paper_list])
            rows = [post_row(p) for p in post_list]
            tx.executemany(q.POST_UPSERT, rows)
            tx.executemany(q.OBSERVATION_UPSERT, rows)
            tx.executemany(
                q.LINK_INSERT, [(a, p.source, p.post_id) for p in post_list for a in p.arxiv_ids]
            )
            tx.executemany(q.PENDING_ADD, _sightings(post_list, signal_list))
            keys = [
                {"source": s, "post_id": i} for s, i in {(p.source, p.post_id) for p in post_list}
            ]
            tx.executemany(q.POST_BASE_UPDATE, [{**k, "offset": self._offset} for k in keys])
            batch = json.dumps([[k["source"], k["post_id"]] for k in keys])
            for sql in q.TOTALS:  # the links' old counts leave the running totals
                tx.execute(sql, {"keys": batch, "sign": -1})
            tx.executemany(q.LINK_COUNTS_UPDATE, keys)
            for sql in q.TOTALS:  # and their new counts come back in
                tx.execute(sql, {"keys": batch, "sign": 1})
            for sql in q.PRUNE:
                tx.execute(sql)
            signal_rows = [
                (s.arxiv_id, s.source, s.metric, to_iso(s.observed_at), s.value, s.url)
                for s in signal_list
            ]
            tx.executemany(q.SIGNAL_INSERT, signal_rows)
            tx.executemany(q.SIGNAL_LATEST_UPSERT, signal_rows)
            tx.execute(_BUMP_GENERATION)
            tx.executemany(
                q.SIGNAL_BASE_UPDATE,
                [
                    {"offset": self._offset, "arxiv_id": a, "source": s, "metric": m}
                    for a, s, m in {(s.arxiv_id, s.source, s.metric) for s in signal_list}
                ],
            )

    def mark_shown(self, channel: str, arxiv_ids: Iterable[str], at: datetime) -> None:
        """Record that these papers were shown in channel at a time."""
        with self.transaction() as tx:
            tx.executemany(
                "INSERT OR REPLACE INTO shown (channel, arxiv_id, shown_at) VALUES (?, ?, ?)",
                [(channel, a, to_iso(at)) for a in arxiv_ids],
            )

    # -- reading ---------------------------------------------------------------------------

    def shown_since(self, channel: str, since: datetime) -> frozenset[str]:
        """The papers shown in channel at or after since."""
        rows = self.query(
            "SELECT arxiv_id FROM shown WHERE channel = ? AND shown_at >= ?",
            (channel, to_iso(since)),
        )
        return frozenset(r["arxiv_id"] for r in rows)

    def get_paper(self, arxiv_id: str) -> Paper | None:
        """One paper by version-less id, or None."""
        row = self.query_one("SELECT * FROM papers WHERE arxiv_id = ?", (arxiv_id,))
        return row_paper(row) if row else None

    def papers_by_id(self, arxiv_ids: Iterable[str]) -> dict[str, Paper]:
        """The stored papers among these ids."""
        rows = self.query(q.PAPERS_BY_ID, {"ids": json.dumps(sorted(set(arxiv_ids)))})
        return {r["arxiv_id"]: row_paper(r) for r in rows}

    def generation(self) -> int:
        """A number every ingest bumps, in any process: what rankings are cached on."""
        row = self.query_one(_GENERATION)
        return int(row["value"]) if row else 0

    def search(self, query: str, limit: int = 10) -> list[Paper]:
        """Full-text search over titles and abstracts, best match first (any text is quoted).

        On the reading thread's own connection: a long search holds up no one else.
        """
        rows = self.query(_SEARCH, {"query": quote_fts(query), "limit": limit})
        return [row_paper(r) for r in rows]

    def births(self, since: date | None, until: date | None) -> dict[str, datetime | None]:
        """When each paper in the window was born: its announcement day, else its first version."""
        bounded = since is not None or until is not None
        sql = q.BIRTHS if bounded else "SELECT arxiv_id, announced, published FROM papers"
        return births(self.query_values(sql, q.window(since, until)))

    def births_of(self, arxiv_ids: Iterable[str]) -> dict[str, datetime | None]:
        """When each of these papers was born (see births)."""
        return births(self.query_values(q.BIRTHS_OF, {"ids": json.dumps(sorted(set(arxiv_ids)))}))

    def latest_observation(self) -> datetime | None:
        """The newest observation time of any post or signal."""
        row = self.query_one(q.LATEST_OBSERVATION)
        return opt_time(row["t"]) if row else None

    def counts(self) -> dict[str, int]:
        """Row counts of the core tables."""
        tables = ("papers", "posts", "post_observations", "signals")
        return {t: self.query(f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in tables}

    # -- snapshots -------------------------------------------------------------------------

    def iter_papers(self) -> Iterator[Paper]:
        """Every paper, by id."""
        for row in self.query("SELECT * FROM papers ORDER BY arxiv_id"):
            yield row_paper(row)

    def iter_post_observations(self) -> Iterator[SocialPost]:
        """Every observation of every post, oldest first, with the post's current details."""
        links: dict[tuple[str, str], list[str]] = {}
        for row in self.query("SELECT * FROM post_links ORDER BY source, post_id, arxiv_id"):
            links.setdefault((row["source"], row["post_id"]), []).append(row["arxiv_id"])
        sql = (
            "SELECT p.*, o.observed_at AS obs_at, o.reposts AS obs_reposts, o.likes AS obs_likes,"
            " o.replies AS obs_replies, o.quotes AS obs_quotes FROM post_observations o"
            " JOIN posts p USING (source, post_id) ORDER BY o.observed_at, o.source, o.post_id"
        )
        for row in self.query(sql):
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
        for row in self.query("SELECT * FROM signals ORDER BY observed_at, arxiv_id, source"):
            yield row_signal(row)


def _sightings(posts: list[SocialPost], signals: list[Signal]) -> list[dict[str, str]]:
    """Each linked id with the time it was seen, for the lookup's candidates."""
    seen = [(a, to_iso(p.observed_at)) for p in posts for a in p.arxiv_ids]
    seen += [(s.arxiv_id, to_iso(s.observed_at)) for s in signals]
    return [{"arxiv_id": a, "seen": at} for a, at in seen]
