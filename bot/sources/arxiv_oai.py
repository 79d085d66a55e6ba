"""arXiv OAI-PMH (arXivRaw records): catching up on listings the feed no longer shows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import httpx

from bot.models import Paper
from bot.sources.base import NONE_DROPPED, Dropped
from bot.sources.errors import ParseError, SourceError
from bot.sources.http import Body, PoliteHttp, expect_ok_streamed
from bot.sources.payload import (
    RecordStream,
    arxiv_id_of,
    attr_of,
    parse_rfc2822,
    squash,
    text_of,
)

__all__ = ["Page", "catch_up", "oai_sets", "parse", "read"]

SOURCE = "arxiv"
_OAI = "{http://www.openarchives.org/OAI/2.0/}"
_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
# Archives whose OAI set is the archive name; the other archives are physics:ARCHIVE sets.
_TOP_LEVEL = frozenset({"cs", "math", "stat", "q-bio", "q-fin", "eess", "econ", "physics"})
# Resumption pages are bounded so a broken server cannot keep us paging forever.
MAX_PAGES = 50


@dataclass(frozen=True, slots=True)
class Page:
    """One ListRecords page: papers with their version counts, the resumption token, drops."""

    papers: tuple[tuple[Paper, int], ...]
    token: str | None
    dropped: Dropped = NONE_DROPPED


def oai_sets(categories: Iterable[str]) -> tuple[str, ...]:
    """The OAI sets covering categories, e.g. cs.LG -> cs, hep-th -> physics:hep-th."""
    sets: list[str] = []
    for category in categories:
        archive = category.split(".")[0]
        name = archive if archive in _TOP_LEVEL else f"physics:{archive}"
        if name not in sets:
            sets.append(name)
    return tuple(sets)


def _authors(text: str) -> tuple[str, ...]:
    """arXivRaw lists authors as 'A, B and C'."""
    return tuple(n for n in (squash(p) for p in text.replace(" and ", ", ").split(",")) if n)


def _record(record: ET.Element, where: str) -> tuple[Paper, int] | None:
    """One record as a paper and its number of versions; None for deleted records."""
    header = record.find(f"{_OAI}header")
    if header is not None and header.get("status") == "deleted":
        return None
    raw = record.find(f"{_OAI}metadata/{_RAW}arXivRaw")
    if raw is None:
        raise ParseError(SOURCE, f"{where}: no arXivRaw metadata")
    parsed = arxiv_id_of(text_of(raw.find(f"{_RAW}id")))
    if parsed is None:
        raise ParseError(SOURCE, f"{where}: no valid arXiv id")
    versions = raw.findall(f"{_RAW}version")
    dates = [
        parse_rfc2822(text_of(v.find(f"{_RAW}date")), SOURCE, f"{where}.version") for v in versions
    ]
    paper = Paper(
        arxiv_id=parsed.id,
        title=squash(text_of(raw.find(f"{_RAW}title"))),
        authors=_authors(text_of(raw.find(f"{_RAW}authors"))),
        abstract=squash(text_of(raw.find(f"{_RAW}abstract"))),
        categories=tuple(text_of(raw.find(f"{_RAW}categories")).split()),
        version=max(len(versions), 1),
        published=min(dates) if dates else None,
        updated=max(dates) if dates else None,
        comment=squash(text_of(raw.find(f"{_RAW}comments"))),
    )
    if not paper.title:
        raise ParseError(SOURCE, f"{where}: no title")
    return paper, len(versions)


def _stream() -> RecordStream[tuple[Paper, int]]:
    """A reader of ListRecords' records, each parsed as it ends."""
    return RecordStream(SOURCE, f"{_OAI}record", _record, lambda r: r.find(f"{_OAI}ListRecords"))


def _page(stream: RecordStream[tuple[Paper, int]], root: ET.Element) -> Page:
    """The page, once the whole answer was read."""
    if root.tag != f"{_OAI}OAI-PMH":
        raise ParseError(SOURCE, f"not an OAI-PMH response (root element {root.tag[:40]!r})")
    error = root.find(f"{_OAI}error")
    if error is not None:
        if error.get("code") == "noRecordsMatch":
            return Page((), None)
        code = attr_of(error, "code")
        raise SourceError(SOURCE, f"OAI-PMH error {code}: {squash(text_of(error))}")
    listing = root.find(f"{_OAI}ListRecords")
    if listing is None:
        raise ParseError(SOURCE, "no ListRecords element")
    token = squash(text_of(listing.find(f"{_OAI}resumptionToken"))) or None
    return Page(tuple(stream.records), token, stream.dropped)


def parse(payload: bytes | str) -> Page:
    """Parse a ListRecords response; noRecordsMatch is an empty page, other errors raise."""
    stream = _stream()
    return _page(stream, stream.parse(payload))


async def read(chunks: AsyncIterable[bytes]) -> Page:
    """parse() as the answer streams in."""
    stream = _stream()
    return _page(stream, await stream.read(chunks))


async def _read_page(response: httpx.Response, body: Body) -> Page:
    """A ListRecords answer, checked and parsed as it streams in."""
    await expect_ok_streamed(response, body, SOURCE)
    return await read(body)


async def _harvest(http: PoliteHttp, oai_url: str, params: dict[str, str]) -> list[Page]:
    """Every page of one ListRecords request, following resumption tokens."""
    pages: list[Page] = []
    for _ in range(MAX_PAGES):
        page = await http.fetch("GET", oai_url, source=SOURCE, params=params, read=_read_page)
        pages.append(page)
        if page.token is None:
            return pages
        params = {"verb": "ListRecords", "resumptionToken": page.token}
    raise SourceError(SOURCE, f"OAI-PMH still paging after {MAX_PAGES} pages")


async def catch_up(
    http: PoliteHttp, oai_url: str, day: date, categories: tuple[str, ...]
) -> tuple[tuple[Paper, ...], Dropped]:
    """Papers in categories whose records changed around the listing `day`.

    A record with one version is taken as new in that listing; others keep no announcement day,
    so the store dates them by their first version.
    """
    wanted = set(categories)
    found: dict[str, Paper] = {}
    dropped = Dropped()
    for oai_set in oai_sets(categories):
        params = {
            "verb": "ListRecords",
            "metadataPrefix": "arXivRaw",
            "from": (day - timedelta(days=1)).isoformat(),
            "until": day.isoformat(),
            "set": oai_set,
        }
        for page in await _harvest(http, oai_url, params):
            dropped += page.dropped
            for paper, versions in page.papers:
                if wanted.intersection(paper.categories):
                    announced = day if versions == 1 else None
                    found[paper.arxiv_id] = replace(paper, announced=announced)
    return tuple(found.values()), dropped
