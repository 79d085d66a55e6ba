"""Validators shared by the CLI, the config file and chat: normalised values or one UsageError."""

from __future__ import annotations

import math
import os
import re
import zoneinfo
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import UsageError
from bot.limits import MAX_ITEMS, MAX_KEYWORD_CHARS
from bot.validators import (
    _is_zone,
    _zones,
    check_categories,
    check_category_filters,
    check_channel,
    check_finite,
    check_folder,
    check_keywords,
    check_names,
    check_time,
    check_timezone,
)


@pytest.mark.parametrize(
    ("text", "time"), [("9:30", "09:30"), ("00:00", "00:00"), ("23:59", "23:59")]
)
def test_times_are_normalised(text: str, time: str) -> None:
    assert check_time(text) == time


@pytest.mark.parametrize("text", ["24:00", "9", "09:60", "nine", "", "09:00:00", "٠٩:٣٠"])
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(UsageError, match="is not a time like 09:00"):
        check_time(text)


@pytest.mark.parametrize(
    ("text", "zone"),
    [("Europe/Berlin", "Europe/Berlin"), ("europe/berlin", "Europe/Berlin"), ("UTC", "UTC"),
     (" America/New_York ", "America/New_York")],
)  # fmt: skip
def test_timezones_are_real_zones_in_their_own_spelling(text: str, zone: str) -> None:
    assert check_timezone(text) == zone


def test_a_zone_in_its_own_spelling_is_accepted_exactly_when_the_zone_list_has_it() -> None:
    listed = zoneinfo.available_timezones()
    tree = {str(p.relative_to(root)) for root in map(Path, zoneinfo.TZPATH) if root.is_dir()
            for p in root.rglob("*")}  # fmt: skip
    for name in sorted(listed | tree | {"America", "Etc", "EST5EDT", "Europe/Berlin/"}):
        assert _is_zone(name) == (name in _zones().values()), name


@pytest.mark.parametrize(
    "text",
    ["America", "posixrules", "Factory", "localtime", "posix/Europe/Berlin", "right/UTC",
     "Mars/Olympus", "../../etc/passwd", "", "x" * 100_000, "Europe/Berlin\x00"],
)  # fmt: skip
def test_names_that_are_no_place_are_refused(text: str) -> None:
    with pytest.raises(UsageError, match="is not an IANA timezone") as caught:
        check_timezone(text)
    assert len(str(caught.value)) < 200  # a 100k-character zone is not echoed back


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_scores_must_be_finite(value: float) -> None:
    with pytest.raises(UsageError, match="min_score"):
        check_finite(value, key="min_score")


def test_lists_are_bounded() -> None:
    assert check_categories(["cs.LG"] * MAX_ITEMS) == ("cs.LG",)
    with pytest.raises(UsageError, match=f"10,000 items; at most {MAX_ITEMS}"):
        check_categories([",".join(["cs.LG"] * 10_000)])
    with pytest.raises(UsageError, match="longer than"):
        check_keywords(["x" * 100_000])
    assert check_keywords(["LLM", "llm", " agents ", "x" * MAX_KEYWORD_CHARS]) == (
        "LLM", "agents", "x" * MAX_KEYWORD_CHARS,
    )  # fmt: skip


@pytest.mark.parametrize(
    "channel",
    ["discord:123456789012345678", "discord:12345678901234567", "slack:C0123456789",
     "slack:G01234567", "slack:D0123456789", "markdown:posts"],
)  # fmt: skip
def test_channels_in_their_platforms_shape_are_accepted(channel: str) -> None:
    assert check_channel(channel) == channel


