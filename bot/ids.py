"""The one arXiv id reader: every spelling of a reference to a paper in, its version-less id out.

parse_arxiv_id reads a text that is one reference; find_arxiv_ids finds every reference in free
text. Both match one grammar (one host list, one path list), so they agree on every spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ArxivId",
    "InvalidArxivIdError",
    "find_arxiv_ids",
    "normalize_arxiv_id",
    "parse_arxiv_id",
    "references",
]

# New-style ids: YYMM.NNNN from 2007-04 to 2014-12, YYMM.NNNNN from 2015-01 on.
_NEW = r"(?P<yymm>\d{4})\.(?P<num>\d{4,5})"
# Old-style ids: archive(.SUBJECT-CLASS)/YYMMNNN, e.g. hep-th/9901001 or math.CA/0611800.
_OLD = r"(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.[a-z]{2})?/(?P<old>\d{7})"
_VERSION = r"(?:v(?P<version>[1-9]\d{0,3}))?"
_ID = rf"(?:{_NEW}|{_OLD}){_VERSION}"
_BARE = re.compile(rf"^{_ID}$", re.IGNORECASE)

# Every site that names a paper by its arXiv id, with the paths it serves one under. arXiv's
# own hosts are arxiv.org, every *.arxiv.org mirror (export, browse, lanl, ar5iv.labs, de ...)
# and its first home, xxx.lanl.gov.
_SITES = (
    (r"(?:[a-z0-9-]+\.)*arxiv\.org|xxx\.lanl\.gov", "abs|pdf|html|format|src|e-print|ps|dvi"),
    (r"(?:www\.)?ar5iv\.org", "abs|html|papers"),
    (r"(?:www\.)?alphaxiv\.org", "abs|overview|paper|pdf|resources"),
    (r"(?:www\.)?(?:huggingface|hf)\.co", "papers"),
)
_URL = "|".join(
    rf"(?:https?://)?(?:{hosts})(?::\d{{1,5}})?/(?:{paths})/" for hosts, paths in _SITES
)
_DOI = r"(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:\s*)?10\.48550/arxiv\."
_PREFIX = r"oai:arxiv\.org:|arxiv(?:\s*:\s*|\s+)"  # "arXiv:ID", "arXiv: ID", "arXiv ID", OAI
# A reference: where the id is, the id, a file suffix, then the rest of a URL. It may not start
# inside another token (another site's URL, an e-mail, a word) nor run on into one.
_REFERENCE = re.compile(
    rf"(?<![\w./@=&%+~#?-])(?:{_URL}|{_DOI}|{_PREFIX}){_ID}(?:\.pdf|\.md)?"
    r"(?![\w]|[.-]\w)(?:[/?#][^\s<>\"'`)\]|]*)?",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?"  # sentence punctuation after a link is not part of it


# arXiv's archives; a category is an archive, optionally with a subject class (cs.LG, math.CO).
ARCHIVES = frozenset(
    [
        "astro-ph",
        "cond-mat",
        "cs",
        "econ",
        "eess",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math",
        "math-ph",
        "nlin",
        "nucl-ex",
        "nucl-th",
        "physics",
        "q-bio",
        "q-fin",
        "quant-ph",
        "stat",
    ]
)
_CATEGORY = re.compile(r"^(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.[A-Za-z]{2,}(?:-[A-Za-z]+)?)?$")


def is_category(text: str) -> bool:
    """Whether text names an arXiv category (cs.LG) or a whole archive (cs, hep-th)."""
    match = _CATEGORY.match(text)
    return match is not None and match["archive"] in ARCHIVES


class InvalidArxivIdError(ValueError):
    """Raised when text is not an arXiv identifier or arXiv URL."""


@dataclass(frozen=True, slots=True)
class ArxivId:
    """A parsed arXiv identifier: the version-less id and the version, if one was given."""

    id: str
    version: int | None = None

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"


def _check_new_style(yymm: str, num: str) -> None:
    """Reject new-style ids whose month or digit count cannot exist."""
    year, month = int(yymm[:2]), int(yymm[2:])
    if not 1 <= month <= 12 or (year, month) < (7, 4):
        raise InvalidArxivIdError(f"no arXiv id has the month {yymm}")
    want = 4 if (year, month) < (15, 1) else 5
    if len(num) != want:
        raise InvalidArxivIdError(f"ids from {yymm} have {want} digits after the dot")


def _check_old_style(old: str) -> None:
    """Reject old-style ids whose YYMM is outside 1991-08 .. 2007-03."""
    year, month = int(old[:2]), int(old[2:4])
    full_year = 1900 + year if year >= 91 else 2000 + year
    if not 1 <= month <= 12 or not (1991, 8) <= (full_year, month) <= (2007, 3):
        raise InvalidArxivIdError(f"no old-style arXiv id has the month {old[:4]}")


def _checked(match: re.Match[str]) -> ArxivId:
    """The id a match of _BARE or _REFERENCE names, if such an id can exist."""
    version = int(match["version"]) if match["version"] else None
    if match["yymm"]:
        _check_new_style(match["yymm"], match["num"])
        return ArxivId(f"{match['yymm']}.{match['num']}", version)
    _check_old_style(match["old"])
    return ArxivId(f"{match['archive'].lower()}/{match['old']}", version)


def parse_arxiv_id(text: str) -> ArxivId:
    """Read a text that is one reference: an id, an arXiv-like URL, a DOI, 'arXiv:ID', 'oai:'."""
    candidate = text.strip()
    match = _BARE.match(candidate) or _REFERENCE.fullmatch(candidate.rstrip(_TRAILING))
    if match is None:
        raise InvalidArxivIdError(f"not an arXiv id or arXiv URL: {text[:80]!r}")
    return _checked(match)


def normalize_arxiv_id(text: str) -> str:
    """Return the version-less arXiv id for text, raising InvalidArxivIdError if there is none."""
    return parse_arxiv_id(text).id


def references(text: str) -> list[tuple[str, ArxivId]]:
    """Every reference in free text, as (the text that makes it, its id), in order.

    Bare ids ('2106.12627') are not references in free text: numbers like that are too common.
    """
    found: list[tuple[str, ArxivId]] = []
    for match in _REFERENCE.finditer(text or ""):
        try:
            found.append((match.group(0), _checked(match)))
        except InvalidArxivIdError:
            continue
    return found


def find_arxiv_ids(text: str) -> list[str]:
    """Return the distinct arXiv ids linked or cited in free text, in order of appearance."""
    return list(dict.fromkeys(arxiv_id.id for _, arxiv_id in references(text)))
