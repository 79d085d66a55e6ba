"""The arXiv id normaliser: every spelling in, one version-less id out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ids import (
    _BARE,
    InvalidArxivIdError,
    find_arxiv_ids,
    normalize_arxiv_id,
    parse_arxiv_id,
    references,
)

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


# Spellings of arXiv links and citations as they appear in other people's READMEs, notes, code
# comments and posts (collected from public repositories), with the id each one names.
REAL_WORLD = [
    ("https://browse.arxiv.org/abs/2402.00250", "2402.00250"),
    ("https://browse.arxiv.org/abs/2209.03003v11", "2209.03003"),
    ("https://browse-export.arxiv.org/abs/2402.00250", "2402.00250"),
    ("https://export.arxiv.org/abs/2209.03003v2", "2209.03003"),
    ("http://lanl.arxiv.org/abs/cs/9907003", "cs/9907003"),
    ("http://lanl.arxiv.org/abs/astro-ph/0309141v1", "astro-ph/0309141"),
    ("http://lanl.arXiv.org/abs/1012.4831", "1012.4831"),
    ("http://aps.arXiv.org/abs/hep-th/0109174", "hep-th/0109174"),
    ("http://xxx.lanl.gov/abs/gr-qc/9804048", "gr-qc/9804048"),
    ("http://xxx.lanl.gov/abs/cs.CL/9907006", "cs/9907006"),
    ("http://xxx.lanl.gov/abs/math.DS/0011268", "math/0011268"),
    ("http://xxx.lanl.gov/abs/q-alg/9501025", "q-alg/9501025"),
    ("https://ar5iv.labs.arxiv.org/html/1902.10197", "1902.10197"),
    ("https://ar5iv.labs.arxiv.org/html/1904.01766/assets/x1.png", "1904.01766"),
    ("https://ar5iv.org/abs/2310.15047", "2310.15047"),
    ("https://ar5iv.org/html/2001.08361", "2001.08361"),
    ("https://hf.co/papers/2211.17192", "2211.17192"),
    ("https://hf.co/papers/2412.19437", "2412.19437"),
    ("https://huggingface.co/papers/2506.02138", "2506.02138"),
    ("https://huggingface.co/papers/2506.02138.md", "2506.02138"),
    ("https://huggingface.co/papers/2304.13705#community", "2304.13705"),
    ("https://www.alphaxiv.org/abs/2604.04161", "2604.04161"),
    ("https://alphaxiv.org/abs/2601.02138v1", "2601.02138"),
    ("https://alphaxiv.org/abs/2601.02138.md", "2601.02138"),
    ("https://www.alphaxiv.org/overview/2606.00953", "2606.00953"),
    ("https://www.alphaxiv.org/overview/2606.00953.md", "2606.00953"),
    ("https://www.alphaxiv.org/abs/2411.02820v4", "2411.02820"),
    ("https://arxiv.org/src/1911.08265v2/anc/pseudocode.py", "1911.08265"),
    ("https://arxiv.org/src/2608.27454", "2608.27454"),
    ("http://arxiv.org/src/1706.03762", "1706.03762"),
    ("https://arxiv.org/html/2608.01619v1", "2608.01619"),
    ("https://arxiv.org/html/2402.00250v1/figure.png", "2402.00250"),
    ("https://arxiv.org/html/2402.00250v1/#S3", "2402.00250"),
    ("https://arxiv.org/pdf/2301.11163", "2301.11163"),
    ("https://arxiv.org/pdf/2106.12627v2.pdf#page=3", "2106.12627"),
    ("https://arxiv.org/pdf/hep-th/9901001v1.pdf", "hep-th/9901001"),
    ("https://arxiv.org/abs/2209.03003v3?context=cs.LG", "2209.03003"),
    ("https://arxiv.org/abs/2106.12627/", "2106.12627"),
    ("https://www.arxiv.org/abs/2106.12627", "2106.12627"),
    ("HTTPS://ARXIV.ORG/ABS/2106.12627", "2106.12627"),
    ("arxiv.org/abs/2106.12627", "2106.12627"),
    ("https://arxiv.org/format/2106.12627", "2106.12627"),
    ("https://arxiv.org/e-print/2106.12627", "2106.12627"),
    ("oai:arXiv.org:2402.01001v1", "2402.01001"),
    ("oai:arXiv.org:hep-th/9901001", "hep-th/9901001"),
    ("arXiv 2604.02547", "2604.02547"),
    ("arXiv:2301.11163v1", "2301.11163"),
    ("arXiv: 2106.12627", "2106.12627"),
    ("arXiv:hep-th/0109174", "hep-th/0109174"),
    ("https://doi.org/10.48550/arXiv.2106.12627", "2106.12627"),
    ("https://doi.org/10.48550/ARXIV.2106.12627", "2106.12627"),
    ("http://dx.doi.org/10.48550/arXiv.2106.12627", "2106.12627"),
    ("doi:10.48550/arXiv.2106.12627", "2106.12627"),
    ("10.48550/arXiv.2106.12627", "2106.12627"),
]

# Other sites' URLs and look-alikes: none of them names an arXiv paper.
NOT_ARXIV = [
    "https://notarxiv.org/abs/2106.12627",
    "https://arxiv.org.evil.example/abs/2106.12627",
    "https://evil-arxiv.org/abs/2106.12627",
    "https://example.com/?u=arxiv.org/abs/2106.12627",
    "https://example.com/redirect?to=https://arxiv.org/abs/2106.12627",
    "https://github.com/someone/arxiv.org/abs/2106.12627",
    "https://www.arietiform.com/application/nph-tsq.cgi/su/20/https/www.alphaxiv.org/abs/2609.15364",
    "https://example.com/10.48550/arXiv.2106.12627",
    "https://www.alphaxiv.org/abs/2608.glm-5",
    "https://huggingface.co/models/2106.12627",
    "https://huggingface.co/datasets/2106.12627",
    "https://hf.co/spaces/Supertone/supertonic-3",
    "https://arxiv.org/list/cs.LG/recent",
    "https://arxiv.org/a/smith_j_1",
    "https://arxiv.org/abs/2106.12627x",
    "https://arxiv.org/abs/2106.12627v0",
    "https://arxiv.org/abs/2113.12345",
    "help@arxiv.org/abs/2106.12627",
    "arxiv2106.12627",
]


@pytest.mark.parametrize(("text", "expected"), REAL_WORLD)
def test_real_world_spellings_name_their_paper_in_both_readers(text: str, expected: str) -> None:
    assert normalize_arxiv_id(text) == expected
    assert find_arxiv_ids(f"Read {text} today") == [expected]
    assert find_arxiv_ids(f"({text}).") == [expected]
    assert find_arxiv_ids(f"[paper]({text})") == [expected]


@pytest.mark.parametrize("text", NOT_ARXIV)
def test_other_sites_and_look_alikes_match_neither_reader(text: str) -> None:
    with pytest.raises(InvalidArxivIdError):
        parse_arxiv_id(text)
    assert find_arxiv_ids(f"see {text} now") == []


def test_chat_markup_around_a_link_is_not_part_of_it() -> None:
    text = "<https://arxiv.org/abs/2106.12627|the paper> and <https://hf.co/papers/2211.17192>"
    assert find_arxiv_ids(text) == ["2106.12627", "2211.17192"]


HOSTS = st.sampled_from(
    [
        "arxiv.org",
        "www.arxiv.org",
        "export.arxiv.org",
        "browse.arxiv.org",
        "lanl.arxiv.org",
        "de.arxiv.org",
        "xxx.lanl.gov",
    ]
)
SITES = st.sampled_from(
    [
        "ar5iv.labs.arxiv.org/html",
        "ar5iv.org/abs",
        "hf.co/papers",
        "huggingface.co/papers",
        "www.alphaxiv.org/abs",
        "alphaxiv.org/overview",
    ]
)
PREFIXES = st.sampled_from(
    [
        "arXiv:",
        "arXiv: ",
        "arXiv ",
        "oai:arXiv.org:",
        "10.48550/arXiv.",
        "https://doi.org/10.48550/arXiv.",
        "doi:10.48550/arXiv.",
    ]
)
SPELLINGS = st.one_of(
    st.builds(
        lambda scheme, host, path, i, tail: f"{scheme}{host}/{path}/{i}{tail}",
        st.sampled_from(["", "http://", "https://"]),
        HOSTS,
        st.sampled_from(["abs", "pdf", "html", "src", "format"]),
        ANY_ID,
        st.sampled_from(["", "/", ".pdf", "v2", "v3/x1.png", "?context=cs", "#S2"]),
    ),
    st.builds(lambda site, i: f"https://{site}/{i}", SITES, ANY_ID),
    st.builds(lambda prefix, i: f"{prefix}{i}", PREFIXES, ANY_ID),
)
AROUND = st.sampled_from(["", " ", "\n", "(", "[x](", "<", "see ", "«", '"', "'"])
AFTER = st.sampled_from(["", " ", ".", ",", ")", ">", "|", "!", "?", "\n", ". Next", '"'])


@given(SPELLINGS, AROUND, AFTER)
def test_both_readers_read_any_spelling_in_any_setting_the_same(
    spelling: str, before: str, after: str
) -> None:
    expected = normalize_arxiv_id(spelling)
    assert find_arxiv_ids(f"{before}{spelling}{after}") == [expected]


LINKISH = st.text(
    alphabet=st.sampled_from(list("arxivoghfcdpbswl.:/-_?#=@ 0123456789vAXI().<>|,")),
    max_size=60,
)


@given(st.one_of(LINKISH, st.text(max_size=60), SPELLINGS))
def test_every_reference_found_in_text_is_one_the_single_reader_accepts(text: str) -> None:
    for span, arxiv_id in references(text):
        assert parse_arxiv_id(span) == arxiv_id


@given(st.one_of(LINKISH, SPELLINGS))
def test_a_reference_the_single_reader_accepts_is_found_alone(text: str) -> None:
    try:
        arxiv_id = parse_arxiv_id(text)
    except InvalidArxivIdError:
        return
    if _BARE.match(text.strip()) is None:  # a bare id is one only when asked for an id
        assert find_arxiv_ids(text) == [arxiv_id.id]
