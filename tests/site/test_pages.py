"""Every page, built from the store: what it lists, what it refuses, how big it gets."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import feedparser
import pytest

from bot.models import Digest, Paper, SocialPost, Surge
from bot.site import queries as q
from bot.site.pages import PageNotFoundError
from bot.site.render import http_url
from tests.factories import NOW, ranked
from tests.site.html import assert_inert, tags
from tests.site.support import HOSTILE_ID, HOSTILE_TITLE, TODAY, YESTERDAY, World, publish

LIMIT = 100_000  # bytes, every page


def ids_on(body: bytes) -> list[str]:
    """The papers a page lists, in order."""
    return [a["data-arxiv-id"] for t, a in tags(body) if t == "article" and "data-arxiv-id" in a]


def test_the_home_page_lists_the_hot_list_in_rank_order(hot: World) -> None:
    digest = hot.service.digest(ranking="hot")
    body = hot.site().render("").body
    assert ids_on(body) == [p.paper.arxiv_id for p in digest.papers] and len(digest.papers) == 10
    text = body.decode()
    assert digest.papers[1].explanation in text  # every score explained
    assert text.count('class="spark"') == 10
    assert 'href="days/2026-11-26/"' in text  # the latest posted day


def test_the_json_is_the_home_pages_hot_list(hot: World) -> None:
    page = hot.site().render("hot.json")
    data = json.loads(page.body)
    assert page.content_type.startswith("application/json")
    assert [p["arxiv_id"] for p in data["papers"]] == ids_on(hot.site().render("").body)
    assert data["papers"][0]["title"] == HOSTILE_TITLE  # JSON carries data as it is


def test_a_day_page_shows_the_digest_as_posted_never_reranked(hot: World) -> None:
    posted = hot.published[YESTERDAY]
    before = hot.site().render("days/2026-11-25/").body
    assert ids_on(before) == [p.paper.arxiv_id for p in posted.papers]
    last = posted.papers[-1].paper
    # A flood of attention for yesterday's last paper changes the ranking, not the day's page.
    flood = SocialPost("hackernews", "flood", "https://news.example/1", (last.arxiv_id,), NOW,
                       likes=100_000)  # fmt: skip
    hot.store.ingest(posts=[flood], seen_at=NOW)
    ranked_now = hot.service.digest(day=YESTERDAY, ranking="hot")
    assert ranked_now.papers[0].paper.arxiv_id == last.arxiv_id
    after = hot.site().render("days/2026-11-25/").body
    assert ids_on(after) == ids_on(before)
    assert posted.papers[0].explanation in after.decode()


def test_day_pages_link_the_previous_and_next_day_and_the_index_lists_them(hot: World) -> None:
    site = hot.site()
    first, second = (site.render(f"days/{d}/").body.decode() for d in (YESTERDAY, TODAY))
    assert 'href="../../days/2026-11-26/" rel="next"' in first and 'rel="prev"' not in first
    assert 'href="../../days/2026-11-25/" rel="prev"' in second and 'rel="next"' not in second
    index = site.render("days/").body.decode()
    assert index.index("2026-11-26") < index.index("2026-11-25")
    assert 'href="../days/2026/"' in index
    assert "2026-11-25" in site.render("days/2026/").body.decode()


def test_a_paper_page_has_its_card_abstract_breakdown_chart_and_posts(hot: World) -> None:
    body = hot.site().render("papers/2611.00004/").body.decode()
    paper = hot.store.get_paper("2611.00004")
    assert paper is not None
    assert paper.title in body and paper.abstract.strip()[:60] in body
    for source in ("HN", "HF", "Bluesky", "Reddit", "X"):
        assert f'<th scope="row">{source}</th>' in body
    assert body.count('<svg class="chart"') == 5  # four sources of posts and HF upvotes
    assert body.count("<circle") > 20
    assert "4 posts." in body and body.count('<blockquote class="post">') == 4
    assert 'href="../../days/2026-11-26/#rank-2"' in body  # where it stood when posted


@pytest.mark.parametrize(
    "path",
    [
        "days/2026-11-24/", "days/2026-13-45/", "days/1999/", "days/2026-11-26/page/2/",
        "papers/2611.99999/", "papers/2611.00004v2/", "papers/not-an-id/", "papers/../etc/",
        "nope", "static/secret.txt", "static/../pages.py", "days", "feed.atom/x",
    ],
)  # fmt: skip
def test_unknown_addresses_are_not_found(hot: World, path: str) -> None:
    with pytest.raises(PageNotFoundError):
        hot.site().render(path)


def test_search_finds_stored_papers_and_survives_full_text_syntax(hot: World) -> None:
    site = hot.site()
    body = site.render("search/", {"q": "attention number 7"}).body.decode()
    assert 'href="../papers/2611.00007/"' in body
    for query in ['"unbalanced', "NEAR(a b", "a* OR -b", "title:x", "'; DROP TABLE papers; --"]:
        assert site.render("search/", {"q": query}).status == 200
    assert hot.store.get_paper("2611.00007") is not None


def test_a_search_longer_than_the_limit_is_refused_with_a_reason(hot: World) -> None:
    page = hot.site().render("search/", {"q": "a" * 201})
    assert page.status == 400 and b"limited to 200 characters" in page.body


def test_hostile_titles_abstracts_and_posts_cannot_inject_markup_or_script(hot: World) -> None:
    site = hot.site()
    paths = [*site.paths(), "search/"]
    assert f"papers/{HOSTILE_ID}/" in paths
    for path in paths:
        page = site.render(path, {"q": HOSTILE_TITLE} if path == "search/" else {})
        if page.content_type.startswith("text/html"):
            assert_inert(page.body)
    body = site.render(f"papers/{HOSTILE_ID}/").body.decode()
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in body  # shown as text
    assert "javascript:" not in body.replace("javascript:alert(6)&gt;", "")  # no link made of it
    assert "\u202e" not in body  # no bidi override flips the page


def test_every_html_page_names_its_language_policy_feed_and_stylesheet(hot: World) -> None:
    site = hot.site()
    for path in site.paths():
        page = site.render(path)
        if not page.content_type.startswith("text/html"):
            continue
        found = tags(page.body)
        assert found[0] == ("html", {"lang": "en"})
        metas = [a for t, a in found if t == "meta"]
        assert any(m.get("http-equiv") == "Content-Security-Policy" for m in metas)
        links = [a for t, a in found if t == "link"]
        assert any(a.get("type") == "application/atom+xml" for a in links), path
        assert sum(1 for t, _ in found if t == "h1") == 1, path


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://x.com/a/status/1", True), ("http://example.org", True),
        ("javascript:alert(1)", False), ("JAVASCRIPT:alert(1)", False), ("data:text/html,x", False),
        ("//evil.example/x", False), ("/relative", False), ("https://a b.example", False),
        ("https://\x00evil", False), ("", False), ("vbscript:x", False),
    ],
)  # fmt: skip
def test_only_absolute_http_links_from_data_become_links(url: str, kept: bool) -> None:
    assert http_url(url) == (url if kept else "")


def _huge_paper(i: int) -> Paper:
    return Paper(
        arxiv_id=f"2611.{20000 + i:05d}", title="T" * 5000,
        authors=tuple(f"Collaboration Member {k}" for k in range(3000)),
        abstract="Long abstract. " * 200, categories=tuple(f"cs.{c}" for c in "ABCDEFGHIJ"),
        announced=TODAY, published=NOW - timedelta(days=1), comment="C" * 5000,
    )  # fmt: skip


def _loud_posts(arxiv_id: str, count: int) -> list[SocialPost]:
    return [
        SocialPost("x", f"{arxiv_id}-{k}", f"https://x.com/u/status/{k}", (arxiv_id,), NOW,
                   author="u" * 300, author_name="N" * 300, text="word " * 2000, likes=k)
        for k in range(count)
    ]  # fmt: skip


def test_every_page_stays_under_100_kb_with_huge_fields_and_long_lists(hot: World) -> None:
    papers = [_huge_paper(i) for i in range(60)]
    posts = [p for paper in papers for p in _loud_posts(paper.arxiv_id, 10)]
    posts += _loud_posts(papers[0].arxiv_id, 3000)  # a famous paper: thousands of posts
    hot.store.ingest(papers, posts, seen_at=NOW)
    seed_like = Digest(
        day=date(2026, 11, 27), ranking="seed", generated_at=NOW,
        papers=tuple(ranked(p, tuple(_loud_posts(p.arxiv_id, 10)), rank=i + 1)
                     for i, p in enumerate(papers)),
    )  # fmt: skip
    publish(hot.store, seed_like, "markdown:posts", datetime(2026, 11, 27, 8, tzinfo=UTC))
    site = hot.site(static=True)
    sizes = {path: len(site.render(path).body) for path in site.paths()}
    assert "days/2026-11-27/page/4/" in sizes  # 60 big papers: several pages
    assert f"papers/{papers[0].arxiv_id}/" in sizes
    too_big = {path: size for path, size in sizes.items() if size >= LIMIT}
    assert not too_big
    assert len(site.search_json()) < 1_000_000


def test_a_famous_papers_chart_follows_its_top_posts_and_counts_the_rest_in_full(
    hot: World,
) -> None:
    crowd = [
        SocialPost("bluesky", f"crowd-{k}", f"https://bsky.example/{k}", ("2611.00004",),
                   NOW - timedelta(hours=k % 30), created_at=NOW - timedelta(hours=k % 30 + 1),
                   likes=k % 7)
        for k in range(300)
    ]  # fmt: skip
    hot.store.ingest(posts=crowd, seen_at=NOW)
    exact = q.post_series(hot.store, "2611.00004", follow=10_000)
    bounded = q.post_series(hot.store, "2611.00004", follow=5)
    assert {s: pts[-1][1] for s, pts in bounded.items()} == {
        s: pts[-1][1] for s, pts in exact.items()
    }  # the same totals
    assert all(len(pts) > 1 for pts in bounded.values())
    assert exact["bluesky"][-1][1] == 170 + sum(k % 7 for k in range(300))


def test_a_paper_trending_again_says_so_where_it_is_shown(hot: World) -> None:
    day = TODAY + timedelta(days=1)
    first = hot.published[TODAY].papers[0]
    surge = Surge(datetime(2024, 3, 2, tzinfo=UTC), NOW, 480.0, 24.0)
    digest = Digest(day, "hot", NOW, (replace(first, surge=surge),))
    publish(hot.store, digest, "markdown:posts", NOW + timedelta(days=1))
    text = hot.site().render(f"days/{day}/").body.decode()
    label = "first announced 2 Mar 2024, +480 in the last 24 h"
    assert f"<strong>Trending again</strong> · {label}" in text
    feed = feedparser.parse(hot.site().render("feed.atom").body)
    assert not feed.bozo and feed.entries[0].link.endswith(f"days/{day}/")
    assert f"Trending again: {label}" in feed.entries[0].content[0].value
