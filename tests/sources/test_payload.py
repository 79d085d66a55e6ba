"""Strict payload readers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.sources.base import ParseError
from bot.sources.payload import arxiv_id_of, decode_json, parse_rfc2822, parse_xml, squash


def test_missing_and_null_fields_name_their_path() -> None:
    root = decode_json('{"a": {"b": null}}', "demo")
    with pytest.raises(ParseError, match=r"^demo: a\.b: missing$"):
        root["a"]["b"]
    assert root["a"].get("b") is None and not root["a"].has("b")


def test_numbers_are_whole_and_booleans_are_not_numbers() -> None:
    root = decode_json('{"n": 3.0, "f": 2.5, "b": true, "s": "4"}', "demo")
    assert root["n"].number() == 3
    for key, kind in (("f", "a whole number"), ("b", "a boolean"), ("s", "a string")):
        with pytest.raises(ParseError, match=kind):
            root[key].number()


def test_counts_default_to_zero_and_refuse_negatives() -> None:
    root = decode_json('{"a": null, "b": -1}', "demo")
    assert root.count("a") == 0 and root.count("missing") == 0
    with pytest.raises(ParseError, match="cannot be negative"):
        root.count("b")


def test_array_items_carry_their_index() -> None:
    items = list(decode_json('{"xs": [1, "two"]}', "demo")["xs"].items())
    with pytest.raises(ParseError, match=r"xs\[1\]: expected a number, got a string"):
        items[1].number()


def test_times() -> None:
    root = decode_json('{"t": "2024-02-05T14:00:00.5Z", "e": 1707141792, "bad": "noon"}', "d")
    assert root["t"].time() == datetime(2024, 2, 5, 14, 0, 0, 500000, tzinfo=UTC)
    assert root["e"].epoch() == datetime(2024, 2, 5, 14, 3, 12, tzinfo=UTC)
    with pytest.raises(ParseError, match="not an ISO 8601 time"):
        root["bad"].time()


def test_invalid_json_and_xml_are_parse_errors() -> None:
    with pytest.raises(ParseError, match="not valid JSON"):
        decode_json("{", "demo")
    with pytest.raises(ParseError, match="not well-formed XML"):
        parse_xml(b"<a>", "demo")


def test_xml_entities_are_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;">]>'
        b"<l>&b;</l>"
    )
    with pytest.raises(ParseError, match="document type declaration is refused"):
        parse_xml(bomb, "demo")


def test_rfc2822_dates() -> None:
    moment = parse_rfc2822("Mon, 05 Feb 2024 00:00:00 -0500", "demo", "pubDate")
    assert moment == datetime(2024, 2, 5, 5, 0, tzinfo=UTC)
    with pytest.raises(ParseError, match="pubDate: not a date"):
        parse_rfc2822("Fri, 31 Dec 9999 23:59:59 -0100", "demo", "pubDate")


def test_arxiv_id_of_never_raises() -> None:
    assert arxiv_id_of("https://arxiv.org/abs/2402.01001v2") is not None
    assert arxiv_id_of("http://[::1") is None
    assert arxiv_id_of("https://example.com") is None


def test_squash() -> None:
    assert squash("  a\n   b\tc ") == "a b c"
