"""The one arXiv identifier normaliser used everywhere: text, URLs and DOIs to version-less ids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "ArxivId",
    "InvalidArxivIdError",
    "find_arxiv_ids",
    "normalize_arxiv_id",
    "parse_arxiv_id",
]

# New-style ids: YYMM.NNNN from 2007-04 to 2014-12, YYMM.NNNNN from 2015-01 on.
_NEW = r"(?P<yymm>\d{4})\.(?P<num>\d{4,5})"
# Old-style ids: archive(.SUBJECT-CLASS)/YYMMNNN, e.g. hep-th/9901001 or math.CA/0611800.
_OLD = r"(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.[A-Za-z]{2})?/(?P<old>\d{7})"
_VERSION = r"(?:v(?P<version>[1-9]\d{0,3}))?"
_BARE = re.compile(rf"^(?:{_NEW}|{_OLD}){_VERSION}$")
_DOI = re.compile(r"^10\.48550/arxiv\.(?P<rest>.+)$", re.IGNORECASE)
_PREFIX = re.compile(r"^arxiv:\s*", re.IGNORECASE)
_HOSTS = {
    "arxiv.org",
    "www.arxiv.org",
    "export.arxiv.org",
    "alphaxiv.org",
    "www.alphaxiv.org",
    "huggingface.co",
    "doi.org",
    "dx.doi.org",
}
_PATHS = ("abs", "pdf", "html", "format", "papers", "overview", "e-print")
# Finds candidate URLs and bare ids in free text (posts, comments); each is then validated.
_IN_TEXT = re.compile(
    r"(?:https?://)?(?:www\.|export\.)?(?:arxiv\.org|alphaxiv\.org|huggingface\.co/papers)"
    r"/[^\s<>\"')\]]+"
    r"|\barxiv:\s*[\w./-]+"
    r"|10\.48550/arxiv\.[\w./-]+",
    re.IGNORECASE,
)


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


def _parse_bare(text: str) -> ArxivId:
    """Parse an id with no URL around it, such as 2106.12627v2 or hep-th/9901001."""
    match = _BARE.match(text)
    if match is None:
        raise InvalidArxivIdError(f"not an arXiv id: {text!r}")
    version = int(match["version"]) if match["version"] else None
    if match["yymm"]:
        _check_new_style(match["yymm"], match["num"])
        return ArxivId(f"{match['yymm']}.{match['num']}", version)
    _check_old_style(match["old"])
    return ArxivId(f"{match['archive']}/{match['old']}", version)


def _strip_url(text: str) -> str:
    """Reduce an arXiv, alphaXiv, Hugging Face or DOI URL to the id part of its path."""
    try:
        parts = urlsplit(text if "://" in text else f"https://{text}")
        host = (parts.hostname or "").lower()
    except ValueError:  # e.g. an unbalanced "[" that urlsplit reads as a broken IPv6 host
        raise InvalidArxivIdError(f"not an arXiv URL: {text!r}") from None
    if host not in _HOSTS:
        raise InvalidArxivIdError(f"not an arXiv URL: {text!r}")
    path = parts.path.strip("/")
    if host.endswith("doi.org"):
        return path
    head, _, rest = path.partition("/")
    if head not in _PATHS or not rest:
        raise InvalidArxivIdError(f"no arXiv id in the URL {text!r}")
    if host == "huggingface.co" and head != "papers":
        raise InvalidArxivIdError(f"not a Hugging Face paper URL: {text!r}")
    return rest.removesuffix(".pdf").removesuffix("/")


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse any accepted spelling of an arXiv id into its version-less id and version."""
    candidate = _PREFIX.sub("", text.strip())
    if "/" in candidate and _BARE.match(candidate) is None:
        doi = _DOI.match(candidate)
        candidate = doi["rest"] if doi else _strip_url(candidate)
        # doi.org URLs carry the DOI in their path.
        doi = _DOI.match(candidate)
        candidate = _PREFIX.sub("", doi["rest"] if doi else candidate)
    return _parse_bare(candidate)


def normalize_arxiv_id(text: str) -> str:
    """Return the version-less arXiv id for text, raising InvalidArxivIdError if there is none."""
    return parse_arxiv_id(text).id


def find_arxiv_ids(text: str) -> list[str]:
    """Return the distinct arXiv ids linked or cited in free text, in order of appearance."""
    found: list[str] = []
    for match in _IN_TEXT.finditer(text or ""):
        token = match.group(0).rstrip(".,;:!?")
        try:
            arxiv_id = normalize_arxiv_id(token)
        except InvalidArxivIdError:
            continue
        if arxiv_id not in found:
            found.append(arxiv_id)
    return found
