"""Plain text for terminals and the documented JSON shape."""

from __future__ import annotations

import json
from datetime import date

from bot.digest import render_json, render_text
from bot.models import Digest
from tests.factories import NOW, paper, post, ranked


def _digest() -> Digest:
    p = paper(title="Title\nwith a fold", authors=("A", "B", "C", "D"))
    return Digest(
        date(2026, 11, 26), "seed", NOW, (ranked(p, (post(reposts=50, likes=25),)),), sources=("x",)
    )


def test_text_lists_rank_title_short_authors_score_and_link() -> None:
    text = render_text(_digest())
    assert "\n1. Title with a fold\n" in text
    assert "A, B, C et al." in text
    assert "cs.LG, stat.ML · score 75 = X 75" in text
    assert "https://arxiv.org/abs/2611.00001" in text


def test_text_strips_terminal_escape_sequences() -> None:
    p = paper(title="Evil \x1b[2J\x1b]0;pwned\x07 title")
    text = render_text(Digest(date(2026, 11, 26), "seed", NOW, (ranked(p, (post(reposts=60),)),)))
    assert "\x1b" not in text and "\x07" not in text


def test_text_says_so_when_nothing_qualifies() -> None:
    assert "No paper qualifies yet." in render_text(Digest(date(2026, 11, 26), "hot", NOW, ()))


def test_json_has_the_documented_shape() -> None:
    doc = json.loads(render_json(_digest()))
    assert doc["date"] == "2026-11-26" and doc["ranking"] == "seed"
    (item,) = doc["papers"]
    assert {"rank", "arxiv_id", "title", "authors", "categories", "score", "breakdown",
            "abs_url", "pdf_url", "posts"} <= set(item)  # fmt: skip
    assert item["breakdown"] == {"x": 75}
    assert item["pdf_url"] == "https://arxiv.org/pdf/2611.00001"
    assert item["posts"][0]["id"] == "1"


def test_text_strips_escape_sequences_and_bidi_overrides_from_categories_too() -> None:
    p = paper(categories=("cs.LG\x1b[31m", "\u202egnp.exe\x9b2J"))
    text = render_text(Digest(date(2026, 11, 26), "seed", NOW, (ranked(p, (post(reposts=60),)),)))
    assert "cs.LG[31m, gnp.exe2J · score" in text


def test_json_escapes_markup_and_controls_but_keeps_the_data() -> None:
    p = paper(title="</script><b>R&D</b>\x9b\u2028")
    bad = post(url="javascript:alert(1)", reposts=60)
    text = render_json(Digest(date(2026, 11, 26), "seed", NOW, (ranked(p, (bad,)),)))
    assert "<" not in text and "\x9b" not in text and "\u2028" not in text
    assert "\\u003c/script\\u003e\\u003cb\\u003eR\\u0026D" in text
    (item,) = json.loads(text)["papers"]
    assert item["title"] == "</script><b>R&D</b>\x9b\u2028"
    assert item["posts"][0]["url"] is None
