"""A hostile HTTP server: a real socket on 127.0.0.1 (port 0), answering from its own thread.

Each path gets a behaviour: a plain answer, a slow loris (a byte every 2 s, for ever), a gzip
bomb, a huge body, a redirect (to another host, to file://), a Retry-After storm, UTF-16 XML
with a document type. Every request is counted by path. The bench (bench/bench_hostile_fetch.py)
serves its hostile sources with it too.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

__all__ = [
    "HostileServer",
    "Request",
    "answer",
    "gzip_bomb",
    "huge_body",
    "redirect",
    "retry_after_storm",
    "slow_loris",
    "utf16_doctype",
]

_STATUS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    404: "Not Found",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Request:
    """What the client asked for."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str] = field(default_factory=dict)


Behaviour = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


async def _head(
    writer: asyncio.StreamWriter, status: int, headers: Mapping[str, str], length: int | None
) -> None:
    """Write a status line and headers; every answer closes its connection."""
    lines = [f"HTTP/1.1 {status} {_STATUS.get(status, 'Whatever')}", "Connection: close"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    await writer.drain()


def answer(status: int = 200, body: bytes = b"", **headers: str) -> Behaviour:
    """A plain, complete answer."""

    async def behave(request: Request, writer: asyncio.StreamWriter) -> None:
        await _head(writer, status, headers, len(body))
        writer.write(body)
        await writer.drain()

    return behave


def slow_loris(interval: float = 2.0, length: int = 10_000_000) -> Behaviour:
    """Headers at once, then one byte every `interval` seconds until the client gives up."""

    async def behave(request: Request, writer: asyncio.StreamWriter) -> None:
        await _head(writer, 200, {"Content-Type": "application/json"}, length)
        for _ in range(length):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(interval)

    return behave


@functools.lru_cache(maxsize=4)
def bomb_bytes(size: int) -> bytes:
    """`size` zero bytes gzipped: about a thousandth of that on the wire."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [squeeze.compress(block) for _ in range(size >> 20)]
    return b"".join(parts) + squeeze.flush()


def gzip_bomb(size: int = 1 << 30) -> Behaviour:
    """A small gzip body that inflates to `size` bytes."""
    return answer(200, bomb_bytes(size), **{"Content-Encoding": "gzip"})


def huge_body(size: int, announce: bool = True) -> Behaviour:
    """`size` bytes of JSON-ish filler, with or without a Content-Length announcing them."""

    async def behave(request: Request, writer: asyncio.StreamWriter) -> None:
        await _head(writer, 200, {"Content-Type": "application/json"}, size if announce else None)
        block = b" " * (1 << 16)
        sent = 0
        while sent < size:
            piece = block[: size - sent]
            writer.write(piece)
            await writer.drain()
            sent += len(piece)

    return behave


def redirect(location: str, status: int = 302) -> Behaviour:
    """A redirect to `location` (another host, another scheme...)."""
    return answer(status, b"", Location=location)


def retry_after_storm(seconds: int, status: int = 503) -> Behaviour:
    """Always busy, always asking to come back in `seconds`."""
    return answer(status, b"busy", **{"Retry-After": str(seconds)})


def utf16_doctype() -> Behaviour:
    """An RSS feed in UTF-16 whose document type declares an entity (a billion laughs' seed)."""
    text = (
        '<?xml version="1.0" encoding="UTF-16"?>\n'
        '<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n'
        "<rss><channel><title>&lol2;</title></channel></rss>"
    )
    return answer(200, text.encode("utf-16"), **{"Content-Type": "application/rss+xml"})


async def _not_found(request: Request, writer: asyncio.StreamWriter) -> None:
    await answer(404, b"no route")(request, writer)


class HostileServer:
    """The server; use it as a context manager, then route paths to behaviours."""

    def __init__(self) -> None:
        """Not listening until entered."""
        self.routes: dict[str, Behaviour] = {}
        self.hits: Counter[str] = Counter()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """The address of a path (name the host 'localhost' to make it another host)."""
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, behaviour: Behaviour) -> str:
        """Answer `path` with `behaviour`; its URL."""
        self.routes[path] = behaviour
        return self.url(path)

    def __enter__(self) -> HostileServer:
        """Listen on a free port of 127.0.0.1."""
        self._thread.start()
        start = asyncio.start_server(self._accept, "127.0.0.1", 0)
        self._server = asyncio.run_coroutine_threadsafe(start, self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Stop listening, end every answer in progress, stop the thread."""
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            request = await _read_request(reader)
            self.hits[request.path] += 1
            await self.routes.get(request.path, _not_found)(request, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away: what a slow loris is waiting for
        except asyncio.CancelledError:
            pass  # the server is stopping; ending quietly keeps asyncio from logging it
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> Request:
    """The request line, headers, and (unused) body of one request."""
    head = await reader.readuntil(b"\r\n\r\n")
    line, *fields = head.decode("latin-1").split("\r\n")
    method, target, _ = line.split(" ", 2)
    headers = {}
    for entry in fields:
        if ":" in entry:
            name, _, value = entry.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    parts = urlsplit(target)
    return Request(method, parts.path, parts.query, headers)


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    """A started server, stopped on exit."""
    with HostileServer() as server:
        yield server
