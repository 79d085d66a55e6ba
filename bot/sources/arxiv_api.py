"""The arXiv API (export.arxiv.org/api/query): full metadata for ids, 100 at a time."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.models import Paper
from bot.sources.base import NONE_DROPPED, Dropped
from bot.sources.errors import ParseError, SourceError
from bot.sources.http import PoliteHttp, expect_ok
from bot.sources.payload import arxiv_id_of, attr_of, keep_good, parse_xml, squash, text_of
from bot.timeutil import parse_time

__all__ = ["MAX_IDS", "Found", "fetch_papers", "parse", "parse_page"]

SOURCE = "arxiv"
# The API manual caps id_list requests at 100 ids; it also returns only max_results entries.
MAX_IDS = 100
_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"

Step = Callable[[str, int, int], None]


def _parse_time(entry: ET.Element, tag: str, where: str) -> str:
    """An entry's published or updated time text, required."""
    text = text_of(entry.find(f"{_ATOM}{tag}")).strip()
    if not text:
        raise ParseError(SOURCE, f"{where}: no <{tag}>")
    return text


def _categories(entry: ET.Element) -> tuple[str, ...]:
    """The primary category first, then the others, without repeats."""
    primary = entry.find(f"{_ARXIV}primary_category")
    terms = [attr_of(primary, "term")] if primary is not None else []
    terms += [attr_of(c, "term") for c in entry.findall(f"{_ATOM}category")]
    return tuple(t for t in dict.fromkeys(squash(t) for t in terms) if t)


def _entry(entry: ET.Element, where: str) -> Paper:
    """One Atom entry as a paper."""
    raw_id = text_of(entry.find(f"{_ATOM}id")).strip()
    parsed = arxiv_id_of(raw_id)
    if parsed is None:
        raise ParseError(SOURCE, f"{where}: not an arXiv id: {raw_id[:60]!r}")
    try:
        published = parse_time(_parse_time(entry, "published", where))
        updated = parse_time(_parse_time(entry, "updated", where))
    except (ValueError, OverflowError):
        raise ParseError(SOURCE, f"{where}: a time is not ISO 8601") from None
    title = squash(text_of(entry.find(f"{_ATOM}title")))
    if not title:
        raise ParseError(SOURCE, f"{where}: no title")
    return Paper(
        arxiv_id=parsed.id,
        title=title,
        authors=tuple(
            squash(text_of(a.find(f"{_ATOM}name"))) for a in entry.findall(f"{_ATOM}author")
        ),
        abstract=squash(text_of(entry.find(f"{_ATOM}summary"))),
        categories=_categories(entry),
        version=parsed.version or 1,
        published=published,
        updated=updated,
        comment=squash(text_of(entry.find(f"{_ARXIV}comment"))),
    )


def _error(entries: list[ET.Element]) -> str | None:
    """The message of arXiv's error feed (an entry whose id points at /api/errors), if any."""
    for entry in entries:
        if "/api/errors" in text_of(entry.find(f"{_ATOM}id")):
            return squash(text_of(entry.find(f"{_ATOM}summary"))) or "unspecified error"
    return None


def parse_page(payload: bytes | str) -> tuple[tuple[Paper, ...], Dropped]:
    """An API Atom feed's papers and its malformed entries (dropped); the error feed raises."""
    root = parse_xml(payload, SOURCE)
    if root.tag != f"{_ATOM}feed":
        raise ParseError(SOURCE, f"not an Atom feed (root element {root.tag[:40]!r})")
    entries = root.findall(f"{_ATOM}entry")
    message = _error(entries)
    if message is not None:
        raise SourceError(SOURCE, f"arXiv API error: {message}")
    papers, dropped = keep_good(enumerate(entries), lambda e: _entry(e[1], f"entry[{e[0]}]"))
    return tuple(papers), dropped


def parse(payload: bytes | str) -> tuple[Paper, ...]:
    """Parse an API Atom feed into papers; the error feed raises a SourceError with its message."""
    return parse_page(payload)[0]


@dataclass(frozen=True, slots=True)
class Found:
    """What the API returned for a list of ids."""

    papers: dict[str, Paper]
    missing: list[str]  # ids the API did not return, even when asked a second time
    dropped: Dropped = NONE_DROPPED  # malformed entries (their ids count as missing)


async def _query(
    http: PoliteHttp, api_url: str, ids: Sequence[str], source: str
) -> tuple[tuple[Paper, ...], Dropped]:
    """One id_list request; arXiv answers bad requests with HTTP 400 and its error feed."""
    params = {"id_list": ",".join(ids), "max_results": str(len(ids))}
    response = await http.get(api_url, source=source, params=params)
    if response.status_code == 400:
        parse_page(response.content)  # raises the API's own message
    return parse_page(expect_ok(response, source).content)


async def fetch_papers(
    http: PoliteHttp,
    api_url: str,
    ids: Sequence[str],
    step: Step | None = None,
    *,
    source: str = SOURCE,
) -> Found:
    """Papers for ids, and the ids the API silently dropped even when asked a second time."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, Paper] = {}
    dropped = Dropped()
    for attempt in range(2):  # the API sometimes omits ids from big lists; ask once more
        missing = [i for i in wanted if i not in found]
        chunks = [missing[i : i + MAX_IDS] for i in range(0, len(missing), MAX_IDS)]
        for index, chunk in enumerate(chunks):
            if step is not None:
                label = "arXiv API" if attempt == 0 else "arXiv API, dropped ids again"
                step(label, index, len(chunks))
            papers, bad = await _query(http, api_url, chunk, source)
            found.update((p.arxiv_id, p) for p in papers)
            dropped += bad
    return Found(
        {i: found[i] for i in wanted if i in found}, [i for i in wanted if i not in found], dropped
    )
