"""Before `hotpapers digest` ranks the store: fetch first when nothing fresh is there."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.errors import NetworkError

# A fresh store is the common case: HTTP and the sources are imported only when fetching.
if TYPE_CHECKING:
    import httpx

    from bot.config import Settings
    from bot.store import Store

__all__ = ["OfflineError", "ensure_fresh", "is_fresh"]

log = logging.getLogger("hotpapers.freshness")
# Data observed this recently is fresh enough for a digest; the scheduler refreshes every 2 h.
FRESH_FOR = timedelta(hours=6)
EXAMPLE = "examples/hot-papers-2021-06-25.json"
REACH_SECONDS = 10.0  # how long the check that arXiv answers at all may take


class OfflineError(NetworkError):
    """The sources cannot be reached and the store has nothing to rank."""


def is_fresh(store: Store, now: datetime, day: date) -> bool:
    """Whether the store holds the day's papers and observations from the last few hours."""
    latest = store.latest_observation()
    if latest is None or now - latest > FRESH_FOR:
        return False
    return bool(store.births(day - timedelta(days=1), day + timedelta(days=1)))


async def _reachable(client: httpx.AsyncClient, url: str) -> str | None:
    """None when the host answers at all; otherwise why not, in a few words."""
    import asyncio

    import httpx

    try:
        async with asyncio.timeout(REACH_SECONDS):  # in all: a host may trickle its headers
            await client.head(url, timeout=REACH_SECONDS)
    except TimeoutError:
        return f"no answer within {REACH_SECONDS:g} s"
    except httpx.TransportError as error:
        reason = str(error) or type(error).__name__
        return reason.split("] ")[-1]  # "[Errno -2] Name or service not known" -> the words
    return None


async def _fetch(
    store: Store, settings: Settings, day: date | None, transport: httpx.AsyncBaseTransport | None
) -> bool:
    """Check arXiv answers, then run every enabled source once; True if every source worked."""
    from bot.sources import Sessions, fetch_sources
    from bot.sources.http import make_client

    url = settings.env.arxiv_rss_url
    host = urlsplit(url).hostname or url
    async with make_client(settings.config.sources, transport) as client:
        why = await _reachable(client, url)
        if why is not None:
            raise OfflineError(
                f"cannot reach {host} ({why}): check the network or proxy (ARXIV_RSS_URL,"
                f" HTTPS_PROXY), or rank the bundled example offline: hotpapers digest"
                f" --snapshot {EXAMPLE} --ranking seed"
            )
        log.info("the store has nothing fresh: fetching the sources first")
        report = await fetch_sources(store, settings, client, day=day, sessions=Sessions())
    log.log(logging.WARNING if report.failed else logging.INFO, "%s", report.headline())
    return report.ok


def ensure_fresh(
    store: Store,
    settings: Settings,
    now: datetime,
    day: date | None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> bool:
    """Fetch first unless the store is fresh or a past day was asked for (history is kept).

    True when it fetched and some source failed (or none could be reached): the digest is
    then made from partial data, which `hotpapers digest` reports with its exit status.
    """
    target = day or now.date()
    if target < now.date() or is_fresh(store, now, target):
        return False
    import asyncio

    try:
        return not asyncio.run(_fetch(store, settings, day, transport))
    except OfflineError:
        if store.latest_observation() is None:
            raise
        log.warning("sources unreachable: ranking what the store already has")
        return True
