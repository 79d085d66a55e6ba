"""The site in a real browser: headless Chromium (Debian's package) over the DevTools protocol.

The runner posts the day's Markdown blog post as it does with no chat tokens; then a browser
reads the hot list, the day's page (against the post that was written), a paper's chart, on a
desktop and a phone, light and dark, with and without JavaScript, and a static copy of the site
served under a sub-path. Any console error, uncaught exception, CSP violation, failed load or
script dialog fails the test.
"""

from __future__ import annotations

import asyncio
import io
import re
import statistics
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import feedparser
import httpx
import png
import pytest
import pytest_asyncio
from aiohttp import web

from bot.adapters.markdown import MarkdownChannel
from bot.app import App, build_app, build_runner
from bot.delivery.runner import Runner
from bot.models import SocialPost
from bot.site import queries as q
from bot.site.build import build_site
from bot.site.pages import CSP, Site
from tests.delivery.support import NINE_BERLIN, Clock, make_settings
from tests.site.chromium import EXECUTABLE, Browser, Tab, chromium
from tests.site.support import HOSTILE_ID, HOSTILE_TITLE, TODAY, fill, serving, until

pytestmark = pytest.mark.skipif(
    EXECUTABLE is None,
    reason="chromium is not installed (apt-get install chromium; .ci/run installs it)",
)
# One browser serves the module (each test has its own tabs and servers), so its loop does too.
in_the_browsers_loop = pytest.mark.asyncio(loop_scope="module")

ARTICLE_IDS = "[...document.querySelectorAll('article.paper')].map(a => a.dataset.arxivId)"


@dataclass
class Served:
    """A runner that posted today's blog post, and where it serves."""

    app: App
    runner: Runner
    base: str
    post: Path


@pytest_asyncio.fixture(loop_scope="module")
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    """`hotpapers run` with no chat tokens at 08:30 UTC: it writes (and so publishes) the post."""
    settings = make_settings(tmp_path)
    clock = Clock(NINE_BERLIN.replace(minute=30))
    app = build_app(settings, clock=clock)
    fill(app.store)
    runner = build_runner(app, channels={"markdown": MarkdownChannel(settings.config.markdown)})
    task = asyncio.create_task(runner.run(host="127.0.0.1", port=0))
    try:
        await until(lambda: runner.port is not None and q.latest_day(app.store) is not None)
        post = settings.config.markdown.folder / f"hot-papers-{TODAY}.md"
        yield Served(app, runner, f"http://127.0.0.1:{runner.port}/", post)
    finally:
        runner.stop.set()
        await asyncio.wait_for(task, 20)
        await app.aclose()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    """One Chromium for the module: starting one costs more than most tests here."""
    async with chromium() as instance:
        yield instance


async def visit(tab: Tab, url: str) -> None:
    """Load a page and insist that nothing went wrong while it loaded."""
    await tab.goto(url)
    assert tab.problems == [], f"{url}: {tab.problems}"
    assert tab.dialogs == [], f"{url} ran script: {tab.dialogs}"


def variance(screenshot: bytes) -> float:
    """The variance of the grey levels of a PNG (0 for a blank page)."""
    width, _, rows, _ = png.Reader(bytes=screenshot).asRGBA8()
    greys: list[float] = []
    for y, row in enumerate(rows):
        if y % 4:
            continue
        greys.extend((row[x] + row[x + 1] + row[x + 2]) / 3 for x in range(0, width * 4, 16))
    return float(statistics.pvariance(greys))


def markdown_ids(post: Path) -> list[str]:
    """The papers of a blog post, in the order it lists them."""
    return re.findall(r"\[abs\]\(https://arxiv\.org/abs/([^)]+)\)", post.read_text())


