"""The store's SQL, kept apart so the Store class reads as a list of operations."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from bot.timeutil import to_iso

PAPER_UPSERT = """
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

POST_UPSERT = """
INSERT INTO posts (source, post_id, url, author, author_name, text, lang, created_at,
                   reposts, likes, replies, quotes, observed_at, entities)
VALUES (:source, :post_id, :url, :author, :author_name, :text, :lang, :created_at,
        :reposts, :likes, :replies, :quotes, :observed_at, :entities)
ON CONFLICT (source, post_id) DO UPDATE SET
    url = excluded.url, author = excluded.author, author_name = excluded.author_name,
    text = excluded.text, lang = excluded.lang, created_at = excluded.created_at,
    entities = excluded.entities,
    reposts = excluded.reposts, likes = excluded.likes, replies = excluded.replies,
    quotes = excluded.quotes, observed_at = excluded.observed_at
WHERE excluded.observed_at >= posts.observed_at
"""

OBSERVATION_UPSERT = """
INSERT OR REPLACE INTO post_observations (source, post_id, observed_at, reposts, likes, replies,
                                          quotes)
VALUES (:source, :post_id, :observed_at, :reposts, :likes, :replies, :quotes)
"""

LINK_INSERT = "INSERT OR IGNORE INTO post_links (arxiv_id, source, post_id) VALUES (?, ?, ?)"

# A linked id with no paper waits for the arXiv lookup (newest sighting kept); a paper ends it.
PENDING_ADD = """
INSERT INTO paper_pending (arxiv_id, seen) SELECT :arxiv_id, :seen
WHERE NOT EXISTS (SELECT 1 FROM papers WHERE arxiv_id = :arxiv_id)
ON CONFLICT (arxiv_id) DO UPDATE SET seen = max(seen, excluded.seen)
"""
PENDING_DONE = "DELETE FROM paper_pending WHERE arxiv_id = ?"

# Refresh the counts copied into every link of a post (run after the post's upsert).
LINK_COUNTS_UPDATE = """
UPDATE post_links SET reposts = p.reposts, likes = p.likes,
    gain = CASE WHEN p.base_score IS NULL THEN NULL
                ELSE max(p.reposts + p.likes - p.base_score, 0) END,
    observed = CAST(strftime('%s', p.observed_at) AS INTEGER),
    -- No post is written after it was seen (a skewed clock says otherwise): growth relies on it.
    created = min(CAST(strftime('%s', p.created_at) AS INTEGER),
                  CAST(strftime('%s', p.observed_at) AS INTEGER))
FROM posts p
WHERE p.source = post_links.source AND p.post_id = post_links.post_id
  AND post_links.source = :source AND post_links.post_id = :post_id
"""

SIGNAL_INSERT = """
INSERT OR REPLACE INTO signals (arxiv_id, source, metric, observed_at, value, url)
VALUES (?, ?, ?, ?, ?, ?)
"""

SIGNAL_LATEST_UPSERT = """
INSERT INTO signals_latest (arxiv_id, source, metric, observed_at, value, url)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (arxiv_id, source, metric) DO UPDATE SET
    observed_at = excluded.observed_at, value = excluded.value,
    url = CASE WHEN excluded.url = '' THEN signals_latest.url ELSE excluded.url END
WHERE excluded.observed_at >= signals_latest.observed_at
"""

# Growth baselines: the newest observation at least one growth window older than the latest.
POST_BASE_UPDATE = """
UPDATE posts SET base_score = (
    SELECT o.reposts + o.likes FROM post_observations o
    WHERE o.source = posts.source AND o.post_id = posts.post_id
      AND o.observed_at <= strftime('%Y-%m-%dT%H:%M:%SZ', posts.observed_at, :offset)
    ORDER BY o.observed_at DESC LIMIT 1)
WHERE source = :source AND post_id = :post_id
"""

SIGNAL_BASE_UPDATE = """
UPDATE signals_latest SET base_value = (
    SELECT s.value FROM signals s
    WHERE s.arxiv_id = signals_latest.arxiv_id AND s.source = signals_latest.source
      AND s.metric = signals_latest.metric
      AND s.observed_at <= strftime('%Y-%m-%dT%H:%M:%SZ', signals_latest.observed_at, :offset)
    ORDER BY s.observed_at DESC LIMIT 1)
WHERE arxiv_id = :arxiv_id AND source = :source AND metric = :metric
"""

# The candidate papers: those announced in [since, until), every paper when unbounded, or a
# given list of ids. Every query reads `arxiv_id IN (candidates)` as primary-key lookups in
# id order, so its GROUP BY needs no sort (tests/store/test_query_plans.py checks the plans).
_WINDOWED = "SELECT arxiv_id FROM papers WHERE day >= :since AND day < :until"
_EVERYTHING = "SELECT arxiv_id FROM papers"
_LISTED = "SELECT value AS arxiv_id FROM json_each(:ids)"


