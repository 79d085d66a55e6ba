"""The embed renderer: every Discord limit at and just over it, and under arbitrary text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.discord.embeds import (
    MARKER_ROOM,
    abstract_message,
    digest_messages,
    paper_message,
    search_message,
    text_message,
)
from bot.adapters.discord.text import ELLIPSIS, clip, escape, safe_url, units
from bot.models import Digest, Paper, RankedPaper, SocialPost
from tests.adapters.discord.limits import assert_no_pings, assert_within_limits, utf16
from tests.adapters.discord.support import HOSTILE_TITLE

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def make_paper(i: int = 1, **overrides: Any) -> Paper:
    """A plain paper."""
    values: dict[str, Any] = {
        "arxiv_id": f"2611.{i:05d}",
        "title": f"Paper {i}",
        "authors": ("Ada Lovelace", "Alan Turing"),
        "abstract": f"Abstract {i}.",
        "categories": ("cs.LG",),
    }
    return Paper(**{**values, **overrides})


def ranked(i: int = 1, paper: Paper | None = None, **overrides: Any) -> RankedPaper:
    """A ranked paper with a post and links."""
    post = SocialPost("bluesky", str(i), "https://bsky.app/p/1", (f"2611.{i:05d}",), NOW,
                      author="a", text="great", likes=10)  # fmt: skip
    values: dict[str, Any] = {
        "rank": i,
        "paper": paper or make_paper(i),
        "score": 100.0 - i,
        "breakdown": {"bluesky": 100.0 - i},
        "explanation": f"{100 - i} = Bluesky {100 - i}",
        "posts": (post,),
        "links": {"HF": f"https://huggingface.co/papers/2611.{i:05d}"},
    }
    return RankedPaper(**{**values, **overrides})


def digest(papers: list[RankedPaper], **overrides: Any) -> Digest:
    """A digest of the given papers."""
    return Digest(date(2026, 11, 26), "hot", NOW, tuple(papers), **overrides)


def huge(i: int) -> RankedPaper:
    """A paper with every text far over every limit, astral characters included."""
    long = "𝔸" * 3000 + "x" * 9000
    post = SocialPost("x", str(i), "https://x.com/" + "a" * 100, ("2611.00001",), NOW,
                      author=long, author_name=long, text=long, likes=5)  # fmt: skip
    paper = make_paper(i, title=long, authors=(long,) * 50, abstract=long * 2,
                       categories=tuple(f"cs.{k}" for k in range(300)))  # fmt: skip
    sources = {f"source{k}" * 20: float(k) for k in range(60)}
    return ranked(i, paper, breakdown=sources, explanation="9 = " + long,
                  details={s: long for s in sources}, posts=(post,) * 5,
                  links={f"l{k}": f"https://example.com/{k}" * 20 for k in range(50)})  # fmt: skip


# -- text helpers ----------------------------------------------------------------------------


def test_clip_keeps_text_at_the_limit_and_cuts_text_just_over_it_to_the_limit() -> None:
    assert clip("a" * 256, 256) == "a" * 256
    cut = clip("a" * 257, 256)
    assert units(cut) == 256 and cut.endswith(ELLIPSIS)


def test_clip_counts_astral_characters_as_two_units_and_never_splits_them() -> None:
    text = "😀" * 200  # 400 UTF-16 units
    cut = clip(text, 255)
    assert utf16(cut) <= 255 and cut.endswith(ELLIPSIS) and set(cut[:-1]) == {"😀"}


def test_clip_never_leaves_a_dangling_escape_before_the_ellipsis() -> None:
    cut = clip("ab\\" + "c" * 10, 4)
    assert cut == "ab" + ELLIPSIS


def test_escape_neutralises_mentions_and_markdown() -> None:
    text = escape(HOSTILE_TITLE)
    assert "\\*\\*Bold\\*\\*" in text and "\\_claims\\_" in text and "\\|\\|spoiler" in text
    assert "@\u200beveryone" in text and "@\u200bhere" in text
    assert_no_pings(text)


def test_escape_handles_input_that_makes_discords_escaper_backtrack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # discord.utils.escape_markdown backtracks for seconds on this; escape must not use it.
    # (Checked by what runs, not by a clock: a wall-clock bound flakes on a loaded machine.)
    def backtracking(text: str, **kwargs: Any) -> str:
        raise AssertionError("escape used discord.utils.escape_markdown")

    monkeypatch.setattr(discord.utils, "escape_markdown", backtracking)
    hostile = "[" * 2500 + "](" * 1000 + "*" * 5000
    assert escape(hostile) == "\\[" * 2500 + "\\](" * 1000 + "\\*" * 5000


def test_escape_leaves_bare_links_working() -> None:
    assert escape("see https://x.org/a_b_c and a_b") == "see https://x.org/a_b_c and a\\_b"


def test_escape_neutralises_line_start_markdown() -> None:
    assert escape("# h\n> q\n- l\n-# s\n1. n") == "\\# h\n\\> q\n\\- l\n\\-# s\n1\\. n"


def test_safe_url_accepts_http_links_and_refuses_what_would_break_markdown() -> None:
    assert safe_url("https://github.com/a/b") == "https://github.com/a/b"
    assert safe_url("https://x.org/a_(b)") == "https://x.org/a_%28b%29"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://a b") is None
    assert safe_url("https://x.org/" + "a" * 600) is None


# -- each limit at and just over it ----------------------------------------------------------


def test_abstract_title_of_256_is_kept_and_257_is_cut_to_256() -> None:
    at = abstract_message(make_paper(title="t" * 256)).payload["embeds"][0]
    over = abstract_message(make_paper(title="t" * 257)).payload["embeds"][0]
    assert at["title"] == "t" * 256
    assert utf16(over["title"]) == 256 and over["title"].endswith(ELLIPSIS)


def test_abstract_description_of_4096_is_kept_and_4097_is_cut_to_4096() -> None:
    at = abstract_message(make_paper(abstract="a" * 4096)).payload["embeds"][0]
    over = abstract_message(make_paper(abstract="a" * 4097)).payload["embeds"][0]
    assert at["description"] == "a" * 4096
    assert utf16(over["description"]) == 4096 and over["description"].endswith(ELLIPSIS)


def test_author_line_stays_within_256() -> None:
    paper = make_paper(authors=("N" * 100, "M" * 100, "O" * 100))
    embed = abstract_message(paper).payload["embeds"][0]
    assert utf16(embed["author"]["name"]) == 256


def test_paper_card_with_sixty_sources_has_at_most_25_fields_of_at_most_1024() -> None:
    message = paper_message(huge(1))
    fields = message.payload["embeds"][0]["fields"]
    assert len(fields) <= 25
    assert max(utf16(f["value"]) for f in fields) <= 1024
    assert_within_limits(message.payload, room=MARKER_ROOM)


def test_footer_stays_within_2048_with_room_for_the_marker() -> None:
    embed = abstract_message(make_paper(categories=("c" * 50,) * 100)).payload["embeds"][0]
    assert utf16(embed["footer"]["text"]) <= 2048 - MARKER_ROOM


def test_content_of_2000_fits_and_longer_content_is_cut_with_room_for_the_marker() -> None:
    assert utf16(text_message("c" * 5000).payload["content"]) == 2000 - MARKER_ROOM
    header = digest_messages(digest([ranked(1)]), title="T" * 3000)[0].payload["content"]
    assert utf16(header) <= 2000 - MARKER_ROOM


def test_ten_maximal_papers_fit_one_message_within_6000() -> None:
    (message,) = digest_messages(digest([huge(i) for i in range(1, 11)]))
    assert len(message.payload["embeds"]) == 10
    assert_within_limits(message.payload, room=MARKER_ROOM)


def test_eleven_papers_split_into_ten_and_one_numbered_within_each_message() -> None:
    first, second = digest_messages(digest([ranked(i) for i in range(1, 12)]))
    assert [e["title"] for e in second.payload["embeds"]] == ["1. Paper 11"]
    assert first.payload["embeds"][9]["title"] == "10. Paper 10"
    assert first.arxiv_ids[0] == "2611.00001" and second.arxiv_ids == ("2611.00011",)
    assert "(1/2: #1–10)" in first.payload["content"]
    assert "(2/2: #11–11)" in second.payload["content"]


def test_ten_papers_stay_in_one_message() -> None:
    messages = digest_messages(digest([ranked(i) for i in range(1, 11)]))
    assert len(messages) == 1 and len(messages[0].arxiv_ids) == 10


def test_empty_digest_is_one_text_message_without_embeds() -> None:
    (message,) = digest_messages(digest([], missing_sources=("x",)))
    assert message.payload["embeds"] == [] and message.arxiv_ids == ()
    assert "No data from x" in message.payload["content"]


def test_card_links_abs_pdf_hf_and_code_and_quotes_the_top_post() -> None:
    item = ranked(1, links={"HF": "https://huggingface.co/papers/2611.00001",
                            "code": "https://github.com/a/b"})  # fmt: skip
    embed = paper_message(item).payload["embeds"][0]
    links = next(f["value"] for f in embed["fields"] if f["name"] == "Links")
    assert links == (
        "[abs](https://arxiv.org/abs/2611.00001) · [PDF](https://arxiv.org/pdf/2611.00001) · "
        "[HF](https://huggingface.co/papers/2611.00001) · [code](https://github.com/a/b)"
    )
    assert embed["description"].startswith("> great\n— [a](https://bsky.app/p/1) on Bluesky")
    assert embed["url"] == "https://arxiv.org/abs/2611.00001"


def test_hostile_title_is_escaped_everywhere_it_appears() -> None:
    item = ranked(1, make_paper(title=HOSTILE_TITLE, authors=("@everyone",)))
    messages = [
        digest_messages(digest([item]))[0],
        paper_message(item),
        abstract_message(item.paper),
        search_message(HOSTILE_TITLE, [item.paper]),
    ]
    for message in messages:
        assert_no_pings(message.payload)
        assert "\\*\\*Bold\\*\\*" in message.payload["embeds"][0]["title"]


# -- arbitrary text --------------------------------------------------------------------------

texts = st.text(max_size=1500)  # far over every per-part limit once escaped
names = st.text(max_size=300)


@st.composite
def ranked_papers(draw: st.DrawFn, i: int) -> RankedPaper:
    """A ranked paper made of arbitrary text."""
    paper = make_paper(i, title=draw(texts), abstract=draw(texts),
                       authors=tuple(draw(st.lists(names, max_size=8))),
                       categories=tuple(draw(st.lists(names, max_size=5))))  # fmt: skip
    post = SocialPost(draw(names), "1", draw(names), (paper.arxiv_id,), NOW,
                      author=draw(names), author_name=draw(names), text=draw(texts),
                      likes=draw(st.integers(0, 10**9)))  # fmt: skip
    breakdown = draw(st.dictionaries(names, st.floats(0, 1e9), max_size=30))
    return ranked(i, paper, breakdown=breakdown, explanation=draw(texts), posts=(post,),
                  details=draw(st.dictionaries(names, names, max_size=30)),
                  links=draw(st.dictionaries(names, names, max_size=10)))  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 12).flatmap(lambda n: st.tuples(*map(ranked_papers, range(1, n + 1)))), names)
def test_any_text_renders_within_every_limit_without_pings(
    items: tuple[RankedPaper, ...], words: str
) -> None:
    messages = [
        *digest_messages(digest(list(items)), title=words),
        paper_message(items[0]),
        abstract_message(items[0].paper),
        search_message(words, [i.paper for i in items]),
    ]
    for message in messages:
        assert_within_limits(message.payload, room=MARKER_ROOM)
        assert_no_pings(message.payload)
        assert len(message.arxiv_ids) <= 10


def test_a_per_paper_digest_is_a_header_then_one_message_per_paper_within_limits() -> None:
    header, *papers = digest_messages(digest([ranked(i) for i in (1, 2, 3)]), layout="per-paper")
    assert header.arxiv_ids == () and not header.payload["embeds"]
    assert "One message per paper" in header.payload["content"]
    assert [m.arxiv_ids for m in papers] == [(f"2611.{i:05d}",) for i in (1, 2, 3)]
    for rank, message in enumerate(papers, 1):
        (embed,) = message.payload["embeds"]
        assert embed["title"].startswith(f"{rank}. ")  # numbered as ranked
        assert "📄" in embed["footer"]["text"]
        assert_within_limits(message.payload, room=MARKER_ROOM)
    for message in digest_messages(digest([huge(1)]), layout="per-paper"):
        assert_within_limits(message.payload, room=MARKER_ROOM)


def test_a_weekly_digest_is_headed_by_its_own_title() -> None:
    (message,) = digest_messages(digest([ranked(1)], title="Best of the week"))
    assert message.payload["content"].startswith("**Best of the week — Thursday 26 November")
