"""The Atom feed, read back by feedparser (a real feed client) and checked against RFC 4287."""

from __future__ import annotations

from datetime import UTC, date, datetime
from xml.etree import ElementTree as ET

import feedparser

from bot.site.feed import ATOM, FeedEntry, entry_id, render_atom
from tests.site.support import HOSTILE_TITLE, TODAY, YESTERDAY, world

A = f"{{{ATOM}}}"


def entries() -> list[FeedEntry]:
    return [
        FeedEntry(
            day=date(2026, 11, d), title=f"Hot Papers 2026-11-{d}",
            link=f"days/2026-11-{d}/", published=datetime(2026, 11, d, 8, tzinfo=UTC),
            summary="2 papers", html=f"<p>Day {d} &amp; <b>more</b></p>",
        )
        for d in (26, 25)
    ]  # fmt: skip


def test_the_feed_has_every_required_element_and_html_content() -> None:
    body = render_atom(title="Hot Papers", seed="https://example.org/hot/",
                       base_url="https://example.org/hot/", entries=entries(),
                       generated_at=datetime(2026, 11, 27, tzinfo=UTC))  # fmt: skip
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Hot Papers" and feed.feed.id.startswith("urn:uuid:")
    assert feed.feed.updated == "2026-11-26T08:00:00Z"  # the newest entry's time
    assert tuple(feed.feed.updated_parsed)[:6] == (2026, 11, 26, 8, 0, 0)
    assert feed.feed.author == "Hot Papers"
    assert feed.feed.links[0].href == "https://example.org/hot/feed.atom"
    assert [e.link for e in feed.entries] == [
        "https://example.org/hot/days/2026-11-26/", "https://example.org/hot/days/2026-11-25/",
    ]  # fmt: skip
    first = feed.entries[0]
    assert first.id == entry_id("https://example.org/hot/", "days/2026-11-26/")
    assert first.updated == "2026-11-26T08:00:00Z" and first.published == first.updated
    assert first.content[0].type == "text/html"
    assert first.content[0].value == "<p>Day 26 &amp; <b>more</b></p>"
    root = ET.fromstring(body)
    for entry in root.iter(f"{A}entry"):
        assert {c.tag for c in entry} >= {f"{A}{t}" for t in ("id", "title", "updated", "link")}


def test_ids_are_stable_and_do_not_depend_on_where_the_feed_is_read() -> None:
    def ids(base: str) -> list[str]:
        body = render_atom(title="T", seed="hotpapers:", base_url=base, entries=entries(),
                           generated_at=datetime(2026, 11, 27, tzinfo=UTC))  # fmt: skip
        return [e.id for e in feedparser.parse(body).entries]

    assert ids("") == ids("https://a.example/") == ids("")
    assert len(set(ids(""))) == 2


def test_without_a_base_url_links_resolve_against_the_feeds_own_address() -> None:
    body = render_atom(title="T", seed="hotpapers:", base_url="", entries=entries(),
                       generated_at=datetime(2026, 11, 27, tzinfo=UTC))  # fmt: skip
    feed = feedparser.parse(
        body, response_headers={"content-location": "https://mirror.example/site/feed.atom"}
    )
    assert feed.entries[0].link == "https://mirror.example/site/days/2026-11-26/"


def test_characters_xml_cannot_carry_are_dropped_so_the_feed_stays_well_formed() -> None:
    bad = [FeedEntry(date(2026, 11, 26), "Hot\x00 Papers\x1b[31m", "days/x/",
                     datetime(2026, 11, 26, tzinfo=UTC), "s\x0b", "<p>x\x08</p>")]  # fmt: skip
    body = render_atom(title="T\x01", seed="s", base_url="", entries=bad,
                       generated_at=datetime(2026, 11, 26, tzinfo=UTC))  # fmt: skip
    feed = feedparser.parse(body)
    assert not feed.bozo and feed.entries[0].title == "Hot Papers[31m"


def test_the_sites_feed_has_one_entry_per_published_day_newest_first() -> None:
    w = world()
    page = w.site().render("feed.atom")
    assert page.content_type.startswith("application/atom+xml") and len(page.body) < 100_000
    feed = feedparser.parse(page.body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.title for e in feed.entries] == [f"Hot Papers {TODAY}", f"Hot Papers {YESTERDAY}"]
    html = feed.entries[0].content[0].value
    titles = [p.paper.title for p in w.published[TODAY].papers]
    assert HOSTILE_TITLE not in html and "&lt;script&gt;" in html  # escaped, shown as text
    assert titles[1] in html and html.index(titles[1]) < html.index(titles[2])
    assert "<script" not in html.lower()
    again = feedparser.parse(w.site().render("feed.atom").body)
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]
    assert [e.updated for e in again.entries] == [e.updated for e in feed.entries]
