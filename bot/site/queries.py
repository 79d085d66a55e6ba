"""The site's SQL, as functions of the store: published days, a paper's time series and posts.

Published days are written by the delivery ledger (table `published_digests`, one row per day:
the day's page, frozen as neutral JSON when the day's first digest was posted; which digest that
is, bot.site.publish decides); this module only reads them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.models import Digest
from bot.site.chart import Point, cumulative
from bot.site.frozen import load_digest
from bot.store import Store
from bot.timeutil import parse_time

__all__ = [
    "Appearance",
    "DayRow",
    "Published",
    "adjacent_days",
    "all_published_ids",
    "appearances",
    "day_counts_by_year",
    "latest_day",
    "post_count",
    "post_series",
    "published",
    "published_at",
    "published_days",
    "signal_series",
    "version",
]


@dataclass(frozen=True)
class DayRow:
    """One published day in the archive's lists."""

    day: date
    published_at: datetime
    count: int  # papers in its digest
    lead: str  # the title of its first paper ('' when the digest was empty)


@dataclass(frozen=True)
class Published:
    """A day's page: its digest as frozen when the day was first posted."""

    day: date
    published_at: datetime
    digest: Digest


def version(store: Store) -> tuple[int, int, str]:
    """What the site's pages depend on: the ingest generation and the published days.

    Unlike the store's data version, it ignores writes that change no page (leases renewed
    every few seconds, delivery bookkeeping), so cached pages survive them.
    """
    row = store.query_one(
        "SELECT count(*) AS days, coalesce(max(published_at), '') AS last FROM published_digests"
    )
    assert row is not None
    return (store.generation(), int(row["days"]), row["last"])


_DAYS = """
SELECT d.day, d.published_at, json_array_length(d.arxiv_ids) AS count,
       coalesce(p.title, '') AS lead
FROM published_digests d
LEFT JOIN papers p ON p.arxiv_id = json_extract(d.arxiv_ids, '$[0]')
WHERE d.day >= :since AND d.day < :until
ORDER BY d.day DESC
LIMIT :limit
"""


def published_days(
    store: Store, *, since: date | None = None, until: date | None = None, limit: int = 400
) -> list[DayRow]:
    """Published days in a range (all when unbounded), newest first."""
    params = {
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "9999",
        "limit": limit,
    }
    return [
        DayRow(
            date.fromisoformat(r["day"]), parse_time(r["published_at"]), int(r["count"]), r["lead"]
        )
        for r in store.query(_DAYS, params)
    ]


def day_counts_by_year(store: Store) -> list[tuple[int, int]]:
    """(year, published days in it), newest year first."""
    rows = store.query(
        "SELECT substr(day, 1, 4) AS year, count(*) AS days FROM published_digests"
        " GROUP BY year ORDER BY year DESC"
    )
    return [(int(r["year"]), int(r["days"])) for r in rows]


def published(store: Store, day: date) -> Published | None:
    """A day's published digest, or None when nothing was posted that day."""
    row = store.query_one(
        "SELECT published_at, digest FROM published_digests WHERE day = ?", (day.isoformat(),)
    )
    if row is None:
        return None
    return Published(day, parse_time(row["published_at"]), load_digest(row["digest"]))


def published_at(store: Store, day: date) -> datetime | None:
    """When a day's digest was published (None: it was not), without reading the digest."""
    row = store.query_one(
        "SELECT published_at FROM published_digests WHERE day = ?", (day.isoformat(),)
    )
    return parse_time(row["published_at"]) if row else None


def latest_day(store: Store) -> date | None:
    """The newest published day."""
    row = store.query_one("SELECT max(day) AS day FROM published_digests")
    return date.fromisoformat(row["day"]) if row and row["day"] else None


def adjacent_days(store: Store, day: date) -> tuple[date | None, date | None]:
    """The published days just before and just after a day."""
    row = store.query_one(
        "SELECT (SELECT max(day) FROM published_digests WHERE day < :day) AS previous,"
        " (SELECT min(day) FROM published_digests WHERE day > :day) AS next",
        {"day": day.isoformat()},
    )
    assert row is not None
    return (
        date.fromisoformat(row["previous"]) if row["previous"] else None,
        date.fromisoformat(row["next"]) if row["next"] else None,
    )


@dataclass(frozen=True)
class Appearance:
    """Where a paper stood in a published digest."""

    day: date
    published_at: datetime
    rank: int


