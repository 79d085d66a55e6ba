"""Response bodies read within a size limit, counted on the wire and again after decompression.

We inflate gzip and deflate ourselves, in bounded pieces: httpx inflates each network chunk in
one call, so one 64 KiB chunk of a gzip bomb would become 64 MiB before anything could count it.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable, AsyncIterator, Iterator

__all__ = [
    "ACCEPT_ENCODING",
    "PIECE",
    "BodyTooLargeError",
    "Inflater",
    "UnsupportedEncodingError",
    "bounded",
    "inflater_for",
    "megabytes",
]

# What we ask for: the encodings we can inflate within a bound (no brotli or zstd decoder here).
ACCEPT_ENCODING = "gzip, deflate"
PIECE = 1 << 20  # decompressed bytes produced per step, so memory stays flat whatever the ratio


class BodyTooLargeError(Exception):
    """The body passed the limit; `where` says whether on the wire or once decompressed."""

    def __init__(self, limit: int, where: str) -> None:
        """Say which limit was passed."""
        super().__init__(f"larger than {megabytes(limit)} {where}")
        self.limit = limit
        self.where = where


class UnsupportedEncodingError(Exception):
    """The server used a content encoding we did not offer."""


def megabytes(size: int) -> str:
    """A byte count as megabytes for messages, e.g. '16 MB' or '0.5 MB'."""
    value = size / 1_000_000
    return f"{value:.0f} MB" if value >= 1 else f"{value:.2g} MB"


class Inflater:
    """Decompresses a gzip or zlib stream in pieces of at most `piece` bytes."""

    def __init__(self, wbits: int, piece: int = PIECE) -> None:
        """wbits as zlib takes it: 31 for gzip, 15 for zlib; raw deflate is tried on failure."""
        self._wbits = wbits
        self._piece = piece
        self._inflate = zlib.decompressobj(wbits)
        self._started = False  # any input seen

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decompressed pieces of a chunk of the stream."""
        while data:
            try:
                piece = self._inflate.decompress(data, self._piece)
            except zlib.error:
                if self._started or self._wbits != zlib.MAX_WBITS:
                    raise
                # Some servers send raw deflate under "deflate"; try that once, from the start.
                self._wbits = -zlib.MAX_WBITS
                self._inflate = zlib.decompressobj(self._wbits)
                continue
            self._started = True
            if piece:
                yield piece
            data = self._inflate.unconsumed_tail
            if not data and self._inflate.eof and self._inflate.unused_data:
                data = self._inflate.unused_data  # another gzip member follows
                self._inflate = zlib.decompressobj(self._wbits)

    def flush(self) -> bytes:
        """What the decompressor still holds at the end of the stream; a cut stream raises."""
        tail = self._inflate.flush()
        if self._started and not self._inflate.eof:
            raise zlib.error("the compressed body ends before its end marker")
        return tail


def inflater_for(encoding: str, piece: int = PIECE) -> Inflater | None:
    """The decompressor for a Content-Encoding (None for identity); refuses others."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return None
    if name in ("gzip", "x-gzip"):
        return Inflater(zlib.MAX_WBITS | 16, piece)
    if name == "deflate":
        return Inflater(zlib.MAX_WBITS, piece)
    raise UnsupportedEncodingError(f"content encoding {encoding[:30]!r} was not asked for")


async def bounded(
    raw: AsyncIterable[bytes], encoding: str, limit: int, piece: int = PIECE
) -> AsyncIterator[bytes]:
    """The decoded body from raw wire chunks; BodyTooLargeError past `limit` either side."""
    inflater = inflater_for(encoding, piece)
    wire = size = 0
    async for chunk in raw:
        wire += len(chunk)
        if wire > limit:
            raise BodyTooLargeError(limit, "on the wire")
        pieces = (chunk,) if inflater is None else inflater.feed(chunk)
        for data in pieces:
            size += len(data)
            if size > limit:
                raise BodyTooLargeError(limit, "decompressed")
            yield data
    tail = inflater.flush() if inflater is not None else b""
    if tail:
        if size + len(tail) > limit:
            raise BodyTooLargeError(limit, "decompressed")
        yield tail
