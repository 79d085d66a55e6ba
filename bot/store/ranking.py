"""The reads ranking needs: per-paper totals of a window, and breakdowns of the papers shown."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from bot.models import SocialPost, Tally
from bot.store import queries as q
from bot.store.rows import row_post
from bot.store.sqlite import Row, SqliteStore
from bot.timeutil import parse_time

__all__ = ["RankingReads"]


class RankingReads(SqliteStore):
    """Ranking's queries, summed inside SQLite so no object is built per post."""

    def post_tallies(
        self,
        since: date | None,
        until: date | None,
        cutoff: datetime,
        ids: Iterable[str] | None = None,
    ) -> list[Tally]:
        """Per paper and source in the window (or of the given papers): counts and growth."""
        params = q.params(since, until, cutoff, ids)
        rows = self.query(q.for_candidates(q.POST_TALLIES, params), params)
        return [
            Tally(
                r["arxiv_id"],
                r["source"],
                float(r["reposts"] + r["likes"]),
                float(r["growth"]),
                r["reposts"],
                r["likes"],
                r["posts"],
                "",
                datetime.fromtimestamp(r["as_of"], UTC),
            )
            for r in rows
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
        rows = self.query(q.for_candidates(q.SIGNAL_TALLIES, params), params)
        return [
            Tally(
                r["arxiv_id"],
                r["source"],
                r["value"],
                r["growth"],
                metric=r["metric"],
                as_of=parse_time(r["as_of"]),
            )
            for r in rows
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
        for sql, table in ((q.HOT_POST_TOTALS, "t"), (q.HOT_SIGNAL_TOTALS, "s")):
            weigh = f"CASE {table}.source {' '.join(cases)} ELSE 0 END" if cases else "0"
            query = q.for_candidates(sql, params).replace("{weight}", weigh)
            for arxiv_id, total in self.query_values(query, params):  # tens of thousands
                totals[arxiv_id] = totals.get(arxiv_id, 0.0) + total
        return totals

    def top_posts(
        self, arxiv_ids: Iterable[str], min_score: int, limit: int
    ) -> dict[str, tuple[SocialPost, ...]]:
        """For each paper, its posts scoring at least min_score (reposts + likes), best first."""
        ids = list(dict.fromkeys(arxiv_ids))
        found: dict[str, list[Row]] = {a: [] for a in ids}
        for start in range(0, len(ids) if limit > 0 else 0, q.TOP_POSTS_BATCH):
            chunk = ids[start : start + q.TOP_POSTS_BATCH]
            params = {f"id{n}": a for n, a in enumerate(chunk)}
            sql = q.top_posts(len(chunk))
            for row in self.query(sql, {**params, "min_score": min_score, "limit": limit}):
                found[row["shown_for"]].append(row)
        return {
            a: tuple(
                row_post(r, tuple(r["linked"].split()))
                for r in sorted(rows, key=lambda r: (-r["score"], r["source"], r["post_id"]))
            )
            for a, rows in found.items()
        }

    def signal_links(self, arxiv_ids: Iterable[str]) -> dict[str, list[tuple[str, str, str]]]:
        """(source, metric, url) of signals that carry a URL (HF page, code repository)."""
        found: dict[str, list[tuple[str, str, str]]] = {}
        for r in self.query(q.SIGNAL_LINKS, {"ids": json.dumps(sorted(set(arxiv_ids)))}):
            found.setdefault(r["arxiv_id"], []).append((r["source"], r["metric"], r["url"]))
        return found