def appearances(store: Store, arxiv_id: str, limit: int = 20) -> list[Appearance]:
    """The published digests that listed a paper, oldest first, with its rank in each."""
    rows = store.query(
        "SELECT day, published_at, j.key AS position"
        " FROM published_digests, json_each(arxiv_ids) j WHERE j.value = :id"
        " ORDER BY day LIMIT :limit",
        {"id": arxiv_id, "limit": limit},
    )
    return [
        Appearance(date.fromisoformat(r["day"]), parse_time(r["published_at"]),
                   int(r["position"]) + 1)
        for r in rows
    ]  # fmt: skip


def all_published_ids(store: Store) -> set[str]:
    """Every paper any published digest listed (the static build writes their pages)."""
    rows = store.query(
        "SELECT DISTINCT j.value AS arxiv_id FROM published_digests, json_each(arxiv_ids) j"
    )
    return {r["arxiv_id"] for r in rows}


# Each observation's gain over the same post's previous observation, summed per source and
# observation time, for the posts given as a JSON list of [source, post_id].
_POST_GAINS = """
SELECT source, observed_at, sum(gain) AS gain FROM (
    SELECT o.source, o.observed_at,
           o.reposts + o.likes - coalesce(lag(o.reposts + o.likes) OVER (
               PARTITION BY o.source, o.post_id ORDER BY o.observed_at), 0) AS gain
    FROM json_each(:posts) k
    JOIN post_observations o
      ON o.source = json_extract(k.value, '$[0]') AND o.post_id = json_extract(k.value, '$[1]')
)
GROUP BY source, observed_at
"""
# A paper's most engaged posts (the index post_links_top), with when each was written.
_FOLLOWED = """
SELECT source, post_id, coalesce(created, observed) / 3600 AS hour, reposts + likes AS score
FROM post_links WHERE arxiv_id = :id ORDER BY reposts + likes DESC, source, post_id LIMIT :follow
"""
# All of a paper's posts' latest counts by source and the hour each was written: one range
# scan of post_links' primary key, however famous the paper.
_BY_HOUR = """
SELECT source, coalesce(created, observed) / 3600 AS hour, sum(reposts + likes) AS score
FROM post_links WHERE arxiv_id = :id GROUP BY source, hour
"""


def post_series(store: Store, arxiv_id: str, follow: int = 1000) -> dict[str, list[Point]]:
    """Per source: the reposts + likes of every post linking the paper, over time.

    The `follow` most engaged posts are followed observation by observation; the others (the
    long tail of small counts) count in full from the hour each was written. So the cost is
    bounded whatever the paper's fame: the most talked-about paper of a 100,000-paper store
    has 16,000 posts, and reading every observation of each takes half a second.
    """
    params = {"id": arxiv_id, "follow": follow}
    followed = store.query(_FOLLOWED, params)
    tail: dict[tuple[str, int], float] = defaultdict(float)
    for r in store.query(_BY_HOUR, params):
        if r["hour"] is not None:
            tail[(r["source"], r["hour"])] += r["score"]
    for r in followed:  # the tail is everything but the followed posts
        if r["hour"] is not None:
            tail[(r["source"], r["hour"])] -= r["score"]
    gains: dict[str, list[Point]] = defaultdict(list)
    for (source, hour), score in tail.items():
        if score:
            gains[source].append((datetime.fromtimestamp(hour * 3600, UTC), score))
    if followed:
        keys = json.dumps([[r["source"], r["post_id"]] for r in followed])
        for r in store.query(_POST_GAINS, {"posts": keys}):
            gains[r["source"]].append((parse_time(r["observed_at"]), float(r["gain"])))
    return {source: cumulative(sorted(points)) for source, points in gains.items()}


def signal_series(
    store: Store, arxiv_id: str, metrics: Iterable[str] | None = None
) -> dict[tuple[str, str], list[Point]]:
    """Per (source, metric): a paper-level signal's value at each observation."""
    sql = "SELECT source, metric, observed_at, value FROM signals WHERE arxiv_id = :id"
    params: dict[str, object] = {"id": arxiv_id}
    if metrics is not None:
        sql += " AND metric IN (SELECT value FROM json_each(:metrics))"
        params["metrics"] = json.dumps(list(metrics))
    series: dict[tuple[str, str], list[Point]] = defaultdict(list)
    for r in store.query(sql + " ORDER BY source, metric, observed_at", params):
        series[(r["source"], r["metric"])].append((parse_time(r["observed_at"]), r["value"]))
    return dict(series)


def post_count(store: Store, arxiv_id: str) -> int:
    """How many posts link a paper."""
    row = store.query_one("SELECT count(*) AS n FROM post_links WHERE arxiv_id = ?", (arxiv_id,))
    return int(row["n"]) if row else 0
