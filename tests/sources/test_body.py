"""Bodies read within a limit, on the wire and once decompressed, in bounded pieces."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator

import pytest

from bot.sources.body import PIECE, BodyTooLargeError, UnsupportedEncodingError, bounded


async def chunks(data: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read(data: bytes, encoding: str, limit: int) -> list[bytes]:
    return [piece async for piece in bounded(chunks(data), encoding, limit)]


def bomb(size: int) -> bytes:
    """A gzip stream of `size` zero bytes: about a thousandth of that on the wire."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [squeeze.compress(block) for _ in range(size >> 20)]
    return b"".join(parts) + squeeze.flush()


@pytest.mark.parametrize("encoding", ["", "identity", "gzip", "deflate"])
async def test_a_body_within_the_limit_is_decoded_whole(encoding: str) -> None:
    data = b"hello, arXiv " * 1000
    wire = {"gzip": gzip.compress(data), "deflate": zlib.compress(data)}.get(encoding, data)
    assert b"".join(await read(wire, encoding, len(data))) == data


async def test_raw_deflate_is_read_too() -> None:
    squeeze = zlib.compressobj(6, zlib.DEFLATED, -15)
    wire = squeeze.compress(b"raw deflate body") + squeeze.flush()
    assert b"".join(await read(wire, "deflate", 100)) == b"raw deflate body"


async def test_concatenated_gzip_members_are_all_read() -> None:
    wire = gzip.compress(b"first ") + gzip.compress(b"second")
    assert b"".join(await read(wire, "gzip", 100)) == b"first second"


async def test_a_body_over_the_limit_on_the_wire_stops_there() -> None:
    with pytest.raises(BodyTooLargeError, match="on the wire"):
        await read(bytes(300_000), "", 200_000)


async def test_a_gzip_bomb_stops_at_the_limit_in_pieces_of_bounded_size() -> None:
    wire = bomb(64 << 20)  # 64 MiB of zeros in about 64 KiB
    assert len(wire) < 100_000
    seen: list[int] = []
    with pytest.raises(BodyTooLargeError, match="decompressed"):
        async for piece in bounded(chunks(wire), "gzip", 8 << 20):
            seen.append(len(piece))
    assert max(seen) <= PIECE and sum(seen) <= 8 << 20


async def test_an_encoding_we_did_not_ask_for_is_refused() -> None:
    with pytest.raises(UnsupportedEncodingError, match="br"):
        await read(b"x", "br", 10)


async def test_a_corrupt_gzip_body_raises_a_zlib_error() -> None:
    with pytest.raises(zlib.error):
        await read(b"\x1f\x8b\x08\x00garbage!", "gzip", 100)
