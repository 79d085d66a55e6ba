"""Papers that posts and signals link but the store lacks, looked up through the arXiv API."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import datetime

from bot.config import Settings
from bot.sources import arxiv_api
from bot.sources.arxiv_api import Found
from bot.sources.base import Listener
from bot.sources.http import PoliteHttp
from bot.store import Store
from bot.timeutil import to_iso

__all__ = ["MAX_ATTEMPTS", "lookup_papers", "missing_ids"]

NAME = "arxiv-lookup"
# An id the API keeps dropping (withdrawn, mistyped in a post) is asked for this many runs.
MAX_ATTEMPTS = 3

# Candidates are kept at ingest (paper_pending), so finding them costs what they number.
_MISSING = """
SELECT arxiv_id FROM paper_pending
WHERE arxiv_id NOT IN (SELECT arxiv_id FROM source_lookup_misses WHERE attempts >= ?)
ORDER BY seen DESC, arxiv_id
LIMIT ?
"""


def missing_ids(store: Store, limit: int, exclude: Collection[str] = ()) -> list[str]:
    """Linked ids with no paper (nor in exclude), most recently seen first."""
    rows = store.query(_MISSING, (MAX_ATTEMPTS, limit + len(exclude)))
    return [row["arxiv_id"] for row in rows if row["arxiv_id"] not in exclude][:limit]


def _record_misses(store: Store, dropped: Sequence[str], at: datetime) -> None:
    """Count another failed attempt for each id the API did not return."""
    with store.transaction() as tx:
        tx.executemany(
            "INSERT INTO source_lookup_misses (arxiv_id, attempts, last_attempt) VALUES (?, 1, ?)"
            " ON CONFLICT (arxiv_id) DO UPDATE SET attempts = attempts + 1,"
            " last_attempt = excluded.last_attempt",
            [(arxiv_id, to_iso(at)) for arxiv_id in dropped],
        )


async def lookup_papers(
    store: Store,
    http: PoliteHttp,
    settings: Settings,
    ids: Sequence[str],
    now: datetime,
    listener: Listener | None = None,
) -> Found:
    """Fetch papers for linked ids; count a miss for each id the API does not return."""
    if not ids:
        return Found({}, [])

    def step(message: str, done: int, total: int) -> None:
        if listener is not None:
            listener.step(NAME, message, done, total)

    api_url = settings.env.arxiv_api_url
    found = await arxiv_api.fetch_papers(http, api_url, ids, step, source=NAME)
    await asyncio.to_thread(_record_misses, store, found.missing, now)
    return found
