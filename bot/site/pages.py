"""Every page of the site, by path: the same pages served by `hotpapers run` and built as files.

Paths are relative to the site root ('' is the hot list, 'days/2026-11-26/' a day) and pages
link to each other relatively, so a static copy works under any sub-path (GitHub Pages).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from importlib import resources
from typing import Any

from bot.config import Config
from bot.delivery.schema import migrations as delivery_migrations
from bot.digest import render_json
from bot.ids import InvalidArxivIdError, normalize_arxiv_id
from bot.models import SOURCE_LABELS, Digest, RankedPaper
from bot.rank import unit_of
from bot.service import HotPapersService
from bot.site import queries as q
from bot.site.chart import Chart, Series, Spark, chart, combine, sparkline
from bot.site.feed import FeedEntry, render_atom
from bot.site.render import environment, paper_path
from bot.store import Store
from bot.timeutil import utcnow

__all__ = ["CSP", "MAX_QUERY", "Page", "PageNotFoundError", "Site"]

# No inline script or style anywhere: same-origin files only. frame-ancestors only works as a
# header, so the served site adds it (a <meta> policy holding it logs a console error).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'"
)
MAX_QUERY = 200  # characters of a search
DAY_PAGE_BUDGET = 80_000  # bytes of paper cards on one page of a day (the page stays < 100 KB)
PER_DAY_PAGE = 25  # papers on one page of a day at most
JSON_AUTHORS = 50  # authors per paper in hot.json (a collaboration lists thousands)
JSON_TEXT = 2_000  # characters of a title or post text in hot.json
POSTS_PER_PAPER = 50  # posts listed on a paper's page, most engaged first
SPARK_POSTS = 100  # posts a sparkline follows observation by observation (see post_series)
FEED_ENTRIES = 20  # days in the feed, newest first...
FEED_BUDGET = 90_000  # ...while the feed stays under this many bytes
FEED_PAPERS = 25  # papers per feed entry; the rest are a link away
RECENT_DAYS = 60  # days listed on the archive's front page (each year has a page)
STATIC = ("site.css", "search.js", "favicon.svg")
_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".atom": "application/atom+xml; charset=utf-8",
    ".json": "application/json; charset=utf-8",
}
HTML = "text/html; charset=utf-8"


class PageNotFoundError(LookupError):
    """No page at this path."""


@dataclass(frozen=True)
class Page:
    """A rendered page: body, content type, HTTP status."""

    body: bytes
    content_type: str = HTML
    status: int = 200


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern[str]
    build: Callable[..., Page]


def _root(path: str) -> str:
    """The relative way back to the site root from a page at path ('days/x/' -> '../../')."""
    return "../" * path.count("/")


class Site:
    """Builds pages from the store: the hot list, days, papers, feed, JSON and search."""

    def __init__(
        self,
        store: Store,
        service: HotPapersService,
        config: Config,
        *,
        static: bool = False,
    ) -> None:
        """Read the store and rank through the service; static pages search with script."""
        store.migrate(delivery_migrations)  # published_digests, written by the ledger
        self.store = store
        self.service = service
        self.config = config
        self.site = config.site
        self.static = static
        self.env = environment()
        # Published digests never change: parsed digests and their page splits are kept.
        self._digests: dict[tuple[date, datetime], q.Published] = {}
        self._splits: dict[tuple[date, datetime], list[tuple[RankedPaper, ...]]] = {}
        self.routes = [
            _Route(re.compile(r""), self._home),
            _Route(re.compile(r"hot\.json"), self._hot_json),
            _Route(re.compile(r"feed\.atom"), self._feed),
            _Route(re.compile(r"days/"), self._archive),
            _Route(re.compile(r"days/(?P<year>\d{4})/"), self._year),
            _Route(
                re.compile(r"days/(?P<day>\d{4}-\d{2}-\d{2})/(?:page/(?P<page>[1-9]\d{0,3})/)?"),
                self._day,
            ),
            _Route(re.compile(r"papers/(?P<arxiv_id>[A-Za-z0-9.\-/]{1,64})/"), self._paper),
            _Route(re.compile(r"search/"), self._search),
            _Route(re.compile(r"static/(?P<name>[a-z]+\.[a-z]+)"), self._static),
        ]

    def version(self) -> tuple[int, int, str]:
        """Changes whenever a page may change: new data ingested or a day published."""
        return q.version(self.store)

    # -- dispatch --------------------------------------------------------------------------

    def render(self, path: str, query: Mapping[str, str] | None = None) -> Page:
        """The page at path (relative to the root, no leading slash).

        Raises PageNotFoundError for an unknown path and UsageError for input it refuses.
        """
        for route in self.routes:
            match = route.pattern.fullmatch(path)
            if match:
                return route.build(path, query or {}, **match.groupdict())
        raise PageNotFoundError(path)

    def not_found(self, path: str, root: str | None = None) -> Page:
        """The 404 page for a path (root: how its links reach the site root)."""
        html = self._html("error.html", _root(path) if root is None else root, section="",
                          heading="Page not found",
                          message="There is no page at this address.")  # fmt: skip
        return Page(html, HTML, 404)

    def error(self, path: str, status: int, message: str) -> Page:
        """A page saying what went wrong, in one line."""
        heading = "Bad request" if status == 400 else "Something went wrong"
        html = self._html("error.html", _root(path), section="", heading=heading, message=message)
        return Page(html, HTML, status)

    def _html(self, template: str, root: str, **values: Any) -> bytes:
        """Render a page template with what every page needs."""
        values.setdefault("query", "")
        page = self.env.get_template(template).render(
            root=root,
            csp=CSP,
            site_title=self.site.title,
            max_query=MAX_QUERY,
            built_note=f"Page made {utcnow():%Y-%m-%d %H:%M} UTC.",
            **values,
        )
        return page.encode("utf-8")

    # -- the hot list ----------------------------------------------------------------------

    def hot_digest(self) -> Digest:
        """The hot list now, as /hot and `hotpapers digest` rank it by default."""
        return self.service.digest(ranking="hot", selection=self.service.default_selection("hot"))

    def _home(self, path: str, query: Mapping[str, str]) -> Page:
        digest = self.hot_digest()
        sparks = {p.paper.arxiv_id: self._spark(p) for p in digest.papers}
        html = self._html(
            "home.html", "", section="hot", digest=digest,
            sparks={k: v for k, v in sparks.items() if v is not None},
            latest_day=q.latest_day(self.store),
            half_life=f"{self.config.ranking.hot.half_life_hours:g}",
        )  # fmt: skip
        return Page(html)

    def _spark(self, item: RankedPaper) -> Spark | None:
        """A paper's weighted engagement over time: its most engaged posts and its signals."""
        hot = self.config.ranking.hot
        arxiv_id = item.paper.arxiv_id
        posts = q.post_series(self.store, arxiv_id, follow=SPARK_POSTS)
        series = {f"post:{s}": pts for s, pts in posts.items()}
        weights = {f"post:{s}": hot.weights.get(s, 0.0) for s in hot.weights}
        for (source, metric), pts in q.signal_series(
            self.store, arxiv_id, hot.signal_metrics
        ).items():
            series[f"signal:{source}:{metric}"] = pts
            weights[f"signal:{source}:{metric}"] = hot.weights.get(source, 0.0)
        return sparkline(
            combine(series, weights),
            label=f"Weighted engagement with {item.paper.title[:80]} over time",
        )

    def _hot_json(self, path: str, query: Mapping[str, str]) -> Page:
        """`hotpapers digest --format json`'s shape, long fields shortened to keep it small."""
        digest = self.hot_digest()
        digest = replace(digest, papers=tuple(_short(p) for p in digest.papers))
        return Page(render_json(digest).encode("utf-8"), _TYPES[".json"])

    # -- days ------------------------------------------------------------------------------

    def _day(self, path: str, query: Mapping[str, str], day: str, page: str | None) -> Page:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise PageNotFoundError(path) from None
        found = self._published(when)
        if found is None:
            raise PageNotFoundError(path)
        pages = self._day_split(found.day, found.published_at)
        number = int(page or 1)
        if number > len(pages):
            raise PageNotFoundError(path)
        previous, following = q.adjacent_days(self.store, when)
        html = self._html(
            "day.html", _root(path), section="days", day=when, digest=found.digest,
            published_at=found.published_at, page=number, pages=len(pages),
            items=pages[number - 1], previous=previous, next=following,
        )  # fmt: skip
        return Page(html)

    def _published(self, day: date) -> q.Published | None:
        """A published day's digest, parsed once: it never changes after it is published."""
        when = q.published_at(self.store, day)
        if when is None:
            return None
        found = self._digests.get((day, when))
        if found is None:
            found = q.published(self.store, day)
            if found is None:
                return None
            self._digests[(day, when)] = found
            while len(self._digests) > 64:
                self._digests.pop(next(iter(self._digests)))
        return found

    def _day_split(self, day: date, published_at: datetime) -> list[tuple[RankedPaper, ...]]:
        """A published day's pages, worked out once: its digest never changes."""
        key = (day, published_at)
        split = self._splits.get(key)
        if split is None:
            found = self._published(day)
            split = self.day_pages(found.digest) if found else [()]
            self._splits[key] = split
            while len(self._splits) > 256:
                self._splits.pop(next(iter(self._splits)))
        return split

    def day_pages(self, digest: Digest) -> list[tuple[RankedPaper, ...]]:
        """A day's papers split into pages that each stay within the size budget.

        The split depends only on the frozen digest, so a day's pages never change.
        """
        card = self.env.get_template("_paper.html").module.card  # type: ignore[attr-defined]
        pages: list[tuple[RankedPaper, ...]] = []
        current: list[RankedPaper] = []
        size = 0
        for item in digest.papers:
            rendered = card(item, "../../../../", abstract=True, ranking=digest.ranking)
            cost = len(str(rendered).encode("utf-8"))
            if current and (size + cost > DAY_PAGE_BUDGET or len(current) >= PER_DAY_PAGE):
                pages.append(tuple(current))
                current, size = [], 0
            current.append(item)
            size += cost
        pages.append(tuple(current))  # an empty digest still has its one page
        return pages

    def _archive(self, path: str, query: Mapping[str, str]) -> Page:
        years = q.day_counts_by_year(self.store)
        days = q.published_days(self.store, limit=RECENT_DAYS + 1)
        html = self._html(
            "days.html", _root(path), section="days", heading="All posted digests",
            years=years, year=None, days=days[:RECENT_DAYS], more=len(days) > RECENT_DAYS,
        )  # fmt: skip
        return Page(html)

    def _year(self, path: str, query: Mapping[str, str], year: str) -> Page:
        number = int(year)
        years = q.day_counts_by_year(self.store)
        if number not in dict(years):
            raise PageNotFoundError(path)
        days = q.published_days(
            self.store, since=date(number, 1, 1), until=date(number + 1, 1, 1), limit=400
        )
        html = self._html(
            "days.html", _root(path), section="days", heading=f"Digests posted in {number}",
            years=years, year=number, days=days, more=False,
        )  # fmt: skip
        return Page(html)

    # -- papers ----------------------------------------------------------------------------

    def _paper(self, path: str, query: Mapping[str, str], arxiv_id: str) -> Page:
        try:
            normal = normalize_arxiv_id(arxiv_id)
        except InvalidArxivIdError:
            raise PageNotFoundError(path) from None
        if normal != arxiv_id:
            raise PageNotFoundError(path)  # one address per paper: no versions, no aliases
        ranked = self.service.score_now(normal)
        if ranked is None:
            raise PageNotFoundError(path)
        posts = self.store.top_posts([normal], 0, POSTS_PER_PAPER)[normal]
        html = self._html(
            "paper.html", _root(path), section="", paper=ranked.paper, ranked=ranked,
            charts=self._charts(normal), posts=posts, post_count=q.post_count(self.store, normal),
            appearances=self._appearances(normal),
        )  # fmt: skip
        return Page(html)

    def _charts(self, arxiv_id: str) -> list[Chart]:
        """One panel per source of posts and per signal metric."""
        order = {s: i for i, s in enumerate(SOURCE_LABELS)}
        panels: list[tuple[int, Series]] = []
        for source, points in sorted(q.post_series(self.store, arxiv_id).items()):
            label = SOURCE_LABELS.get(source, source)
            panels.append((order.get(source, 5), Series(label, unit_of(source), tuple(points))))
        for (source, metric), points in sorted(q.signal_series(self.store, arxiv_id).items()):
            label = SOURCE_LABELS.get(source, source)
            panels.append((order.get(source, 5), Series(label, metric, tuple(points))))
        laid = (chart(s, ident=f"chart-{i}", colour=c) for i, (c, s) in enumerate(panels[:8]))
        return [c for c in laid if c is not None]

    def _appearances(self, arxiv_id: str) -> list[dict[str, Any]]:
        """Where a paper stood in each published digest that listed it."""
        found: list[dict[str, Any]] = []
        for seen in q.appearances(self.store, arxiv_id):
            pages = self._day_split(seen.day, seen.published_at)
            for number, items in enumerate(pages, 1):
                found.extend(
                    {"day": seen.day, "rank": item.rank, "page": number,
                     "explanation": item.explanation}
                    for item in items
                    if item.paper.arxiv_id == arxiv_id
                )  # fmt: skip
        return found

    # -- feed, search, files ---------------------------------------------------------------

    def _feed(self, path: str, query: Mapping[str, str]) -> Page:
        base = self.site.base_url
        entries: list[FeedEntry] = []
        size = 2_000
        for row in q.published_days(self.store, limit=FEED_ENTRIES):
            found = self._published(row.day)
            if found is None:
                continue
            html = self.env.get_template("feed_entry.html").render(
                digest=found.digest, day=found.day, published_at=found.published_at,
                base=base, limit=FEED_PAPERS,
            )  # fmt: skip
            size += len(html.encode()) * 13 // 10 + 600  # escaped once more inside the XML
            if entries and size > FEED_BUDGET:
                break
            entries.append(FeedEntry(
                day=found.day, title=f"Hot Papers {found.day.isoformat()}",
                link=f"{base}days/{found.day.isoformat()}/", published=found.published_at,
                summary=_summary(found.digest), html=html,
            ))  # fmt: skip
        body = render_atom(
            title=self.site.title, seed=base or "hotpapers:", base_url=base, entries=entries,
            generated_at=utcnow(),
        )  # fmt: skip
        return Page(body, _TYPES[".atom"])

    def _search(self, path: str, query: Mapping[str, str]) -> Page:
        words = query.get("q", "").strip()
        values: dict[str, Any] = {"query": words, "static": self.static, "results": [],
                                  "error": "", "limit": 50, "search_count": 0}  # fmt: skip
        status = 200
        if self.static:
            values["search_count"] = len(self.search_index())
        elif len(words) > MAX_QUERY:
            values["error"] = f"Searches are limited to {MAX_QUERY} characters."
            values["query"], status = "", 400
        elif words:
            values["results"] = self.service.search(words, limit=50)
        return Page(self._html("search.html", _root(path), section="", **values), HTML, status)

    def search_index(self) -> list[dict[str, str]]:
        """What a static copy's search looks through: the papers it has pages for."""
        papers = self.store.papers_by_id(self.paper_ids())
        return [
            {"id": p.arxiv_id, "title": p.title[:300], "authors": ", ".join(p.authors[:6])}
            for p in sorted(papers.values(), key=lambda p: p.arxiv_id, reverse=True)
        ]

    def _static(self, path: str, query: Mapping[str, str], name: str) -> Page:
        if name not in STATIC:
            raise PageNotFoundError(path)
        body = resources.files("bot.site").joinpath("static", name).read_bytes()
        return Page(body, _TYPES["." + name.rsplit(".", 1)[1]])

    # -- the static build's list of pages --------------------------------------------------

    def paper_ids(self) -> set[str]:
        """The papers a static copy has pages for: today's hot list and every published day's."""
        hot = {p.paper.arxiv_id for p in self.hot_digest().papers}
        return hot | q.all_published_ids(self.store)

    def paths(self) -> Iterator[str]:
        """Every page of a static copy (search/search.json, its search index, is written apart)."""
        yield from ("", "hot.json", "feed.atom", "days/", "search/")
        yield from (f"static/{name}" for name in STATIC)
        for year, _ in q.day_counts_by_year(self.store):
            yield f"days/{year}/"
            for row in q.published_days(
                self.store, since=date(year, 1, 1), until=date(year + 1, 1, 1), limit=400
            ):
                pages = len(self._day_split(row.day, row.published_at))
                yield f"days/{row.day.isoformat()}/"
                yield from (f"days/{row.day.isoformat()}/page/{n}/" for n in range(2, pages + 1))
        yield from (paper_path(a) for a in sorted(self.paper_ids()))

    def search_json(self) -> bytes:
        """The static search index as JSON."""
        return json.dumps(self.search_index(), ensure_ascii=False).encode("utf-8")


def _summary(digest: Digest) -> str:
    """'10 papers; #1: <title>' for a feed entry."""
    count = len(digest.papers)
    text = f"{count} paper{'' if count == 1 else 's'}"
    return f"{text}; #1: {digest.papers[0].paper.title[:200]}" if count else text


def _short(item: RankedPaper) -> RankedPaper:
    """A ranked paper with its author list and long texts cut for hot.json."""
    paper = replace(
        item.paper, title=item.paper.title[:JSON_TEXT], authors=item.paper.authors[:JSON_AUTHORS]
    )
    posts = tuple(replace(p, text=p.text[:JSON_TEXT]) for p in item.posts)
    return replace(item, paper=paper, posts=posts)
