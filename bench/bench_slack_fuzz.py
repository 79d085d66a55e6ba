"""10,000 random unauthenticated requests to /slack/events: what they are answered, what is logged.

Serves the real Bolt app the way `hotpapers run` does (start_web, logging configured as the CLI
does) and sends forged, stale, malformed, oversized and unparseable requests from 127.0.0.1:
random headers (missing, repeated, garbled, stale or wrongly signed timestamp and signature,
any Content-Type or Content-Encoding), random bodies from empty to 2 MiB (5% over the 1 MiB cap),
and one in ten as raw bytes aiohttp itself cannot parse. Reports the answers by status, those
outside 400/401/413, tracebacks logged, whether any body reached the log, and log bytes per request.
Exits 1 if any answer is outside 400/401/413, a traceback or a body was logged, or anything ran.

    .venv/bin/python bench/bench_slack_fuzz.py [--requests 10000] [--concurrency 32] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import io
import logging
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import httpx
from multidict import CIMultiDict
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.adapters.slack.gate import MAX_BODY_BYTES
from bot.app import build_app, slack_adapter
from bot.config import Config, Env, Settings
from bot.delivery.web import health_app, start_web
from bot.store import Store

SECRET = "bench-signing-secret"
MARK = b"zq7-bench-body-marker"
ALLOWED = frozenset({400, 401, 413})
POOL = random.Random(0).randbytes(2 * MAX_BODY_BYTES + 1024)


class CountingLog(io.TextIOBase):
    """A log stream that keeps only counts: bytes, lines, tracebacks, and bodies seen."""

    def __init__(self) -> None:
        """Nothing written yet."""
        self.bytes = self.lines = self.tracebacks = self.bodies = 0
        self.sample: list[str] = []

    def write(self, text: str) -> int:
        """Count what the logging handler writes."""
        self.bytes += len(text.encode("utf-8", "replace"))
        self.lines += text.count("\n")
        self.tracebacks += text.count("Traceback")
        self.bodies += text.count(MARK.decode())
        if len(self.sample) < 3 and text.strip():
            self.sample.append(text.strip()[:200])
        return len(text)


def sign(body: bytes, stamp: str, secret: str) -> str:
    """Slack's v0 signature."""
    base = b"v0:" + stamp.encode("utf-8", "replace") + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def body(rng: random.Random) -> bytes:
    """Random bytes of a size drawn like a flood's: mostly small, some large, a few over the cap."""
    roll = rng.random()
    if roll < 0.6:
        size = rng.randrange(0, 2_000)
    elif roll < 0.8:
        size = rng.randrange(2_000, 100_000)
    elif roll < 0.95:
        size = rng.randrange(100_000, MAX_BODY_BYTES - len(MARK))
    else:
        size = rng.randrange(MAX_BODY_BYTES, 2 * MAX_BODY_BYTES)
    start = rng.randrange(0, len(POOL) - size)
    shape = rng.choice([b"", b"{", b"payload=", b"command=/digest&text=unsubscribe&", b'{"type":'])
    return shape + MARK + POOL[start : start + size]


def garble(rng: random.Random) -> str:
    """A header value a client can send: printable text of any script, or near-misses."""
    return rng.choice(
        [
            "",
            "abc",
            "v0=",
            "1e9",
            " 1",
            "+1700000000",
            "١٧٠٠٠٠٠٠٠٠",
            "v1=" + "0" * 64,
            "v0=" + "A" * 64,
            "v0=" + "0" * 63,
            "".join(filter(str.isprintable, map(chr, rng.sample(range(32, 0x3000), 40)))),
            str(rng.randrange(-(2**40), 2**40)),
        ]
    )


def headers(rng: random.Random, data: bytes) -> CIMultiDict[str]:
    """Slack-like headers, each part absent, garbled, stale, or signed with the wrong key."""
    now = int(time.time())
    out: CIMultiDict[str] = CIMultiDict()
    stamp = rng.choice([str(now), str(now - 400), str(now + 400), garble(rng), None])
    if stamp is not None:
        out.add("X-Slack-Request-Timestamp", stamp)
    how = rng.choice(["absent", "garbled", "wrong key", "other body", "other time", "repeated"])
    base = stamp or str(now)
    if how == "garbled":
        out.add("X-Slack-Signature", garble(rng))
    elif how == "wrong key":
        out.add("X-Slack-Signature", sign(data, base, SECRET + "?"))
    elif how == "other body":
        out.add("X-Slack-Signature", sign(data + b"!", base, SECRET))
    elif how == "other time":
        out.add("X-Slack-Signature", sign(data, str(now - 1000), SECRET))
    elif how == "repeated":
        out.add("X-Slack-Signature", sign(data, base, SECRET))
        out.add("X-Slack-Signature", sign(data, base, SECRET))
    types = ["application/json", "application/x-www-form-urlencoded", "text/plain", garble(rng)]
    if rng.random() < 0.8:
        out.add("Content-Type", rng.choice(types))
    extra = ["X-Slack-Retry-Num", "Content-Encoding", "X-Slack-Bolt-Lazy-Only", "X-A"]
    for _ in range(rng.randrange(0, 3)):
        out.add(rng.choice(extra), rng.choice(["1", "gzip", "br", garble(rng)]))
    return out


