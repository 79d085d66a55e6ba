"""The arXiv id normaliser: every spelling in, one version-less id out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ids import InvalidArxivIdError, find_arxiv_ids, normalize_arxiv_id, parse_arxiv_id

NEW_IDS = st.builds(
    lambda y, m, n: f"{y:02d}{m:02d}.{n:05d}", st.integers(15, 99), st.integers(1, 12),
    st.integers(0, 99999),
)  # fmt: skip
OLD_4DIGIT = st.builds(
    lambda y, m, n: f"{y:02d}{m:02d}.{n:04d}", st.integers(8, 14), st.integers(1, 12),
    st.integers(0, 9999),
)  # fmt: skip
OLD_STYLE = st.builds(
    lambda a, y, m, n: f"{a}/{y:02d}{m:02d}{n:03d}",
    st.sampled_from(["hep-th", "math", "cond-mat", "astro-ph", "quant-ph", "gr-qc"]),
    st.sampled_from([92, 95, 99, 0, 3, 6]), st.integers(1, 12), st.integers(0, 999),
)  # fmt: skip
ANY_ID = st.one_of(NEW_IDS, OLD_4DIGIT, OLD_STYLE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2106.12627", "2106.12627"),
        ("2106.12627v3", "2106.12627"),
        ("0704.0001", "0704.0001"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("math.CA/0611800", "math/0611800"),
        ("math.CA/0611800v2", "math/0611800"),
        ("arXiv:2106.12627", "2106.12627"),
        ("ARXIV: 2106.12627v1", "2106.12627"),
        ("10.48550/arXiv.2106.12627", "2106.12627"),
        ("https://doi.org/10.48550/arXiv.2106.12627", "2106.12627"),
        ("https://arxiv.org/abs/2106.12627", "2106.12627"),
        ("https://arxiv.org/abs/2106.12627v2", "2106.12627"),
        ("http://arxiv.org/pdf/2106.12627v2.pdf", "2106.12627"),
        ("https://arxiv.org/pdf/2106.12627", "2106.12627"),
        ("arxiv.org/abs/hep-th/9901001v1", "hep-th/9901001"),
        ("https://export.arxiv.org/abs/2106.12627", "2106.12627"),
        ("https://www.alphaxiv.org/abs/2106.12627", "2106.12627"),
        ("https://alphaxiv.org/overview/2106.12627v1", "2106.12627"),
        ("https://huggingface.co/papers/2106.12627", "2106.12627"),
        ("https://arxiv.org/abs/2106.12627?context=cs.LG#x", "2106.12627"),
        ("  2106.12627  ", "2106.12627"),
    ],
)
def test_every_accepted_spelling_normalises_to_the_versionless_id(text: str, expected: str) -> None:
    assert normalize_arxiv_id(text) == expected


def test_parse_keeps_the_version_when_one_is_given() -> None:
    assert parse_arxiv_id("https://arxiv.org/pdf/2106.12627v4.pdf").version == 4
    assert parse_arxiv_id("2106.12627").version is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "2106.1262",  # 2021 ids have five digits after the dot
        "1301.12345",  # 2013 ids have four
        "2113.12345",  # no month 13
        "0703.1234",  # new-style ids start in April 2007
        "hep-th/0801001",  # old-style ids end in March 2007
        "https://example.com/abs/2106.12627",
        "https://huggingface.co/models/2106.12627",
        "https://arxiv.org/list/cs.LG/recent",
        "2106.12627v0",
        "arxiv.org/abs/[2106.12627",  # urlsplit refuses it: still our error, not a crash
        "[/",
    ],
)
def test_text_that_is_no_arxiv_id_is_rejected(text: str) -> None:
    with pytest.raises(InvalidArxivIdError):
        normalize_arxiv_id(text)


@given(ANY_ID, st.integers(1, 30))
def test_every_url_form_round_trips_to_the_same_id(arxiv_id: str, version: int) -> None:
    forms = [
        arxiv_id,
        f"{arxiv_id}v{version}",
        f"arXiv:{arxiv_id}",
        f"https://arxiv.org/abs/{arxiv_id}v{version}",
        f"https://arxiv.org/pdf/{arxiv_id}v{version}.pdf",
        f"http://export.arxiv.org/abs/{arxiv_id}",
        f"https://www.alphaxiv.org/abs/{arxiv_id}",
        f"https://huggingface.co/papers/{arxiv_id}",
        f"10.48550/arXiv.{arxiv_id}",
    ]
    assert {normalize_arxiv_id(f) for f in forms} == {arxiv_id}
    assert normalize_arxiv_id(normalize_arxiv_id(arxiv_id)) == arxiv_id


@given(st.text(max_size=60))
def test_arbitrary_text_either_parses_to_a_canonical_id_or_raises_the_documented_error(
    text: str,
) -> None:
    try:
        result = normalize_arxiv_id(text)
    except InvalidArxivIdError:
        return
    assert normalize_arxiv_id(result) == result


def test_ids_are_found_in_free_text_once_each_in_order() -> None:
    text = (
        "Read https://arxiv.org/abs/2106.12627v2, then arXiv:2106.13228. Also "
        "https://huggingface.co/papers/2106.12627 and https://t.co/abc and 2106.99999x"
    )
    assert find_arxiv_ids(text) == ["2106.12627", "2106.13228"]
