"""Untrusted text made safe for each output, without touching what arXiv really writes."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bot.digest.escape import escape_html, inert_markdown, is_category, web_url

# Real arXiv spellings the blog printed as they are (titles and abstracts of 2020-2021).
ARXIV_AS_WRITTEN = [
    r"Sparse $\ell_1$ regression with an F* proof",
    "vision-and-language (V&L) models on ImageNet-C [11]",
    r"runtime scaling as $ n^{\omega/2}<n^{1.19}$ which samples",
    "for some k<k', the decomposition of H",
    "under $n/3<f<n/2$ under synchrony",
    "predicts a set of <human, object, interaction> triplets",
    "[Background] Previous research has shown. [Aim] We",
    "6.7ms on Mobile with over 78% ImageNet Accuracy",
    r"a $\|W\|_*$ bound, `code_name` and a | pipe, see [this](https://arxiv.org/abs/2106.1)",
    "#1 in the leaderboard",  # no heading: '#' must be followed by a space
]


@pytest.mark.parametrize("text", ARXIV_AS_WRITTEN)
def test_arxiv_text_is_printed_as_arxiv_wrote_it(text: str) -> None:
    assert inert_markdown(text) == text


@pytest.mark.parametrize(
    ("hostile", "inert"),
    [
        ("<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>"),
        ("x <img src=x onerror=alert(1)> y", "x &lt;img src=x onerror=alert(1)> y"),
        ('a <a href="javascript:alert(1)">b</a>', 'a &lt;a href="javascript:alert(1)">b&lt;/a>'),
        ("a <!-- hide the rest", "a &lt;!-- hide the rest"),
        ("a <?php echo 1 ?>", "a &lt;?php echo 1 ?>"),
        ("see <javascript:alert(1)>", "see &lt;javascript:alert(1)>"),
        ("mail <a@b.example>", "mail &lt;a@b.example>"),
        ("<svg/onload=alert(1)", "&lt;svg/onload=alert(1)"),  # an HTML block at a line start
        ("[click](javascript:alert(1))", "[click]\\(javascript:alert(1))"),
        ("![x]( <data:text/html,hi>)", "![x]\\( &lt;data:text/html,hi>)"),
        ("[x]: javascript:alert(1)", "\\[x]: javascript:alert(1)"),
        ("# Injected heading", "\\# Injected heading"),
        ("  ### also", "\\### also"),
        ("line\r# two\nthree", "line# two three"),
        ("bidi \u202ereversed\u202c", "bidi reversed"),
    ],
)
def test_what_could_act_on_a_page_is_neutralised(hostile: str, inert: str) -> None:
    assert inert_markdown(hostile) == inert


def test_inside_a_line_only_tags_and_links_are_neutralised() -> None:
    assert inert_markdown("# 1. <b>x", starts_line=False) == "# 1. &lt;b>x"
    assert inert_markdown("<svg x", starts_line=False) == "<svg x"


class _Tags(HTMLParser):
    """Every start tag and attribute of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _html_tags(markdown: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """The tags a CommonMark renderer (raw HTML allowed) makes of markdown."""
    parser = _Tags()
    parser.feed(MarkdownIt("commonmark").render(markdown))
    return parser.tags


_MARKUPISH = st.text(alphabet=st.sampled_from(list("<>/!?[]()#:=\"' \n\tabsvgjscript-")))


@given(st.one_of(st.text(), _MARKUPISH))
def test_a_commonmark_renderer_finds_no_markup_link_or_heading_in_inert_text(text: str) -> None:
    tags = _html_tags(inert_markdown(text))
    # Block structure a line can start (quote, list, rule) is harmless; headings and raw HTML
    # are not allowed.
    harmless = {
        "p",
        "a",
        "img",
        "code",
        "pre",
        "em",
        "strong",
        "blockquote",
        "ul",
        "ol",
        "li",
        "hr",
    }
    assert {tag for tag, _ in tags} <= harmless
    for _, attrs in tags:
        for name, value in attrs:
            assert not name.startswith("on")
            if name in ("href", "src"):
                assert re.match(r"https?://", value or "", re.IGNORECASE), value


def test_escape_html_writes_what_the_embed_wrote() -> None:
    assert escape_html('it\'s "R&D" <3\x1b[2J') == "it&#39;s &quot;R&amp;D&quot; &lt;3[2J"


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://arxiv.org/abs/2106.12627", "https://arxiv.org/abs/2106.12627"),
        ("http://example.com/a b)c<d>\"e'", "http://example.com/a%20b%29c%3Cd%3E%22e%27"),
        ("HTTPS://Example.com/x?a=1&b=2#f", "HTTPS://Example.com/x?a=1&b=2#f"),
        ("javascript:alert(1)", None),
        ("  JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>", None),
        ("//evil.example/x", None),
        ("https://", None),
        ("https://[::1", None),
    ],
)
def test_only_web_addresses_become_link_targets(url: str, safe: str | None) -> None:
    assert web_url(url) == safe


@pytest.mark.parametrize("name", ["cs.LG", "stat.ML", "quant-ph", "cond-mat.stat-mech", "math-ph"])
def test_arxiv_categories_are_recognised(name: str) -> None:
    assert is_category(name)


@pytest.mark.parametrize("name", ["cs.LG)<script>", "# h", "cs LG", "", "javascript:x", "a\n"])
def test_anything_else_is_not_a_category(name: str) -> None:
    assert not is_category(name)
