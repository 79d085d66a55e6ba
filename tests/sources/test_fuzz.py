"""Malformed payloads get a clear source error, never a crash: every parser fuzzed."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sources import (
    arxiv_api,
    arxiv_oai,
    arxiv_rss,
    bluesky,
    hackernews,
    huggingface,
    reddit,
    x,
)
from bot.sources.base import SourceError
from bot.sources.bluesky_auth import parse_session

from .conftest import MONDAY_MORNING, read_payload

Parser = Callable[[bytes], object]

XML_PARSERS: dict[str, tuple[Parser, str]] = {
    "rss": (arxiv_rss.parse, "arxiv_rss_listing.xml"),
    "api": (arxiv_api.parse, "arxiv_api_listing.xml"),
    "api-old": (arxiv_api.parse, "arxiv_api_old_style.xml"),
    "oai": (arxiv_oai.parse, "arxiv_oai_records.xml"),
}
JSON_PARSERS: dict[str, tuple[Parser, str]] = {
    "huggingface": (lambda p: huggingface.parse(p, MONDAY_MORNING), "hf_daily_papers.json"),
    "hackernews": (lambda p: hackernews.parse(p, MONDAY_MORNING), "hn_algolia.json"),
    "bluesky": (lambda p: bluesky.parse(p, MONDAY_MORNING), "bluesky_search_posts.json"),
    "bluesky-session": (parse_session, "bluesky_create_session.json"),
    "x": (lambda p: x.parse(p, MONDAY_MORNING), "x_recent_search.json"),
    "reddit": (lambda p: reddit.parse(p, MONDAY_MORNING), "reddit_domain_new.json"),
    "reddit-token": (reddit.parse_token, "reddit_token.json"),
}
ALL = {**XML_PARSERS, **JSON_PARSERS}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values that once slipped past the parsers: out-of-range times, URLs urlsplit refuses.
HOSTILE_TEXT = [
    "http://[::1",
    "https://arxiv.org:99999/abs/2402.01001",
    "9999-12-31T23:59:59-01:00",
    "Fri, 31 Dec 9999 23:59:59 -0100",
    "0001-01-01T00:00:00+01:00",
    "",
]
hostile = st.sampled_from([*HOSTILE_TEXT, 10**20, -(10**20), 1e300, float("nan"), True])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _survives(parser: Parser, payload: bytes) -> None:
    """The parser returns or raises a SourceError; anything else is a crash."""
    try:
        parser(payload)
    except SourceError as error:
        assert str(error).startswith(f"{error.source}: ") and error.reason


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


def _mutate(document: Any, path: tuple[Any, ...], replacement: Any, delete: bool) -> Any:
    """A copy of document with the value at path replaced or deleted."""
    if not path:
        return replacement
    result = copy.deepcopy(document)
    parent = result
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return result


@pytest.mark.parametrize("name", sorted(ALL))
@FUZZ
@given(junk=st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(name: str, junk: bytes) -> None:
    _survives(ALL[name][0], junk)


@pytest.mark.parametrize("name", sorted(ALL))
@FUZZ
@given(fraction=st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
def test_truncated_payloads_never_crash(name: str, fraction: float) -> None:
    parser, file = ALL[name]
    payload = read_payload(file)
    _survives(parser, payload[: int(len(payload) * fraction)])


@pytest.mark.parametrize("name", sorted(JSON_PARSERS))
@FUZZ
@given(data=st.data())
def test_wrong_types_and_missing_fields_never_crash(name: str, data: st.DataObject) -> None:
    parser, file = JSON_PARSERS[name]
    document = json.loads(read_payload(file))
    path = data.draw(st.sampled_from(_paths(document)))
    delete = bool(path) and data.draw(st.booleans())
    replacement = None if delete else data.draw(hostile | json_values)
    mutated = _mutate(document, path, replacement, delete)
    _survives(parser, json.dumps(mutated).encode())


@pytest.mark.parametrize("name", sorted(XML_PARSERS))
@FUZZ
@given(data=st.data())
def test_mangled_xml_text_never_crashes(name: str, data: st.DataObject) -> None:
    parser, file = XML_PARSERS[name]
    payload = read_payload(file).decode()
    # Replace the text between two tags, as a server bug or a proxy page would.
    starts = [i for i, c in enumerate(payload) if c == ">"][:-1]
    start = data.draw(st.sampled_from(starts)) + 1
    end = payload.find("<", start)
    chars = st.characters(codec="utf-8", exclude_characters="<&")
    text = st.text(alphabet=chars, max_size=30)
    filler = data.draw(st.sampled_from(HOSTILE_TEXT) | text)
    _survives(parser, (payload[:start] + filler + payload[end:]).encode())


@pytest.mark.parametrize("name", sorted(XML_PARSERS))
@FUZZ
@given(data=st.data())
def test_dropped_xml_elements_never_crash(name: str, data: st.DataObject) -> None:
    parser, file = XML_PARSERS[name]
    payload = read_payload(file).decode()
    lines = payload.splitlines()
    index = data.draw(st.integers(min_value=1, max_value=len(lines) - 1))
    _survives(parser, "\n".join(lines[:index] + lines[index + 1 :]).encode())


@pytest.mark.parametrize("value", HOSTILE_TEXT)
@pytest.mark.parametrize("name", sorted(XML_PARSERS))
def test_hostile_text_in_every_xml_element_never_crashes(name: str, value: str) -> None:
    parser, file = XML_PARSERS[name]
    payload = read_payload(file).decode()
    ends = [i for i, c in enumerate(payload) if c == ">"][:-1]
    for start in (e + 1 for e in ends):
        end = payload.find("<", start)
        _survives(parser, (payload[:start] + value + payload[end:]).encode())


@pytest.mark.parametrize("value", [*HOSTILE_TEXT, 10**20, -(10**20), 1e300])
@pytest.mark.parametrize("name", sorted(JSON_PARSERS))
def test_hostile_values_at_every_json_path_never_crash(name: str, value: object) -> None:
    parser, file = JSON_PARSERS[name]
    document = json.loads(read_payload(file))
    for path in _paths(document)[1:]:
        _survives(parser, json.dumps(_mutate(document, path, value, False)).encode())