@pytest.mark.parametrize(
    ("channel", "says"),
    [
        ("discord:abc", "17 to 20 digits"),
        ("discord:1", "17 to 20 digits"),
        ("discord:123456789012345678901", "17 to 20 digits"),
        ("slack:#general", "looks like C0123456789"),
        ("slack:general", "looks like C0123456789"),
        ("slack:c0123456789", "looks like C0123456789"),
        ("markdown:", "give the folder"),
        ("telegram:1", "use discord:<channel id>"),
        ("123456789012345678", "use discord:<channel id>"),
    ],
)
def test_channels_of_the_wrong_shape_say_what_one_looks_like(channel: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        check_channel(channel)


def test_a_markdown_folder_must_be_a_writable_folder_or_creatable_in_one(tmp_path: Path) -> None:
    assert check_folder(f"markdown:{tmp_path}") == f"markdown:{tmp_path}"
    assert check_folder(f"markdown:{tmp_path / 'new'}")  # created at the first post
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is a file, not a folder"):
        check_folder(f"markdown:{tmp_path / 'file'}")
    with pytest.raises(UsageError, match="nor its parent"):
        check_folder(f"markdown:{tmp_path / 'no' / 'such' / 'dir'}")
    with pytest.raises(UsageError, match="nor its parent"):
        check_folder(f"markdown:{tmp_path / 'file' / 'under'}")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_markdown_folder_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(UsageError, match="permission denied"):
        check_folder(f"markdown:{locked}")


@given(st.text(max_size=200))
def test_any_text_is_a_time_or_one_usage_error(text: str) -> None:
    try:
        time = check_time(text)
    except UsageError:
        return
    assert check_time(time) == time and len(time) == 5


@given(st.text(max_size=200))
def test_any_text_is_a_zone_or_one_usage_error(text: str) -> None:
    try:
        zone = check_timezone(text)
    except UsageError as error:
        assert "\n" not in str(error)
        return
    assert check_timezone(zone) == zone


@given(st.text(max_size=80))
def test_any_text_is_a_channel_or_one_usage_error(text: str) -> None:
    try:
        channel = check_channel(text)
    except UsageError:
        return
    assert check_channel(channel) == channel and channel.split(":")[0] in (
        "discord", "slack", "markdown",
    )  # fmt: skip


SOURCES = ("arxiv", "huggingface", "hackernews")


def test_names_are_case_folded_split_and_kept_once() -> None:
    assert check_names(["ArXiv,hackernews", " arxiv "], SOURCES, key="k", what="source") == (
        "arxiv", "hackernews",
    )  # fmt: skip


def test_an_unknown_name_is_refused_with_the_closest_and_all_the_known_ones() -> None:
    with pytest.raises(UsageError) as caught:
        check_names(["arxiv", "hugingface"], SOURCES, key="enabled", what="source")
    assert str(caught.value) == (
        "enabled: 'hugingface' is not a source (did you mean huggingface?"
        " sources: arxiv, huggingface, hackernews)"
    )


@given(st.lists(st.text(max_size=20), max_size=5))
def test_any_names_are_known_ones_or_one_usage_error(values: list[str]) -> None:
    try:
        names = check_names(values, SOURCES, key="k", what="source")
    except UsageError as error:
        assert "\n" not in str(error)
        return
    assert set(names) <= set(SOURCES) and len(set(names)) == len(names)


@pytest.mark.parametrize(
    ("include", "exclude", "says"),
    [
        (["cs.LG"], ["cs.LG"], "categories: cs.LG is also in exclude_categories, so no paper"),
        (["stat.ML", "cs.LG"], ["cs"], "cs.LG is also in exclude_categories (as part of cs)"),
    ],
)
def test_a_category_both_asked_for_and_left_out_is_refused(
    include: list[str], exclude: list[str], says: str
) -> None:
    with pytest.raises(UsageError, match=re.escape(says)):
        check_category_filters(include, exclude)


@pytest.mark.parametrize(
    ("include", "exclude"),
    [(["cs"], ["cs.LG"]), (["cs.LG"], ["cs.CV"]), ([], ["cs"]), (["cs.LG"], [])],
)
def test_filters_that_can_match_are_accepted(include: list[str], exclude: list[str]) -> None:
    check_category_filters(include, exclude)  # cs minus cs.LG still lists cs.CV papers
