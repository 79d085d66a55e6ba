"""A digest frozen as neutral JSON comes back whole, whatever later versions add."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from bot.entities import entities_from_json
from bot.models import Digest
from bot.site.frozen import dump_digest, load_digest
from tests.factories import NOW, paper, post, ranked


def digest() -> Digest:
    first = ranked(
        paper("2611.00001", title='A <b>bold</b> "title" & more', comment="10 pages"),
        (
            post(
                "1",
                text="see https://t.co/x @ada #ml",
                entities=entities_from_json(
                    {
                        "urls": [
                            {
                                "start": 4,
                                "end": 21,
                                "url": "https://t.co/x",
                                "expanded_url": "https://arxiv.org/abs/2611.00001",
                                "display_url": "arxiv.org/abs/2611.00001",
                            }
                        ],
                        "mentions": [{"start": 22, "end": 26, "username": "ada"}],
                        "hashtags": [{"start": 27, "end": 30, "tag": "ml"}],
                    }
                ),
            ),
            post("2", source="bluesky", text="line one\nline two"),
        ),
        details={"x": "30 reposts + likes"},
        links={"HF": "https://huggingface.co/papers/2611.00001"},
    )
    second = ranked(paper("hep-th/9901001", announced=None, published=None), rank=2)
    return Digest(
        day=date(2026, 11, 26), ranking="hot", generated_at=NOW, papers=(first, second),
        sources=("bluesky", "x"), missing_sources=("reddit",), started_at=NOW,
    )  # fmt: skip


def test_a_digest_survives_the_round_trip_exactly() -> None:
    original = digest()
    loaded = load_digest(dump_digest(original))
    assert loaded == original
    assert len(loaded.papers[0].posts[0].entities.items) == 3  # X's entities travel too


def test_fields_a_newer_version_adds_are_ignored_and_missing_optional_ones_default() -> None:
    data = json.loads(dump_digest(digest()))
    data["papers"][0]["posts"][0]["bookmarks"] = 7  # e.g. a future SocialPost field
    data["papers"][0]["paper"]["future"] = 1
    del data["papers"][0]["posts"][0]["quotes"]
    loaded = load_digest(json.dumps(data))
    assert loaded.papers[0].posts[0] == replace(digest().papers[0].posts[0], quotes=None)
    assert loaded.papers[0].paper == digest().papers[0].paper


@pytest.mark.parametrize(
    "text", ["", "[]", '{"version": 99}', '{"version": 1, "day": "2026-11-26"}', "{"]
)
def test_text_that_is_no_frozen_digest_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="frozen digest"):
        load_digest(text)