@in_the_browsers_loop
async def test_the_served_site_shows_the_hot_list_the_posted_day_and_a_paper_chart(
    served: Served, browser: Browser
) -> None:
    tab = await browser.new_tab()
    await tab.viewport(1280, 900)
    await visit(tab, served.base)
    expected = served.app.service.digest(ranking="hot")
    assert await tab.eval(ARTICLE_IDS) == [p.paper.arxiv_id for p in expected.papers]
    assert await tab.eval("document.querySelectorAll('svg.spark path').length") == 10
    assert variance(await tab.screenshot()) > 100  # text, cards and colour, not a blank page

    # The day's page is the post the runner wrote, paper for paper, in its order.
    await visit(tab, f"{served.base}days/{TODAY}/")
    posted = markdown_ids(served.post)
    assert len(posted) == 10 and await tab.eval(ARTICLE_IDS) == posted
    ranks = await tab.eval("[...document.querySelectorAll('.rank')].map(r => r.textContent)")
    assert ranks == [f"{n}." for n in range(1, 11)]

    # New attention reorders the hot list but never the posted day.
    last = posted[-1]
    flood = SocialPost("hackernews", "flood", "https://news.example/1", (last,),
                       served.app.clock(), likes=50_000)  # fmt: skip
    served.app.store.ingest(posts=[flood], seen_at=served.app.clock())
    served.runner.site.cache.stale_seconds = 0  # type: ignore[union-attr]
    await visit(tab, served.base)
    assert (await tab.eval(ARTICLE_IDS))[0] == last
    await visit(tab, f"{served.base}days/{TODAY}/")
    assert await tab.eval(ARTICLE_IDS) == posted

    # A paper's page draws its engagement per source as SVG.
    await visit(tab, f"{served.base}papers/{posted[1]}/")
    charts = await tab.eval(
        "[...document.querySelectorAll('svg.chart')].map(s => ({"
        " d: s.querySelector('path.line').getAttribute('d'),"
        " dots: s.querySelectorAll('circle').length,"
        " width: s.getBoundingClientRect().width,"
        " label: document.getElementById(s.getAttribute('aria-labelledby').split(' ')[0])"
        "   .textContent}))"
    )
    assert charts and all(c["dots"] > 0 and len(c["d"]) > 10 and c["width"] > 300 for c in charts)
    assert any(c["label"].startswith("HN") for c in charts)

    for path in ("days/", f"days/{TODAY:%Y}/", "search/?q=attention", "no/such/page/"):
        await tab.goto(served.base + path)
        assert tab.problems == [] or path.startswith("no/"), tab.problems
        tab.problems.clear()


@in_the_browsers_loop
async def test_the_feed_is_linked_from_every_page_and_reads_back_as_atom(
    served: Served, browser: Browser
) -> None:
    tab = await browser.new_tab()
    for path in ("", f"days/{TODAY}/", f"papers/{HOSTILE_ID}/", "days/"):
        await visit(tab, served.base + path)
        href = await tab.eval(
            "document.querySelector('link[rel=alternate][type=\"application/atom+xml\"]').href"
        )
        assert href == f"{served.base}feed.atom"
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{served.base}feed.atom")
    feed = feedparser.parse(response.content, response_headers={
        "content-location": f"{served.base}feed.atom",
        "content-type": response.headers["content-type"],
    })  # fmt: skip
    assert not feed.bozo and feed.version == "atom10"
    [entry] = feed.entries
    assert entry.link == f"{served.base}days/{TODAY}/" and entry.content[0].type == "text/html"
    await visit(tab, entry.link)


