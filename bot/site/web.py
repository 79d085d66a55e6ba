"""The site on the runner's web server: pages built in a worker thread, cached per data version.

Building a page reads SQLite and renders templates, so it never runs on the event loop (the
Discord gateway and Slack's 3-second acks share that loop). A page is rebuilt when its data
changed (a fetch stored something, a day was published); meanwhile, for up to `stale_seconds`,
the previous build is served and the new one made in the background, so readers never wait.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from bot.errors import HotpapersError
from bot.site.pages import CSP, Page, PageNotFoundError, Site

__all__ = ["HEADERS", "PageCache", "SiteServer"]

log = logging.getLogger(__name__)

HEADERS = {
    "Content-Security-Policy": f"{CSP}; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Paths that may be redirected to their directory form: letters, digits, '.', '-', '_', '/'.
_REDIRECTABLE = re.compile(r"[A-Za-z0-9._\-/]{1,200}")


@dataclass(frozen=True)
class _Entry:
    page: Page
    etag: str
    version: object
    built_at: float


class PageCache:
    """Pages by (path, query), rebuilt in a thread when the data version moves; LRU-bounded."""

    def __init__(
        self,
        build: Callable[[str, Mapping[str, str]], Page],
        version: Callable[[], object],
        *,
        stale_seconds: float = 30.0,
        max_entries: int = 512,
        max_builds: int = 2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Build pages with build(path, query); version() changes whenever the data does.

        At most max_builds pages are built at once: building is Python holding the GIL, so a
        burst of distinct pages (a crawler, searches) queues instead of starving the event loop.
        """
        self.build = build
        self.version = version
        self.stale_seconds = stale_seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], _Entry] = OrderedDict()
        self._building: dict[tuple[str, tuple[tuple[str, str], ...]], asyncio.Task[_Entry]] = {}
        self.builds = 0  # how many pages were built (for tests and the bench)
        self._slots = asyncio.Semaphore(max_builds)

    async def get(self, path: str, query: Mapping[str, str]) -> tuple[Page, str]:
        """The page and its ETag, built (off the event loop) only when the data changed."""
        key = (path, tuple(sorted(query.items())))
        version = await asyncio.to_thread(self.version)
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            if entry.version == version:
                return entry.page, entry.etag
            if self.clock() - entry.built_at < self.stale_seconds:
                self._refresh(key, path, query, version)
                return entry.page, entry.etag
        fresh = await asyncio.shield(self._refresh(key, path, query, version))
        return fresh.page, fresh.etag

    def _refresh(
        self,
        key: tuple[str, tuple[tuple[str, str], ...]],
        path: str,
        query: Mapping[str, str],
        version: object,
    ) -> asyncio.Task[_Entry]:
        """Start (or join) the one build of a page."""
        task = self._building.get(key)
        if task is None:
            task = asyncio.create_task(self._build(key, path, dict(query), version))
            self._building[key] = task
            task.add_done_callback(lambda _: self._building.pop(key, None))
        return task

    async def _build(
        self,
        key: tuple[str, tuple[tuple[str, str], ...]],
        path: str,
        query: Mapping[str, str],
        version: object,
    ) -> _Entry:
        """Build a page in a worker thread and keep it."""
        async with self._slots:
            page = await asyncio.to_thread(self.build, path, query)
        self.builds += 1
        entry = _Entry(page, f'"{hashlib.sha256(page.body).hexdigest()[:32]}"', version,
                       self.clock())  # fmt: skip
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return entry


class SiteServer:
    """Mounts the site on an aiohttp application: GET for every path no other route took."""

    def __init__(self, site: Site, *, stale_seconds: float = 30.0) -> None:
        """Serve site's pages, rebuilt when site.version() changes."""
        self.site = site
        self.cache = PageCache(self._page, site.version, stale_seconds=stale_seconds)

    def attach(self, web_app: web.Application) -> None:
        """Add the catch-all route; mount it after every other route (it takes any GET)."""
        web_app.router.add_get("/{path:.*}", self.handle)

    def _page(self, path: str, query: Mapping[str, str]) -> Page:
        """Build one page, or the page that says why there is none (runs in a worker thread)."""
        try:
            return self.site.render(path, query)
        except PageNotFoundError:
            return self.site.not_found(path)
        except HotpapersError as error:
            log.warning("site: %s: %s", path or "/", error)
            return self.site.error(path, 503, str(error))
        except Exception:
            log.exception("site: building %s failed", path or "/")
            return self.site.error(path, 500, "This page could not be built; the log says why.")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve a page with the security headers, answering If-None-Match with 304."""
        path = request.match_info["path"]
        if path and not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
            return self._redirect(path, request.query_string)
        query = {"q": request.query.get("q", "")} if path == "search/" else {}
        page, etag = await self.cache.get(path, query)
        headers = {**HEADERS, "ETag": etag, "Cache-Control": _cache_control(path, page)}
        if page.status == 200 and etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        return web.Response(
            body=page.body, status=page.status, content_type=page.content_type.split(";")[0],
            charset="utf-8" if "charset" in page.content_type else None, headers=headers,
        )  # fmt: skip

    def _redirect(self, path: str, query_string: str) -> web.StreamResponse:
        """'days/2026-11-26' -> '2026-11-26/', relative, so it works behind any path prefix."""
        if not _REDIRECTABLE.fullmatch(path) or "//" in path or ".." in path:
            page = self.site.not_found(path)
            return web.Response(body=page.body, status=404, content_type="text/html",
                                charset="utf-8", headers=HEADERS)  # fmt: skip
        location = path.rsplit("/", 1)[-1] + "/" + (f"?{query_string}" if query_string else "")
        raise web.HTTPMovedPermanently(location, headers=HEADERS)


def _cache_control(path: str, page: Page) -> str:
    """Files change with releases only; pages are revalidated on every visit (a cheap 304)."""
    if page.status != 200:
        return "no-store"
    return "public, max-age=3600" if path.startswith("static/") else "no-cache"
