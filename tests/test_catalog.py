"""What forms offer as you type: arXiv categories by code or name, timezones by city."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.catalog import (
    CATEGORY_NAMES,
    COMMON_CATEGORIES,
    category_label,
    find_categories,
    find_timezones,
    timezone_label,
    timezones,
)
from bot.taxonomy import ARCHIVES, CATEGORIES
from bot.validators import check_timezone


def test_every_archive_and_category_has_its_name_and_nothing_else_does() -> None:
    assert set(CATEGORY_NAMES) == set(ARCHIVES) | set(CATEGORIES)
    assert CATEGORY_NAMES["cs.LG"] == "Machine Learning"
    assert CATEGORY_NAMES["hep-th"] == "High Energy Physics - Theory"


def test_common_categories_are_valid_and_fit_a_discord_menu() -> None:
    assert set(COMMON_CATEGORIES) <= set(CATEGORY_NAMES)
    assert len(COMMON_CATEGORIES) == len(set(COMMON_CATEGORIES)) <= 25


def test_labels_fit_slack_option_text() -> None:
    assert category_label("cs.CL") == "cs.CL — Computation and Language"
    assert max(len(category_label(name)) for name in CATEGORY_NAMES) <= 75


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("cs.LG", "cs.LG"),
        ("cs.lg", "cs.LG"),
        ("lg", "cs.LG"),
        ("machine", "cs.LG"),
        ("Machine Learning", "cs.LG"),
        ("vision", "cs.CV"),
        ("quant", "quant-ph"),
        ("hep", "hep-ex"),
        ("  computation   and language ", "cs.CL"),
    ],
)
def test_categories_are_found_by_code_or_name_best_first(typed: str, first: str) -> None:
    assert find_categories(typed)[0] == first


def test_a_category_search_is_bounded_and_empty_lists_the_common_ones() -> None:
    assert len(find_categories("a", limit=100)) == 100
    assert find_categories("") == list(COMMON_CATEGORIES)
    assert find_categories("no such field of study") == []
    assert "stat.ML" in find_categories("machine")


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("berlin", "Europe/Berlin"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("new_york", "America/New_York"),
        ("utc", "UTC"),
        ("kolkata", "Asia/Kolkata"),
        ("america/", "America/Adak"),
    ],
)
def test_timezones_are_found_by_city_or_name(typed: str, first: str) -> None:
    assert find_timezones(typed)[0] == first


def test_timezones_are_only_those_the_settings_accept() -> None:
    names = timezones()
    assert "Europe/Berlin" in names and "UTC" in names
    assert not {"Factory", "localtime", "posixrules"} & set(names)
    assert not [n for n in names if n.startswith(("posix/", "right/"))]
    assert all(check_timezone(name) == name for name in names)


def test_an_empty_timezone_search_offers_the_current_zone_and_utc() -> None:
    assert find_timezones("", first=["Europe/Berlin"]) == ["Europe/Berlin", "UTC"]
    assert find_timezones("") == ["UTC"]


def test_timezone_labels_carry_the_offset_at_that_moment() -> None:
    winter, summer = datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 7, 15, tzinfo=UTC)
    assert timezone_label("Europe/Berlin", winter) == "Europe/Berlin (UTC+01:00)"
    assert timezone_label("Europe/Berlin", summer) == "Europe/Berlin (UTC+02:00)"
    assert timezone_label("America/St_Johns", winter) == "America/St_Johns (UTC-03:30)"


@given(st.text(max_size=200))
def test_any_typed_text_finds_a_bounded_list_of_valid_names(typed: str) -> None:
    found = find_categories(typed, limit=100)
    assert len(found) <= 100 and set(found) <= set(CATEGORY_NAMES)
    zones = find_timezones(typed, limit=100)
    assert len(zones) <= 100 and set(zones) <= set(timezones())
