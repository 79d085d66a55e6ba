"""Trending again: the papers that grew in the growth window, whatever their age, and when.

A paper's surge is scored by `bot.rank.surge_score` (growth weighted, aged from when the surge
started). What this module finds in the store is which papers grew at all since the cutoff and
when each one's growth was first seen, from the running totals kept at ingest: the recent rows
of paper_gains, paper_fresh and signals_latest, each read through an index on its time. So the
cost follows how many papers were talked about in the window, never how many papers or posts
the store holds (tests/test_trending.py checks the query plans).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from bot.store import Store
from bot.store.migrations import Database, Migrations
from bot.timeutil import to_iso

__all__ = ["GROWING", "SURGE_STARTS", "TrendingReads", "migrations"]

migrations = Migrations("hotpapers-trending")


@migrations()
def m001_recent_growth(db: Database) -> None:
    """Indexes on the time of each running total, so the window's growth is a range read."""
    db.execute("CREATE INDEX IF NOT EXISTS paper_gains_recent ON paper_gains(observed, arxiv_id)")
    db.execute("CREATE INDEX IF NOT EXISTS paper_fresh_recent ON paper_fresh(hour, arxiv_id)")
    db.execute(
        "CREATE INDEX IF NOT EXISTS signals_latest_recent ON signals_latest(observed_at, arxiv_id)"
    )


# The papers whose growth since the cutoff may reach the surge rule's minimum gain: per paper,
# the gains of its posts a fetch saw rise since the cutoff, the counts of its new posts
# written since the cutoff's hour, and the rises of its signals above their baseline, each
# times its source's weight ({weight}: a CASE over the sources). An upper bound of the growth
# ranking reads (the cutoff's own hour counts whole), so no paper that passes is missed, and
# only these few get their full tallies. (A signal without a baseline only grows for a paper
# published in the window, which is new anyway: see _SIGNAL_GROWTH in bot/store/queries.py.)
GROWING = """
SELECT r.arxiv_id FROM (
    SELECT arxiv_id, source, gain AS amount FROM paper_gains
    WHERE observed >= :cutoff AND gain > 0
    UNION ALL
    SELECT arxiv_id, source, score FROM paper_fresh
    WHERE hour >= :cutoff / 3600 AND score > 0
    UNION ALL
    SELECT arxiv_id, source, value - base_value FROM signals_latest
    WHERE observed_at >= :cutoff_iso AND metric IN (SELECT value FROM json_each(:metrics))
      AND value > base_value
) AS r
GROUP BY r.arxiv_id
HAVING sum(({weight}) * r.amount) >= :min_gain
"""

# When each listed paper's growth was first seen since the cutoff (Unix seconds): the fetch
# that first saw a post gain, the hour a new post was written, the first rise of a signal.
SURGE_STARTS = """
SELECT i.value AS arxiv_id, min(
    coalesce((SELECT min(g.observed) FROM paper_gains g
              WHERE g.arxiv_id = i.value AND g.observed >= :cutoff AND g.gain > 0), 1e18),
    coalesce((SELECT min(f.hour) * 3600 FROM paper_fresh f
              WHERE f.arxiv_id = i.value AND f.hour >= :cutoff / 3600 AND f.score > 0), 1e18),
    coalesce((SELECT CAST(strftime('%s', min(s.observed_at)) AS INTEGER)
              FROM signals s JOIN signals_latest l
                ON l.arxiv_id = s.arxiv_id AND l.source = s.source AND l.metric = s.metric
              WHERE s.arxiv_id = i.value AND s.observed_at >= :cutoff_iso
                AND s.value > l.base_value
                AND s.metric IN (SELECT value FROM json_each(:metrics))), 1e18)
) AS started
FROM json_each(:ids) AS i
"""


class TrendingReads:
    """The store's recent growth: which papers grew since a moment, and since when."""

    def __init__(self, store: Store) -> None:
        """Read through the store, creating the indexes on first use."""
        self.store = store
        store.migrate(migrations)

    def _params(self, cutoff: datetime, metrics: Iterable[str]) -> dict[str, object]:
        """The cutoff in both spellings, and the signal metrics that count."""
        return {
            "cutoff": int(cutoff.timestamp()),
            "cutoff_iso": to_iso(cutoff),
            "metrics": json.dumps(list(metrics)),
        }

    def growing(
        self,
        cutoff: datetime,
        metrics: Iterable[str],
        weights: Mapping[str, float],
        min_gain: float,
    ) -> list[str]:
        """The papers whose weighted growth since the cutoff may reach min_gain, by id."""
        params: dict[str, object] = {**self._params(cutoff, metrics), "min_gain": min_gain}
        cases = []
        for i, (source, weight) in enumerate(sorted(weights.items())):
            params[f"s{i}"], params[f"w{i}"] = source, weight
            cases.append(f"WHEN :s{i} THEN :w{i}")
        weigh = f"CASE r.source {' '.join(cases)} ELSE 0 END" if cases else "0"
        rows = self.store.query(GROWING.replace("{weight}", weigh), params)
        return sorted(r["arxiv_id"] for r in rows)

    def surge_starts(
        self, arxiv_ids: Iterable[str], cutoff: datetime, metrics: Iterable[str]
    ) -> dict[str, datetime]:
        """When each of these papers' growth since the cutoff was first seen (if it grew)."""
        params = {**self._params(cutoff, metrics), "ids": json.dumps(sorted(set(arxiv_ids)))}
        found = {}
        for row in self.store.query(SURGE_STARTS, params):
            if row["started"] < 1e18:
                moment = datetime.fromtimestamp(row["started"], UTC)
                found[row["arxiv_id"]] = max(moment, cutoff)
        return found
