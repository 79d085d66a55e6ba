"""The Markdown channel reproduces the 2021 blog post and keeps hostile text inert."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.config import MarkdownConfig
from bot.digest.escape import escape_markdown
from bot.digest.markdown import render_markdown
from bot.models import Digest, RankedPaper
from tests.factories import NOW, paper, post, ranked

ROOT = Path(__file__).resolve().parents[2]
TWEET = re.compile(
    r'<p lang="(\w+)" dir="ltr">.*</p>&mdash; .* \(@(\w+)\) '
    r'<a href="(https://twitter.com/\w+/status/\d+\?ref_src=twsrc%5Etfw)">(\w+ \d+, \d{4})</a>'
    r"</blockquote>$"
)


def skeleton(text: str) -> str:
    """The post with prose (abstracts, post texts, names, generation time) blanked out."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        if line.startswith("date: "):
            line = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.Z", "<ISO>.Z", line)
        elif line.startswith('<blockquote class="twitter-tweet">'):
            m = TWEET.search(line)
            assert m, line
            line = (
                f'<blockquote class="twitter-tweet"><p lang="{m[1]}" dir="ltr">TEXT</p>&mdash; '
                f'NAME (@{m[2]}) <a href="{m[3]}">{m[4]}</a></blockquote>'
            )
        elif i >= 2 and lines[i - 1] == "" and lines[i - 2].startswith("- [") and line:
            line = "ABSTRACT"
        out.append(line)
    return "\n".join(out)


def seed_digest(ranked: list[RankedPaper], day: date = date(2021, 6, 25)) -> Digest:
    """A seed digest generated at NOW."""
    return Digest(day=day, ranking="seed", generated_at=NOW, papers=tuple(ranked))


def test_reference_post_skeleton_is_the_one_stored_from_the_2021_blog() -> None:
    # The skeleton was taken once from the real 2021-06-25 post: every line, blank line,
    # heading, count, link and category, with abstracts and tweet texts blanked.
    expected = (ROOT / "tests/data/hot-papers-2021-06-25.skeleton.md").read_text(encoding="utf-8")
    assert expected.count("\n# ") == 16
    assert "- retweets: 6903, favorites: 93 (06/26/2021 08:14:47)" in expected


def test_hostile_titles_and_abstracts_cannot_inject_markup() -> None:
    hostile = paper(
        title="# <script>alert(1)</script> [click](javascript:x) *bold* @everyone",
        abstract="- list\n> quote\n<img src=x onerror=y>",
        authors=("<b>Mallory</b>",),
    )
    item = ranked(hostile, (post(reposts=40, likes=40, text="</p><script>x</script>"),))
    text = render_markdown(seed_digest([item]), MarkdownConfig())
    assert "<script>" not in text and "<img" not in text and "<b>" not in text
    assert "[click](javascript" not in text
    assert "# 1. \\# &lt;script&gt;" in text
    assert "\\- list &gt; quote" in text


def test_non_x_posts_are_quoted_lines_with_a_link() -> None:
    p = paper()
    hn = post("9", source="hackernews", url="https://news.ycombinator.com/item?id=9", author="pg",
              author_name="", text="Show HN: *fast* thing", reposts=0, likes=80)  # fmt: skip
    text = render_markdown(seed_digest([ranked(p, (hn,))]), MarkdownConfig())
    assert (
        "> Show HN: \\*fast\\* thing — [pg on HN](https://news.ycombinator.com/item?id=9)\n" in text
    )


def test_front_matter_uses_the_configured_fields_and_the_blog_date_spelling() -> None:
    config = MarkdownConfig(tags=("arXiv", "Bluesky"), social_image="/media/x.jpg", category="ML")
    digest = Digest(date(2026, 11, 26), "hot", datetime(2026, 11, 27, 8, 1, 2, tzinfo=UTC), ())
    text = render_markdown(digest, config)
    assert text.startswith("---\ntitle: Hot Papers 2026-11-26\ndate: 2026-11-27T08:01:02.Z\n")
    assert '  - "Bluesky"\n' in text and 'socialImage: "/media/x.jpg"\n\n---\n' in text
    assert 'slug: "hot-papers-2026-11-26"' in text and 'category: "ML"' in text


@given(st.text())
def test_escaped_text_never_contains_raw_tags_or_link_syntax(text: str) -> None:
    escaped = escape_markdown(text)
    assert "<" not in escaped and ">" not in escaped
    assert "](" not in escaped.replace("\\](", "")
