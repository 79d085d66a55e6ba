"""mrkdwn helpers: escaping, clipping at and just over limits, links that cannot inject."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.slack.mrkdwn import (
    ELLIPSIS,
    MAX_URL,
    clip,
    escape,
    escape_clip,
    fit,
    link,
    safe_url,
    width,
)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U123|bob>", "&lt;@U123|bob&gt;"),
        ("<https://evil|x>", "&lt;https://evil|x&gt;"),
        ("R&D", "R&amp;D"),
        ("&lt;", "&amp;lt;"),
        ("bell\x07 and nul\x00", "bell and nul"),
    ],
)
def test_escape_defuses_mentions_links_and_entities(text: str, escaped: str) -> None:
    assert escape(text) == escaped


def test_width_counts_astral_characters_twice_as_slack_may() -> None:
    assert width("abc") == 3
    assert width("🔥") == 2
    assert width("é") == 1


def test_clip_keeps_text_at_the_limit_and_cuts_just_over_it() -> None:
    assert clip("x" * 150, 150) == "x" * 150
    assert clip("x" * 151, 150) == "x" * 149 + ELLIPSIS
    assert width(clip("🔥" * 100, 150)) <= 150


def test_escape_clip_never_cuts_an_entity_in_half() -> None:
    assert escape_clip("&&", 10) == "&amp;&amp;"
    assert escape_clip("&&&", 11) == "&amp;&amp;" + ELLIPSIS
    assert escape_clip("&&&", 10) == "&amp;" + ELLIPSIS


def test_safe_url_keeps_a_url_at_the_length_limit_and_drops_one_over_it() -> None:
    base = "https://example.org/"
    assert safe_url(base + "a" * (MAX_URL - len(base))) is not None
    assert safe_url(base + "a" * (MAX_URL - len(base) + 1)) is None


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://example.org/x", "//example.org", "not a url", ""]
)
def test_links_to_anything_but_http_become_plain_labels(url: str) -> None:
    assert link(url, "label") == "label"


def test_a_url_cannot_close_the_link_early_or_add_a_label() -> None:
    made = link("https://example.org/a b|<!channel>", "<b>")
    assert made == "<https://example.org/a%20b%7C%3C!channel%3E|&lt;b&gt;>"


def test_fit_drops_whole_parts_that_do_not_fit() -> None:
    assert fit(["aaa", "bbbbb", "cc"], 8, " ") == "aaa cc"
    assert fit(["aaa", "bbbb"], 8, " ") == "aaa bbbb"


@given(st.text())
def test_escaped_text_has_no_markup_and_reads_back_the_same(text: str) -> None:
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert html.unescape(escaped) == re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)


@given(st.text(), st.integers(min_value=1, max_value=400))
def test_clips_stay_within_their_limit_and_keep_a_prefix(text: str, limit: int) -> None:
    clipped = clip(text, limit)
    assert width(clipped) <= limit
    assert text.startswith(clipped.removesuffix(ELLIPSIS))
    escaped = escape_clip(text, limit)
    assert width(escaped) <= limit
    assert escape(text).startswith(escaped.removesuffix(ELLIPSIS))
    assert not re.search(r"&[a-z]{0,3}$", escaped.removesuffix(ELLIPSIS))


@given(st.text(), st.text())
def test_any_link_is_one_well_formed_link_or_plain_text(url: str, label: str) -> None:
    made = link("https://example.org/" + url, label)
    if safe_url("https://example.org/" + url) is None:  # too long once encoded
        assert "<" not in made and ">" not in made
    else:
        match = re.fullmatch(r"<(https://example\.org/[^\s<>|]*)\|([^<>]+)>", made)
        assert match is not None, made
        assert len(match[1]) <= MAX_URL
