"""The per-paper running totals kept at ingest always equal the sums they stand for."""

from __future__ import annotations

import random
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.store import Store
from bot.store import queries as q
from tests.factories import NOW, paper, post

IDS = [f"2611.0000{i}" for i in range(1, 5)]
TOTALS = "SELECT arxiv_id, source, posts, reposts, likes, observed FROM paper_sources"
SUMMED = """
SELECT arxiv_id, source, count(*), sum(reposts), sum(likes), max(observed) FROM post_links
GROUP BY arxiv_id, source
"""
GAINS = "SELECT arxiv_id, source, observed, posts, gain FROM paper_gains"
FRESH = "SELECT arxiv_id, source, hour, posts, score FROM paper_fresh"
FRESH_SUMMED = """
SELECT arxiv_id, source, created / 3600, count(*), sum(reposts + likes) FROM post_links
WHERE gain IS NULL AND created IS NOT NULL GROUP BY arxiv_id, source, created / 3600
"""
GAINS_SUMMED = """
SELECT arxiv_id, source, observed, count(*), sum(gain) FROM post_links WHERE gain IS NOT NULL
GROUP BY arxiv_id, source, observed
"""


def _rows(conn: sqlite3.Connection, sql: str) -> list[tuple[object, ...]]:
    return sorted(conn.execute(sql).fetchall())


@pytest.mark.parametrize("seed", range(8))
def test_totals_follow_reobservations_late_history_and_new_links(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = Store(tmp_path / "h.db", growth_window=timedelta(hours=2))
    store.ingest([paper(a) for a in IDS], seen_at=NOW)
    for step in range(30):
        batch = []
        for _ in range(rng.randint(1, 6)):  # the same post may come twice in one batch
            n = rng.randrange(12 + step)  # new posts keep coming, without a baseline at first
            linked = tuple(rng.sample(IDS, rng.choice((1, 1, 2))))
            hours = rng.choice((step, step, step - 5))  # some observations arrive late
            batch.append(
                post(str(n), linked, source=rng.choice(("x", "bluesky")),
                     observed_at=NOW + timedelta(hours=hours), likes=rng.randrange(100),
                     reposts=rng.randrange(20))
            )  # fmt: skip
        store.ingest(posts=batch, seen_at=NOW)
    store.close()
    conn = sqlite3.connect(tmp_path / "h.db")
    assert _rows(conn, TOTALS) == _rows(conn, SUMMED)
    assert _rows(conn, GAINS) == _rows(conn, GAINS_SUMMED) != []
    assert _rows(conn, FRESH) == _rows(conn, FRESH_SUMMED) != []
    assert conn.execute("SELECT count(*) FROM paper_gains WHERE posts = 0").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM paper_fresh WHERE posts = 0").fetchone() == (0,)


# The growth term as it was before the cutoff hour's links were read only under a paper_fresh
# row of that hour (bot/store/queries.py): the same numbers must come out for every cutoff.
_GROWTH_BEFORE = """(CASE WHEN t.observed < :cutoff THEN 0 ELSE
    coalesce((SELECT sum(g.gain) FROM paper_gains g
            WHERE g.arxiv_id = t.arxiv_id AND g.source = t.source AND g.observed >= :cutoff), 0)
  + coalesce((SELECT sum(h.score) FROM paper_fresh h
            WHERE h.arxiv_id = t.arxiv_id AND h.source = t.source
              AND h.hour > :cutoff / 3600), 0)
  + coalesce((SELECT sum(f.reposts + f.likes) FROM post_links f
            WHERE f.arxiv_id = t.arxiv_id AND f.source = t.source AND f.gain IS NULL
              AND f.created >= :cutoff AND f.created < (:cutoff / 3600 + 1) * 3600), 0)
    END)"""


@pytest.mark.parametrize("seed", range(6))
def test_growth_reads_the_cutoff_hours_links_only_where_paper_fresh_has_them(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    store = Store(tmp_path / "h.db", growth_window=timedelta(hours=2))
    store.ingest([paper(a) for a in IDS], seen_at=NOW)
    for step in range(25):
        batch = []
        for _ in range(rng.randint(1, 6)):
            n = rng.randrange(10 + step)
            written = NOW + timedelta(minutes=step * 60 - rng.randrange(240))
            batch.append(
                post(str(n), tuple(rng.sample(IDS, rng.choice((1, 2)))),
                     source=rng.choice(("x", "bluesky")), created_at=written,
                     observed_at=written + timedelta(minutes=rng.randrange(90)),
                     likes=rng.randrange(100), reposts=rng.randrange(20))
            )  # fmt: skip
        store.ingest(posts=batch, seen_at=NOW)
    store.close()
    conn = sqlite3.connect(tmp_path / "h.db")
    now = q.POST_TALLIES.replace(q._TOTAL_GROWTH, "{growth}")
    assert "{growth}" in now
    for minutes in range(-300, 25 * 60, 17):  # cutoffs on, after and between the hours
        cutoff = NOW + timedelta(minutes=minutes)
        params = q.params(None, None, cutoff, IDS)
        after, before = (
            sorted(conn.execute(
                q.for_candidates(now, params).replace("{growth}", growth), params).fetchall())
            for growth in (q._TOTAL_GROWTH, _GROWTH_BEFORE)
        )  # fmt: skip
        assert after == before
        assert any(row[-1] for row in after) or minutes > 23 * 60
