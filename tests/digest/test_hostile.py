"""A hostile snapshot through every renderer: nothing runs, links, pings or moves a terminal.

Markdown is read back by a CommonMark renderer with raw HTML allowed (markdown-it-py), as a
static site generator would, and the HTML it makes is checked tag by tag.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from bot.adapters.discord.embeds import digest_messages
from bot.adapters.slack.blocks import render_digest
from bot.cli import main as hotpapers
from bot.config import Config
from bot.service import HotPapersService
from bot.snapshot import load_snapshot
from bot.store import Store

EVIL = (
    "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) "
    "<javascript:alert(2)> <!-- hide \x1b[2J\x1b]0;pwned\x07\x9b31m \u202egnp.exe "
    "@everyone <!channel>"
)
HOSTILE_LINES = "\n# Injected heading\n> quote\n<svg onload=alert(1)>\n[d]: javascript:alert(3)\n"
WIDGET = '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
ANNOUNCED = "2026-01-15"
# Snapshots take http(s) URLs only (javascript: is refused at the door), so hostile ones are
# web addresses carrying markup and link syntax.
WEB_EVIL = 'https://x.test/"><script>alert(1)</script>)[x](javascript:alert(1)'


def _snapshot() -> dict[str, Any]:
    """Papers, X and Hacker News posts and Hugging Face signals, every text field hostile."""
    cats = ["cs.LG", "<script>alert(1)</script>", "x)](javascript:alert(1))", "\n# cat\x1b[31m"]
    papers = [
        {"arxiv_id": f"2601.0000{i}", "title": EVIL + HOSTILE_LINES, "authors": [EVIL, "# Eve"],
         "abstract": HOSTILE_LINES + EVIL, "categories": cats, "announced": ANNOUNCED}
        for i in (1, 2)
    ]  # fmt: skip
    x_text = "</p><script>alert(1)</script> javascript:alert(1) @a #b " + EVIL
    entities = {
        "urls": [{"start": 31, "end": 50, "url": "javascript:alert(1)"}],
        "mentions": [{"start": 51, "end": 53, "username": 'a"><script>'}],
        "hashtags": [{"start": 54, "end": 56, "tag": '"><img src=x onerror=alert(1)>'}],
    }
    posts = [
        {"source": "x", "id": "1", "url": WEB_EVIL, "author": 'h"><script>',
         "author_name": EVIL, "text": x_text, "entities": entities, "reposts": 400, "likes": 9,
         "arxiv_ids": ["2601.00001", "2601.00002"], "observed_at": "2026-01-16T08:00:00Z",
         "lang": '"><script>'},
        {"source": "hackernews", "id": "2", "url": WEB_EVIL, "author": EVIL,
         "text": EVIL + HOSTILE_LINES, "reposts": 0, "likes": 300,
         "arxiv_ids": ["2601.00001"], "observed_at": "2026-01-16T08:00:00Z"},
    ]  # fmt: skip
    signals = [
        {"source": "huggingface", "arxiv_id": "2601.00001", "metric": "github_stars",
         "value": 50, "observed_at": "2026-01-16T08:00:00Z", "url": WEB_EVIL},
        {"source": "huggingface", "arxiv_id": "2601.00002", "metric": "upvotes", "value": 50,
         "observed_at": "2026-01-16T08:00:00Z", "url": "https://x.test/a)[b](javascript:c)"},
    ]  # fmt: skip
    return {"papers": papers, "posts": posts, "signals": signals}


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "hostile.json"
    path.write_text(json.dumps(_snapshot()), encoding="utf-8")
    return path


def _digest(snapshot: Path, ranking: str, fmt: str) -> str:
    """What `hotpapers digest --snapshot` prints."""
    out = io.StringIO()
    argv = ["digest", "--snapshot", str(snapshot), "--ranking", ranking, "--format", fmt]
    with contextlib.redirect_stdout(out):
        assert hotpapers([*argv, "--date", ANNOUNCED]) == 0
    return out.getvalue()


class _Page(HTMLParser):
    """Tags, attributes and headings of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if re.fullmatch(r"h[1-6]", tag) else None
        if self._in:
            self.headings.append("")

    def handle_data(self, data: str) -> None:
        if self._in:
            self.headings[-1] += data