def candidates(sql: str, *, bounded: bool, listed: bool = False) -> str:
    """The query with its candidate papers: listed ids, the window, or everything."""
    return sql.replace("{cand}", _LISTED if listed else _WINDOWED if bounded else _EVERYTHING)


# Growth only counts for numbers observed since the cutoff: older numbers are not "recent".
_POST_GROWTH = """CASE WHEN l.observed < :cutoff THEN 0
                WHEN l.gain IS NOT NULL THEN l.gain
                WHEN l.created >= :cutoff THEN l.reposts + l.likes
                ELSE 0 END"""
_SIGNAL_GROWTH = """CASE WHEN s.observed_at < :cutoff_iso THEN 0
            WHEN s.base_value IS NOT NULL THEN max(s.value - s.base_value, 0)
            WHEN p.published >= :cutoff_iso THEN s.value
            ELSE 0 END"""
_SIGNALS_OF_CANDIDATES = """
FROM signals_latest s
CROSS JOIN papers p ON p.arxiv_id = s.arxiv_id
WHERE s.arxiv_id IN ({cand}) AND s.metric IN (SELECT value FROM json_each(:metrics))
"""

# Growth of one (paper, source) of paper_sources `t` (see _POST_GROWTH), from running totals:
# the gains of posts with a baseline whose latest observation is recent, summed per fetch in
# paper_gains; and the full counts of posts without one written since the cutoff, summed per
# hour in paper_fresh, where the cutoff's own hour is summed from its links instead. All are
# short index range reads, however many posts the paper has, and none is needed when no post
# of the paper was observed since the cutoff. The links are read only when paper_fresh has
# a row for the cutoff's hour: it has one exactly when such links exist (its rows are the
# sums of those links, tests/store/test_paper_totals.py), and most papers have none.
_CUTOFF_HOUR_LINKS = """(SELECT coalesce(sum(f.reposts + f.likes), 0) FROM post_links f
                     WHERE f.arxiv_id = h.arxiv_id AND f.source = h.source AND f.gain IS NULL
                       AND f.created >= :cutoff AND f.created < (:cutoff / 3600 + 1) * 3600)"""
_TOTAL_GROWTH = f"""(CASE WHEN t.observed < :cutoff THEN 0 ELSE
    coalesce((SELECT sum(g.gain) FROM paper_gains g
            WHERE g.arxiv_id = t.arxiv_id AND g.source = t.source AND g.observed >= :cutoff), 0)
  + coalesce((SELECT sum(CASE WHEN h.hour > :cutoff / 3600 THEN h.score
                              ELSE {_CUTOFF_HOUR_LINKS} END)
            FROM paper_fresh h
            WHERE h.arxiv_id = t.arxiv_id AND h.source = t.source
              AND h.hour >= :cutoff / 3600), 0)
    END)"""

# One row per (paper, source): what a score's breakdown needs, from the totals kept at ingest.
POST_TALLIES = f"""
SELECT t.arxiv_id, t.source, t.posts, t.reposts, t.likes, t.observed AS as_of,
       {_TOTAL_GROWTH} AS growth
FROM paper_sources t
WHERE t.arxiv_id IN ({{cand}}) AND t.posts > 0
"""

SIGNAL_TALLIES = f"""
SELECT s.arxiv_id, s.source, s.metric, s.value, s.observed_at AS as_of,
       {_SIGNAL_GROWTH} AS growth
{_SIGNALS_OF_CANDIDATES}
"""

# One row per paper: the weighted sum of each source's level and growth, for ranking a whole
# window without a tally per (paper, source). {weight} is a CASE over the sources' weights.
HOT_POST_TOTALS = f"""
SELECT t.arxiv_id,
       sum(({{weight}}) * (t.reposts + t.likes + :growth_weight * {_TOTAL_GROWTH})) AS total
FROM paper_sources t
WHERE t.arxiv_id IN ({{cand}}) AND t.posts > 0
GROUP BY t.arxiv_id
"""

HOT_SIGNAL_TOTALS = f"""
SELECT s.arxiv_id,
       sum(({{weight}}) * (s.value + :growth_weight * ({_SIGNAL_GROWTH}))) AS total
{_SIGNALS_OF_CANDIDATES}
GROUP BY s.arxiv_id
"""


# One paper's best posts, LIMIT rows deep in post_links_top however many posts the paper has;
# the posts' details and other links are read for those rows only.
_TOP_POSTS_OF = """
SELECT * FROM (
    SELECT p.*, l.arxiv_id AS shown_for, l.reposts + l.likes AS score,
           (SELECT group_concat(x.arxiv_id, ' ') FROM post_links x
            WHERE x.source = p.source AND x.post_id = p.post_id) AS linked
    FROM (SELECT arxiv_id, source, post_id, reposts, likes FROM post_links
          WHERE arxiv_id = :id{n} AND reposts + likes >= :min_score
          ORDER BY reposts + likes DESC, source, post_id LIMIT :limit) AS l
    CROSS JOIN posts p ON p.source = l.source AND p.post_id = l.post_id)
"""
TOP_POSTS_BATCH = 200  # papers per statement (SQLite allows 500 terms in a UNION ALL)