def unparseable(rng: random.Random) -> bytes:
    """Raw requests aiohttp's own parser refuses, each quoting a body marker."""
    head = b"POST /slack/events HTTP/1.1\r\nHost: bench\r\n"
    mark = MARK * rng.randrange(1, 4)
    return head + rng.choice(
        [
            b"X-Slack-Signature: " + mark * 700 + b"\r\nContent-Length: 0\r\n\r\n",
            b"Content-Length: " + mark + b"\r\n\r\n",
            b"Content-Length: 2\r\nContent-Length: 3\r\n\r\nhi",
            b"Transfer-Encoding: chunked\r\n\r\n" + mark + b"\r\n",
            b"X-" + mark + b"\x01: 1\r\nContent-Length: 0\r\n\r\n",
            b"X-Slack-Request-Timestamp: \xff\xfe" + mark + b"\r\nContent-Length: 0\r\n\r\n",
        ]
    )


async def send_raw(port: int, request: bytes) -> int:
    """Write bytes, read the status code of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        line = await reader.readline()
        return int(line.split()[1]) if line.startswith(b"HTTP/") else 0
    finally:
        writer.close()
        await writer.wait_closed()


async def one(session: aiohttp.ClientSession, port: int, rng: random.Random) -> tuple[int, int]:
    """Send one random request; its status (0: no answer) and the body bytes it carried."""
    if rng.random() < 0.1:
        request = unparseable(rng)
        return await send_raw(port, request), len(request)
    data = body(rng)
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        async with session.post(
            url, data=data, headers=headers(rng, data), skip_auto_headers=["Content-Type"]
        ) as response:
            await response.read()
            return response.status, len(data)
    except aiohttp.ClientError:
        return 0, len(data)


def no_http(request: httpx.Request) -> httpx.Response:
    """The sources' HTTP client is not used here."""
    raise AssertionError(f"unexpected request to {request.url}")


async def main(requests: int, concurrency: int, seed: int, level: str) -> int:
    """Serve, flood, report; 1 if anything was answered or logged that should not have been."""
    log = CountingLog()
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=log,
        force=True,
    )
    with tempfile.TemporaryDirectory() as folder:
        env = Env(
            slack_bot_token=SecretStr("xoxb-bench"),
            slack_signing_secret=SecretStr(SECRET),
            slack_api_url="http://127.0.0.1:9/api/",  # nothing may reach Slack: it would fail
        )
        store = Store(Path(folder) / "bench.db")
        app = build_app(
            Settings(Config(), env), store=store, transport=httpx.MockTransport(no_http)
        )
        adapter = slack_adapter(app)
        web_app = health_app(lambda: (True, {}))
        adapter.attach(web_app)
        runner, port = await start_web(web_app, "127.0.0.1", 0)
        rng = random.Random(seed)
        statuses: Counter[int] = Counter()
        sent = 0
        gate = asyncio.Semaphore(concurrency)

        async def run(session: aiohttp.ClientSession) -> None:
            nonlocal sent
            async with gate:
                status, size = await one(session, port, rng)
                statuses[status] += 1
                sent += size

        log_before = log.bytes
        began = time.perf_counter()
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            await asyncio.gather(*(run(session) for _ in range(requests)))
        elapsed = time.perf_counter() - began
        assert adapter.endpoints.deliveries is not None
        ran = adapter.endpoints.deliveries.count()
        await runner.cleanup()
        await app.aclose()
    grown = log.bytes - log_before
    outside = sum(n for status, n in statuses.items() if status not in ALLOWED)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{requests} requests in {elapsed:.1f} s ({requests / elapsed:.0f}/s), concurrency"
          f" {concurrency}, {sent / 2**20:.0f} MiB of bodies, log level {level}")  # fmt: skip
    print("answers:", ", ".join(f"{s or 'none'}: {n}" for s, n in sorted(statuses.items())))
    print(f"outside 400/401/413: {outside}; requests that ran: {ran}")
    print(f"logged: {grown} bytes in {log.lines} lines ({grown / requests:.2f} bytes per request,"
          f" {grown / max(sent, 1) * 1e6:.1f} bytes per MB received); tracebacks {log.tracebacks};"
          f" bodies {log.bodies}")  # fmt: skip
    print(f"peak RSS {rss:.0f} MiB")
    for line in log.sample:
        print("  e.g.", line)
    return 1 if outside or ran or log.tracebacks or log.bodies else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING"])
    options = parser.parse_args()
    sys.exit(
        asyncio.run(main(options.requests, options.concurrency, options.seed, options.log_level))
    )