SAFE_TAGS = {"p", "a", "br", "blockquote", "ul", "ol", "li", "h1", "code", "em", "strong", "hr"}


def _assert_inert_page(markdown: str, papers: int) -> None:
    """The page a CommonMark renderer makes: known tags, web links, one heading per paper."""
    page = _Page()
    page.feed(MarkdownIt("commonmark").render(markdown.split("\n---\n", 2)[-1]))
    for tag, attrs in page.tags:
        if tag == "script":
            assert attrs == {"async": None, "src": "https://platform.twitter.com/widgets.js",
                             "charset": "utf-8"}  # fmt: skip
            continue
        assert tag in SAFE_TAGS, (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("href", "src"):
            if name in attrs:
                assert re.match(r"https?://", attrs[name] or "", re.I), (tag, attrs)
    assert len(page.headings) == papers
    assert all(re.match(r"\d+\. ", h) for h in page.headings), page.headings


@pytest.mark.parametrize("ranking", ["seed", "hot"])
def test_markdown_posts_are_inert(snapshot: Path, ranking: str) -> None:
    text = _digest(snapshot, ranking, "markdown")
    assert "<script" not in text.replace(WIDGET, "")
    for line in text.split("\n"):  # embeds are HTML blocks, where Markdown makes no link
        if not line.startswith("<blockquote"):
            assert not re.search(r"(?<!\\)\]\(\s*<?\s*javascript:", line, re.I), line
    assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text
    assert [line for line in text.split("\n") if line.startswith("#")] == [
        line for line in text.split("\n") if re.match(r"# \d+\. ", line)
    ]
    _assert_inert_page(text, papers=2)


def test_text_output_carries_no_control_or_escape_character(snapshot: Path) -> None:
    for ranking in ("seed", "hot"):
        text = _digest(snapshot, ranking, "text")
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)
        assert "2601.00001" in text and "cs.LG" in text


def _urls(value: Any) -> list[str]:
    """Every string in a JSON value."""
    if isinstance(value, dict):
        return [u for v in value.values() for u in _urls(v)]
    if isinstance(value, list):
        return [u for v in value for u in _urls(v)]
    return [value] if isinstance(value, str) else []


def test_json_keeps_the_data_but_no_markup_control_or_foreign_link(snapshot: Path) -> None:
    text = _digest(snapshot, "seed", "json")
    assert "<" not in text and ">" not in text and "\x1b" not in text and "\x9b" not in text
    document = json.loads(text)
    item = document["papers"][0]
    stored = next(p for p in load_snapshot(snapshot).papers if p.arxiv_id == item["arxiv_id"])
    assert item["title"] == stored.title  # the data itself is unchanged
    # An http(s) URL is kept as data (JSON escapes its < and >); no javascript: link is made.
    assert all(p["url"] == WEB_EVIL for p in item["posts"])
    assert all(not link.startswith("javascript") for link in _urls(item["links"]))


def test_chat_renderers_still_escape_the_same_digest(snapshot: Path) -> None:
    snap = load_snapshot(snapshot)
    store = Store()
    store.ingest(snap.papers, snap.posts, snap.signals, seen_at=snap.posts[0].observed_at)
    service = HotPapersService(store, Config(), whole_store=True)
    digest = service.digest(day=date(2026, 1, 15), ranking="hot")
    discord = json.dumps([m.payload for m in digest_messages(digest)], ensure_ascii=False)
    slack = json.dumps([m.payload for m in render_digest(digest)], ensure_ascii=False)
    assert "@everyone" not in discord and "\x1b" not in discord
    assert "<!channel>" not in slack and "<!everyone>" not in slack and "\x1b" not in slack
    slack_links = re.findall(r"<([^<>|]+)\|", slack)
    assert slack_links and all(re.match(r"https?://", target) for target in slack_links)
