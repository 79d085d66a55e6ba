"""X entities: read as X API v2 returns them, and anchored on the text they belong to."""

from __future__ import annotations

from bot.entities import (
    Entities,
    Entity,
    entities_from_json,
    entities_to_json,
    locate,
    unescape_x_text,
)

TEXT = "Read @OpenAI's #NeRF work 🎉 https://t.co/abc $ZIL"
RAW = {
    "urls": [
        {
            "start": 28,
            "end": 44,
            "url": "https://t.co/abc",
            "expanded_url": "https://arxiv.org/abs/2106.13228",
            "display_url": "arxiv.org/abs/2106.13228",
            "media_key": "ignored",
        }
    ],
    "mentions": [{"start": 5, "end": 12, "username": "OpenAI", "id": "4398626122"}],
    "hashtags": [{"start": 15, "end": 20, "tag": "NeRF"}],
    "cashtags": [{"start": 45, "end": 49, "tag": "ZIL"}],
}


def test_entities_round_trip_through_the_x_api_v2_shape() -> None:
    entities = entities_from_json(RAW)
    assert [e.kind for e in entities.items] == ["mentions", "hashtags", "urls", "cashtags"]
    document = entities_to_json(entities)
    assert document["mentions"] == [{"start": 5, "end": 12, "username": "OpenAI"}]
    assert document["urls"][0]["display_url"] == "arxiv.org/abs/2106.13228"
    assert entities_from_json(document) == entities


def test_offsets_count_code_points_so_emoji_do_not_shift_later_entities() -> None:
    located = locate(TEXT, entities_from_json(RAW))
    assert [TEXT[e.start : e.end] for e in located.items] == [
        "@OpenAI",
        "#NeRF",
        "https://t.co/abc",
        "$ZIL",
    ]


def test_wrong_offsets_are_re_anchored_on_the_text_and_lost_entities_dropped() -> None:
    shifted = [
        Entity("mentions", 9, 16, value="openai"),  # X counted &amp; as five characters
        Entity("urls", 0, 5, url="https://t.co/abc"),
        Entity("hashtags", 0, 3, value="absent"),
    ]
    located = locate(TEXT, shifted)
    assert [(e.kind, TEXT[e.start : e.end]) for e in located.items] == [
        ("mentions", "@OpenAI"),
        ("urls", "https://t.co/abc"),
    ]


def test_a_mention_is_not_found_inside_a_longer_handle() -> None:
    located = locate("@abcd and @abc", [Entity("mentions", 0, 3, value="abc")])
    assert [(e.start, e.end) for e in located.items] == [(10, 14)]


def test_malformed_entries_are_left_out() -> None:
    raw = {
        "urls": [{"start": -1, "end": 3, "url": "x"}, {"start": 0, "end": 3}, "junk"],
        "mentions": [{"start": 4, "end": 2, "username": "a"}, {"start": True, "end": 2}],
        "hashtags": "not a list",
    }
    assert entities_from_json(raw) == Entities()
    assert entities_from_json(["not", "an", "object"]) == Entities()


def test_x_html_escapes_are_undone_once() -> None:
    assert unescape_x_text("R&amp;D &lt;3 &amp;lt; &gt;") == "R&D <3 &lt; >"
