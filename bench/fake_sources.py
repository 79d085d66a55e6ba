"""A local fake of arXiv (feed + API), Hugging Face and Algolia for the fetch benchmark.

Runs in its own process on 127.0.0.1, one port per service, and enforces arXiv's spacing: an
arXiv request arriving sooner than the spacing after the previous one gets 503 + Retry-After and
is counted as a violation.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

DAY = date(2024, 2, 5)
WORDS = [
    "model",
    "learning",
    "neural",
    "network",
    "language",
    "vision",
    "transformer",
    "diffusion",
    "agent",
    "reasoning",
    "benchmark",
    "scaling",
    "robust",
    "efficient",
    "sparse",
    "attention",
    "graph",
    "policy",
    "reward",
    "data",
    "training",
]


@dataclass
class World:
    """The synthetic day: announced papers, older linked papers, HF items and HN hits."""

    announced: list[str]
    kinds: dict[str, str]
    older: list[str]
    hf_by_day: dict[str, list[dict[str, Any]]]
    hn_hits: list[dict[str, Any]]
    text: dict[str, tuple[str, str, list[str]]] = field(default_factory=dict)


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def build_world(papers: int, hf_items: int, hn_hits: int, seed: int = 7) -> World:
    """Deterministic synthetic data of the requested size."""
    rng = random.Random(seed)
    announced = [f"2402.{n:05d}" for n in range(1, papers + 1)]
    kinds = {
        i: rng.choices(("new", "cross", "replace", "replace-cross"), (70, 15, 10, 5))[0]
        for i in announced
    }
    older = [f"2401.{n:05d}" for n in range(1, 121)]  # linked papers from earlier listings
    world = World(announced, kinds, older, {}, [])
    for arxiv_id in announced + older:
        authors = [f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}" for _ in range(6)]
        world.text[arxiv_id] = (_sentence(rng, 10).title(), _sentence(rng, 180), authors)
    linked = announced[: int(papers * 0.9)]
    for n in range(hf_items):
        arxiv_id = older[(n // 10) % len(older)] if n % 10 == 0 else rng.choice(linked)
        day = (DAY - timedelta(days=n % 15)).isoformat()
        item = {
            "paper": {"id": arxiv_id, "upvotes": rng.randint(0, 300), "title": "t"},
            "numComments": rng.randint(0, 20),
        }
        world.hf_by_day.setdefault(day, []).append(item)
    for n in range(hn_hits):
        arxiv_id = older[(n // 10) % len(older)] if n % 10 == 0 else rng.choice(linked)
        form = rng.choice(("abs/{}", "pdf/{}", "pdf/{}v2.pdf"))
        world.hn_hits.append(
            {
                "objectID": str(39_000_000 + n),
                "title": world.text[arxiv_id][0],
                "url": "https://arxiv.org/" + form.format(arxiv_id),
                "author": f"user{n}",
                "points": rng.randint(1, 500),
                "num_comments": rng.randint(0, 200),
                "created_at_i": 1707100000 - n * 60,
            }
        )
    return world


def render_rss(world: World) -> bytes:
    """The announcement feed of the day."""
    items = []
    for arxiv_id in world.announced:
        title, abstract, authors = world.text[arxiv_id]
        kind = world.kinds[arxiv_id]
        version = 1 if kind in ("new", "cross") else 2
        items.append(
            f"<item><title>{escape(title)}</title><link>https://arxiv.org/abs/{arxiv_id}</link>"
            f"<description>arXiv:{arxiv_id}v{version} Announce Type: {kind} \nAbstract: "
            f"{escape(abstract)}</description>"
            f'<guid isPermaLink="false">oai:arXiv.org:{arxiv_id}v{version}</guid>'
            "<category>cs.LG</category><category>cs.AI</category>"
            "<pubDate>Mon, 05 Feb 2024 00:00:00 -0500</pubDate>"
            f"<arxiv:announce_type>{kind}</arxiv:announce_type>"
            f"<dc:creator>{escape(', '.join(authors))}</dc:creator></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>'
        "<title>cs.LG updates on arXiv.org</title>"
        "<pubDate>Mon, 05 Feb 2024 00:00:00 -0500</pubDate>" + "".join(items) + "</channel></rss>"
    ).encode()


def render_entry(world: World, arxiv_id: str) -> str:
    """One API Atom entry."""
    title, abstract, authors = world.text[arxiv_id]
    names = "".join(f"<author><name>{escape(a)}</name></author>" for a in authors)
    return (
        f"<entry><id>http://arxiv.org/abs/{arxiv_id}v1</id>"
        "<updated>2024-02-01T18:00:00Z</updated><published>2024-02-01T18:00:00Z</published>"
        f"<title>{escape(title)}</title><summary>{escape(abstract)}</summary>{names}"
        '<arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">10 pages</arxiv:comment>'
        '<arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.LG"/>'
        '<category term="cs.LG"/><category term="cs.AI"/></entry>'
    )


class Stats:
    """What the arXiv fake saw."""

    def __init__(self, spacing: float) -> None:
        self.spacing = spacing
        self.lock = threading.Lock()
        self.last: float | None = None
        self.gaps: list[float] = []
        self.violations = 0
        self.requests = 0
        self.first: float | None = None

    def arrive(self) -> bool:
        """Record an arXiv request; False when it came too soon."""
        with self.lock:
            now = time.monotonic()
            self.requests += 1
            self.first = now if self.first is None else self.first
            ok = True
            if self.last is not None:
                gap = now - self.last
                self.gaps.append(gap)
                # 5 ms of slack for loopback scheduling jitter between client and server clocks.
                if gap < self.spacing - 0.005:
                    self.violations += 1
                    ok = False
            self.last = now
            return ok


def handler_class(world: World, stats: Stats, service: str) -> type[BaseHTTPRequestHandler]:
    """A request handler for one fake service."""
    rss = render_rss(world) if service == "arxiv" else b""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: arXiv gets one connection

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: bytes, kind: str, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/stats":
                self._send(200, json.dumps(_stats(stats)).encode(), "application/json")
            elif service == "arxiv" and not stats.arrive():
                self._send(503, b"too fast", "text/plain", Retry_After="1")
            elif url.path.startswith("/rss/"):
                self._send(200, rss, "application/rss+xml", ETag='"bench"')
            elif url.path == "/api/query":
                ids = query.get("id_list", "").split(",")
                body = "".join(render_entry(world, i) for i in ids if i in world.text)
                feed = f'<feed xmlns="http://www.w3.org/2005/Atom">{body}</feed>'.encode()
                self._send(200, feed, "application/atom+xml")
            elif url.path == "/api/daily_papers":
                items = world.hf_by_day.get(query.get("date", ""), [])
                page, size = int(query.get("p", "0")), int(query.get("limit", "50"))
                chunk = items[page * size : (page + 1) * size]
                self._send(200, json.dumps(chunk).encode(), "application/json")
            elif url.path == "/api/v1/search_by_date":
                hits = {"hits": world.hn_hits, "nbHits": len(world.hn_hits)}
                self._send(200, json.dumps(hits).encode(), "application/json")
            else:
                self._send(404, b"not found", "text/plain")

    return Handler


def _stats(stats: Stats) -> dict[str, Any]:
    with stats.lock:
        return {
            "requests": stats.requests,
            "violations": stats.violations,
            "min_gap": min(stats.gaps) if stats.gaps else None,
            "gaps": [round(g, 3) for g in stats.gaps],
            "first": stats.first,
            "last": stats.last,
        }


def serve(conn: Connection, papers: int, hf_items: int, hn_hits: int, spacing: float) -> None:
    """Process entry point: start the three fakes, send their ports, serve until told to stop."""
    world = build_world(papers, hf_items, hn_hits)
    stats = Stats(spacing)
    servers = {
        name: ThreadingHTTPServer(("127.0.0.1", 0), handler_class(world, stats, name))
        for name in ("arxiv", "huggingface", "hackernews")
    }
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.send({name: s.server_address[1] for name, s in servers.items()})
    conn.recv()  # any message means stop
    for server in servers.values():
        server.shutdown()


__all__ = ["DAY", "build_world", "serve"]