@in_the_browsers_loop
async def test_pages_fit_a_phone_and_follow_the_readers_dark_mode(
    served: Served, browser: Browser
) -> None:
    tab = await browser.new_tab()
    await tab.viewport(390, 844, mobile=True)
    for path in ("", f"days/{TODAY}/", f"papers/{HOSTILE_ID}/", "search/?q=attention"):
        await visit(tab, served.base + path)
        overflow = await tab.eval("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
    background = "getComputedStyle(document.body).backgroundColor"
    await tab.color_scheme("light")
    light = await tab.eval(background)
    await tab.color_scheme("dark")
    dark = await tab.eval(background)
    assert light == "rgb(253, 252, 250)" and dark == "rgb(21, 20, 18)"
    assert variance(await tab.screenshot()) > 100


@in_the_browsers_loop
async def test_charts_and_pages_read_with_javascript_off_and_hostile_data_runs_nothing(
    served: Served, browser: Browser
) -> None:
    tab = await browser.new_tab()
    await tab.javascript(False)
    await visit(tab, f"{served.base}papers/{served.app.service.digest().papers[1].paper.arxiv_id}/")
    await tab.javascript(True)
    # (evaluate works with page script off: the DOM the server sent has the charts)
    assert await tab.eval("document.querySelectorAll('svg.chart path.line').length") >= 1
    for path in ("", f"days/{TODAY}/", "search/?q=%3Cscript%3E", f"papers/{HOSTILE_ID}/"):
        await visit(tab, served.base + path)
        assert await tab.eval("document.querySelectorAll('script, iframe, img').length") == 0
    assert await tab.eval("document.querySelector('h1').textContent") == HOSTILE_TITLE


@in_the_browsers_loop
async def test_the_check_for_console_errors_catches_a_csp_violation(browser: Browser) -> None:
    async def page(request: web.Request) -> web.Response:
        html = "<!doctype html><title>x</title><script>alert(1)</script>"
        headers = {"Content-Security-Policy": CSP}
        return web.Response(text=html, content_type="text/html", headers=headers)

    app = web.Application()
    app.router.add_get("/", page)
    async with serving(app) as base:
        tab = await browser.new_tab()
        await tab.goto(base)
        await asyncio.sleep(0.2)
        assert any("Content Security Policy" in p for p in tab.problems), tab.problems
        assert tab.dialogs == []


@in_the_browsers_loop
async def test_a_static_build_works_under_a_sub_path_with_its_search(
    served: Served, browser: Browser, tmp_path: Path
) -> None:
    app = served.app
    build_site(Site(app.store, app.service, app.settings.config, static=True), tmp_path / "out")
    out = (tmp_path / "out").resolve()

    async def pages(request: web.Request) -> web.StreamResponse:
        """Files as GitHub Pages serves a project site: a folder's index.html for 'dir/'."""
        name = request.match_info["tail"]
        target = out / (name + "index.html" if name == "" or name.endswith("/") else name)
        if not target.resolve().is_relative_to(out) or not target.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(target)

    files = web.Application()
    files.router.add_get("/project/{tail:.*}", pages)
    async with serving(files) as root:
        base = f"{root}project/"
        tab = await browser.new_tab()
        await visit(tab, base)
        hrefs = await tab.eval(
            "[...document.querySelectorAll('a[href], link[href]')].map(a => a.href)"
            ".filter(h => h.startsWith(location.origin))"
        )
        assert hrefs and all(h.startswith(base) for h in hrefs)  # relative: stays in /project/
        async with httpx.AsyncClient(follow_redirects=True) as client:
            for href in sorted(set(hrefs)):
                assert (await client.get(href)).status_code == 200, href
        await visit(tab, f"{base}search/?q=attention+number+4")
        await until(lambda: tab.eval("document.querySelectorAll('#search-results li').length"))
        found = await tab.eval(
            "[...document.querySelectorAll('#search-results a')].map(a => a.href)"
        )
        assert f"{base}papers/2611.00004/" in found
        assert tab.problems == []


def test_screenshots_are_checked_for_content() -> None:
    blank = png_bytes([[255] * 30] * 10)
    assert variance(blank) == 0


def png_bytes(rows: list[list[int]]) -> bytes:
    """A tiny RGB PNG, for checking the blank-page check itself."""
    out = io.BytesIO()
    png.Writer(width=len(rows[0]) // 3, height=len(rows), greyscale=False).write(out, rows)
    return out.getvalue()
