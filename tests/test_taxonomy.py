"""arXiv's taxonomy: every category in arXiv's spelling, mistakes refused with the closest names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import UsageError
from bot.taxonomy import (
    ARCHIVES,
    CATEGORIES,
    covered_by,
    normalize_category,
    parse_categories,
    unfollowed,
)


@pytest.mark.parametrize(
    ("text", "spelled"),
    [
        ("cs.lg", "cs.LG"),
        ("CS.LG", "cs.LG"),
        (" stat.ml ", "stat.ML"),
        ("math.co", "math.CO"),
        ("cond-mat.MES-HALL", "cond-mat.mes-hall"),
        ("physics.Optics", "physics.optics"),
        ("HEP-TH", "hep-th"),
        ("cs", "cs"),
        ("physics", "physics"),
    ],
)
def test_categories_are_case_folded_to_arxivs_spelling(text: str, spelled: str) -> None:
    assert normalize_category(text) == spelled


@pytest.mark.parametrize(
    ("text", "suggested"),
    [("cs.XX", "cs."), ("cs.LGG", "cs.LG"), ("csLG", "cs.LG"), ("stat.MLL", "stat.ML")],
)
def test_an_unknown_category_is_refused_with_the_closest_names(text: str, suggested: str) -> None:
    with pytest.raises(UsageError, match=f"did you mean {suggested}") as caught:
        normalize_category(text)
    assert f"{text!r} is not an arXiv category" in str(caught.value)


def test_nothing_close_points_at_the_taxonomy() -> None:
    with pytest.raises(UsageError, match=r"arxiv\.org/category_taxonomy"):
        normalize_category("zzzzzzzzzzzz")


def test_comma_lists_are_split_checked_and_deduplicated() -> None:
    assert parse_categories(["cs.LG,cs.cv", " cs.lg ", "", "math.CO"]) == (
        "cs.LG", "cs.CV", "math.CO",
    )  # fmt: skip


def test_the_taxonomy_has_the_categories_people_use() -> None:
    assert {"cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "eess.AS", "q-bio.NC"} <= CATEGORIES
    assert {"cs", "math", "hep-th", "quant-ph", "astro-ph"} <= ARCHIVES
    assert all(name.partition(".")[0] in ARCHIVES for name in CATEGORIES)


@given(st.sampled_from(sorted(CATEGORIES | ARCHIVES)), st.data())
def test_every_valid_name_in_any_case_folds_back_to_itself(name: str, data: st.DataObject) -> None:
    flips = data.draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    mixed = "".join(c.swapcase() if flip else c for c, flip in zip(name, flips, strict=True))
    assert normalize_category(mixed) == name


@given(st.text(max_size=300))
def test_any_text_is_a_category_or_one_usage_error(text: str) -> None:
    try:
        name = normalize_category(text)
    except UsageError as error:
        message = str(error)
        assert "\n" not in message.strip() and len(message) < 300
    else:
        assert name in CATEGORIES | ARCHIVES and normalize_category(name) == name


def test_a_category_is_covered_by_itself_or_its_archive_only() -> None:
    assert covered_by("cs.LG", ["stat.ML", "cs"]) == "cs"
    assert covered_by("cs.LG", ["cs.LG"]) == "cs.LG"
    assert covered_by("cs", ["cs.LG"]) is None  # an archive is more than one of its categories
    assert covered_by("cs.LGX", ["cs.LG"]) is None


def test_unfollowed_categories_are_those_no_listing_overlaps() -> None:
    followed = ("cs.LG", "stat.ML", "math")
    assert unfollowed(["cs.LG", "cs", "math.CO", "physics", "stat.ME"], followed) == [
        "physics", "stat.ME",
    ]  # fmt: skip
