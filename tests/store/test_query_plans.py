"""The hot queries' plans: index reads sized by what is shown or ranked, never a big scan.

EXPLAIN QUERY PLAN is checked on a store without ANALYZE statistics, as `hotpapers` runs
(SQLite then assumes large tables), so each plan is the one production gets. Structural only:
how fast these run on production-shaped stores is measured by bench/bench_rank.py.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from bot.sources import lookup
from bot.sources.health import source_migrations
from bot.store import Store
from bot.store import queries as q
from bot.store.migrations import APPLIED
from tests.factories import NOW, paper, post, signal

# Tables that grow with the store: reading one whole is a full scan of production data.
BIG = ("papers", "posts", "post_observations", "post_links", "signals", "signals_latest",
       "paper_sources", "paper_gains", "paper_fresh", "shown", "paper_pending")  # fmt: skip
WINDOW = {"since": "2026-11-20", "until": "2026-11-27", "bounded": True}
CUTOFF = {"cutoff": int(NOW.timestamp()) - 86_400, "cutoff_iso": "2026-11-25T12:00:00Z"}
IDS = {"ids": json.dumps(["2611.00001", "2611.00002"])}
METRICS = {"metrics": json.dumps(["upvotes"])}
WEIGHT = "CASE {alias}.source WHEN 'x' THEN 1.0 WHEN 'huggingface' THEN 2.0 ELSE 0 END"


def _hot(sql: str, alias: str) -> str:
    return q.for_candidates(sql, WINDOW).replace("{weight}", WEIGHT.format(alias=alias))


def _top_posts(count: int) -> tuple[str, dict[str, Any]]:
    return q.top_posts(count), {
        **{f"id{n}": f"2611.0000{n + 1}" for n in range(count)},
        "min_score": 0,
        "limit": 3,
    }


HOT_PATHS: dict[str, tuple[str, Any]] = {
    "hot totals of a window (posts)": (
        _hot(q.HOT_POST_TOTALS, "t"), {**WINDOW, **CUTOFF, "growth_weight": 0.5}),
    "hot totals of a window (signals)": (
        _hot(q.HOT_SIGNAL_TOTALS, "s"), {**WINDOW, **CUTOFF, **METRICS, "growth_weight": 0.5}),
    "births of a window": (q.BIRTHS, WINDOW),
    "seed tallies of a window": (q.for_candidates(q.POST_TALLIES, WINDOW), {**WINDOW, **CUTOFF}),
    "tallies of shown papers": (
        q.for_candidates(q.POST_TALLIES, {**IDS, "bounded": False}), {**IDS, **CUTOFF}),
    "signal tallies of shown papers": (
        q.for_candidates(q.SIGNAL_TALLIES, {**IDS, "bounded": False}),
        {**IDS, **CUTOFF, **METRICS}),
    "births of shown papers": (q.BIRTHS_OF, IDS),
    "shown papers": (q.PAPERS_BY_ID, IDS),
    "links of shown papers": (q.SIGNAL_LINKS, IDS),
    "top posts of one paper": _top_posts(1),
    "top posts of ten papers": _top_posts(10),
    "newest observation": (q.LATEST_OBSERVATION, {}),
    "every command's start: a feature's applied migrations": (APPLIED, {"set": "hotpapers-core"}),
    "ingest: totals follow the batch": (
        q.TOTALS_ADD, {"keys": json.dumps([["x", "1"]]), "sign": 1}),
    "ingest: gains follow the batch": (
        q.GAINS_ADD, {"keys": json.dumps([["x", "1"]]), "sign": -1}),
    "ingest: hourly fresh counts follow the batch": (
        q.FRESH_ADD, {"keys": json.dumps([["x", "1"]]), "sign": 1}),
    "ingest: empty gain rows go": (q.PRUNE[0], {}),
    "ingest: empty fresh rows go": (q.PRUNE[1], {}),
    "ingest: link counts": (q.LINK_COUNTS_UPDATE, {"source": "x", "post_id": "1"}),
    "ingest: post baseline": (
        q.POST_BASE_UPDATE, {"source": "x", "post_id": "1", "offset": "-86400 seconds"}),
    "ingest: a linked id with no paper waits": (
        q.PENDING_ADD, {"arxiv_id": "2611.00009", "seen": "2026-11-26T12:00:00Z"}),
    "ingest: a paper ends its wait": (q.PENDING_DONE, ("2611.00009",)),
    "ingest: signal baseline": (
        q.SIGNAL_BASE_UPDATE,
        {"arxiv_id": "2611.00001", "source": "huggingface", "metric": "upvotes",
         "offset": "-86400 seconds"}),
}  # fmt: skip


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    """A store's database with a little of everything, opened on a connection of our own."""
    path = tmp_path_factory.mktemp("plans") / "plans.db"
    store = Store(path)
    store.migrate(source_migrations)
    day = date(2026, 11, 26)
    store.ingest(
        [paper(f"2611.0000{i}", announced=day) for i in range(1, 4)],
        [post(str(i), (f"2611.0000{i}",), likes=i) for i in range(1, 4)],
        [signal("2611.00001")],
        seen_at=NOW,
    )
    store.close()
    connection = sqlite3.connect(path)
    yield connection
    connection.close()


def plan(conn: sqlite3.Connection, sql: str, params: Any) -> list[str]:
    """The plan's steps, one line each."""
    return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def test_the_store_has_no_planner_statistics_so_plans_match_production(
    conn: sqlite3.Connection,
) -> None:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "sqlite_stat1" not in tables


@pytest.mark.parametrize("name", sorted(HOT_PATHS))
def test_hot_query_reads_indexes_without_full_scans_or_temp_sorts(
    conn: sqlite3.Connection, name: str
) -> None:
    sql, params = HOT_PATHS[name]
    steps = plan(conn, sql, params)
    scans = [s for s in steps if s.startswith("SCAN ") and s.split()[1] in BIG]
    assert not scans, f"{name} scans a whole table: {steps}"
    assert not [s for s in steps if "TEMP B-TREE" in s], f"{name} sorts in a temp b-tree: {steps}"


def test_top_posts_read_the_best_posts_first_from_their_index(conn: sqlite3.Connection) -> None:
    steps = plan(conn, *_top_posts(1))
    assert any("post_links_top" in s for s in steps), steps


def test_hot_totals_read_the_running_totals_not_the_links(conn: sqlite3.Connection) -> None:
    sql, params = HOT_PATHS["hot totals of a window (posts)"]
    steps = plan(conn, sql, params)
    assert any(s.startswith("SEARCH t USING PRIMARY KEY") for s in steps), steps
    # post_links is only read for posts written since the cutoff that have no baseline yet.
    links = [s for s in steps if " f " in f" {s} " or s.startswith("SEARCH f ")]
    assert links and all("post_links_fresh" in s for s in links), steps


def test_births_come_from_the_index_alone(conn: sqlite3.Connection) -> None:
    steps = plan(conn, *HOT_PATHS["births of a window"])
    assert steps == ["SEARCH papers USING COVERING INDEX papers_born (day>? AND day<?)"], steps


def test_lookup_candidates_are_read_newest_first_from_their_index_up_to_the_limit(
    conn: sqlite3.Connection,
) -> None:
    steps = plan(conn, lookup._MISSING, (3, 100))
    assert steps[0] == "SCAN paper_pending USING COVERING INDEX paper_pending_seen", steps
    assert not [s for s in steps if "TEMP B-TREE" in s], steps