def top_posts(count: int) -> str:
    """The best posts of `count` papers (:id0 .. :id{count-1}) in one statement."""
    return " UNION ALL ".join(_TOP_POSTS_OF.replace("{n}", str(n)) for n in range(count))


# The running totals of paper_sources and paper_gains follow each ingest: the links of the
# ingested posts are taken out before their counts are refreshed and put back after, as one
# statement per table for the whole batch, row by row (no sort of the batch). :keys is a JSON
# list of [source, post_id]; links never counted yet (observed 0) are left alone.
_BATCH_LINKS = """
FROM json_each(:keys) AS k
CROSS JOIN post_links l ON l.source = k.value ->> 0 AND l.post_id = k.value ->> 1
WHERE l.observed > 0
"""
TOTALS_ADD = f"""
INSERT INTO paper_sources (arxiv_id, source, posts, reposts, likes, observed)
SELECT l.arxiv_id, l.source, :sign, :sign * l.reposts, :sign * l.likes, l.observed
{_BATCH_LINKS}
ON CONFLICT (arxiv_id, source) DO UPDATE SET
    posts = posts + excluded.posts, reposts = reposts + excluded.reposts,
    likes = likes + excluded.likes, observed = max(observed, excluded.observed)
"""
GAINS_ADD = f"""
INSERT INTO paper_gains (arxiv_id, source, observed, posts, gain)
SELECT l.arxiv_id, l.source, l.observed, :sign, :sign * l.gain
{_BATCH_LINKS} AND l.gain IS NOT NULL
ON CONFLICT (arxiv_id, source, observed) DO UPDATE SET
    posts = posts + excluded.posts, gain = gain + excluded.gain
"""
FRESH_ADD = f"""
INSERT INTO paper_fresh (arxiv_id, source, hour, posts, score)
SELECT l.arxiv_id, l.source, l.created / 3600, :sign, :sign * (l.reposts + l.likes)
{_BATCH_LINKS} AND l.gain IS NULL AND l.created IS NOT NULL
ON CONFLICT (arxiv_id, source, hour) DO UPDATE SET
    posts = posts + excluded.posts, score = score + excluded.score
"""
TOTALS = (TOTALS_ADD, GAINS_ADD, FRESH_ADD)
PRUNE = ("DELETE FROM paper_gains WHERE posts = 0", "DELETE FROM paper_fresh WHERE posts = 0")

SIGNAL_LINKS = """
SELECT arxiv_id, source, metric, url FROM signals_latest
WHERE url != '' AND arxiv_id IN (SELECT value FROM json_each(:ids))
ORDER BY arxiv_id, source, metric
"""

PAPERS_BY_ID = "SELECT * FROM papers WHERE arxiv_id IN (SELECT value FROM json_each(:ids))"

# Births read from the papers_born index alone: a window's papers without their abstracts.
BIRTHS = "SELECT arxiv_id, announced, published FROM papers WHERE day >= :since AND day < :until"
BIRTHS_OF = """
SELECT arxiv_id, announced, published FROM papers
WHERE arxiv_id IN (SELECT value FROM json_each(:ids))
"""

# Each max() is one step down an index (posts_observed, signals_observed).
LATEST_OBSERVATION = """
SELECT max(t) AS t FROM (SELECT max(observed_at) AS t FROM posts
                         UNION ALL SELECT max(observed_at) FROM signals)
"""


def params(
    since: date | None, until: date | None, cutoff: datetime, ids: Iterable[str] | None
) -> dict[str, Any]:
    """Parameters of the tally queries: window or ids, and the growth cutoff in both spellings."""
    params: dict[str, Any] = {
        **window(since, until),
        "cutoff": int(cutoff.timestamp()),
        "cutoff_iso": to_iso(cutoff),
    }
    if ids is not None:
        params["ids"] = json.dumps(sorted(set(ids)))
    params["bounded"] = since is not None or until is not None
    return params


def for_candidates(sql: str, params: Mapping[str, Any]) -> str:
    """The query for the candidate papers its parameters name."""
    return candidates(sql, bounded=bool(params["bounded"]), listed="ids" in params)


def window(since: date | None, until: date | None) -> dict[str, str]:
    """SQL parameters for an announcement window; an open end is a bound no day passes."""
    return {
        "since": since.isoformat() if since else "0000-00-00",
        "until": until.isoformat() if until else "9999-99-99",
    }
