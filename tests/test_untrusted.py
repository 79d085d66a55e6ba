"""Text from outside made storable: surrogates replaced, control characters dropped."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.untrusted import clean_text, is_web_url, one_line


def test_controls_and_bidi_overrides_go_and_text_stays() -> None:
    text = "Tab\tnew\nline\r \x1b[31mred\x07\x7f\x85 \u202eevil 日本語 😀 e\u0301"
    assert clean_text(text) == "Tab\tnew\nline\r [31mred evil 日本語 😀 e\u0301"


def test_bidi_isolates_around_a_mention_are_kept() -> None:
    assert clean_text("by \u2066@ada\u2069's") == "by \u2066@ada\u2069's"


def test_a_lone_surrogate_becomes_the_replacement_character() -> None:
    assert clean_text(json.loads('"Caf\\ud800e"')) == "Caf\ufffde"


@given(st.text())
def test_cleaned_text_always_encodes_and_cleaning_twice_changes_nothing(text: str) -> None:
    cleaned = clean_text(text)
    cleaned.encode("utf-8")  # SQLite, JSON and every platform can carry it
    assert clean_text(cleaned) == cleaned
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in cleaned)


def test_one_line_folds_line_breaks_and_runs_of_spaces_and_drops_controls() -> None:
    title = "  Attention is\n    all you\tneed\r\n (again)\x07\u202e "
    assert one_line(title) == "Attention is all you need (again)"


def test_one_line_can_keep_the_spacing_as_written() -> None:
    title = " Attention is\n    all you need\r\n(again) "
    assert one_line(title, keep_spaces=True) == "Attention is     all you need (again)"


def test_one_line_keeps_what_clean_text_keeps() -> None:
    assert one_line("@\u2066alice\u2069 \ud800") == "@\u2066alice\u2069 \ufffd"


@pytest.mark.parametrize(
    ("url", "web"),
    [
        ("https://arxiv.org/abs/2106.12627", True),
        ("HTTP://Example.org", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("ftp://arxiv.org", False),
        ("github.com/a/b", False),
        ("//evil.example/x", False),
        ("https://", False),
        ("https:///path", False),
        ("http://[::1", False),
        (" https://arxiv.org", False),
        ("https://arxiv.org/a b", False),
    ],
)
def test_only_http_and_https_addresses_with_a_host_are_web_urls(url: str, web: bool) -> None:
    assert is_web_url(url) is web
