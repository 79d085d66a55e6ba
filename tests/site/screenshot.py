"""Make docs/site.png, the README's picture of the site, from the bundled 2021-06-25 snapshot.

Run: .venv/bin/python -m tests.site.screenshot [docs/site.png]
The store holds only the snapshot; its blog day is posted through the ledger, and the hot list
is ranked as of the snapshot's newest observation, then shot in headless Chromium.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from aiohttp import web

from bot.config import Config
from bot.service import HotPapersService
from bot.site.pages import Site
from bot.site.web import SiteServer
from bot.snapshot import load_snapshot
from bot.store import Store
from tests.site.chromium import chromium
from tests.site.support import fixed, publish, serving

ROOT = Path(__file__).resolve().parents[2]


async def shoot() -> bytes:
    """Serve the site from the snapshot and take a screenshot of its home page (PNG)."""
    snap = load_snapshot(ROOT / "examples/hot-papers-2021-06-25.json")
    store = Store()
    newest = max(p.observed_at for p in snap.posts)
    store.ingest(snap.papers, snap.posts, snap.signals, seen_at=newest)
    config = Config()
    service = HotPapersService(store, config, clock=fixed(newest))
    day = newest.date().replace(day=25)
    publish(store, service.digest(day=day, ranking="seed"), "markdown:posts", newest)
    app = web.Application()
    SiteServer(Site(store, service, config)).attach(app)
    async with serving(app) as base, chromium() as browser:
        tab = await browser.new_tab()
        await tab.viewport(1100, 1000)
        await tab.goto(base)
        picture = await tab.screenshot()
        assert not tab.problems, tab.problems
        return picture


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs/site.png"
    target.write_bytes(asyncio.run(shoot()))
