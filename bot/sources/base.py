"""The one interface every source implements, what a fetch returns, and how it fails."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from bot.config import Settings
from bot.models import Paper, Signal, SocialPost
from bot.sources.errors import AuthError, ParseError, SourceError
from bot.sources.http import PoliteHttp
from bot.untrusted import is_web_url

__all__ = [
    "NONE_DROPPED",
    "AuthError",
    "Batch",
    "Dropped",
    "FetchContext",
    "FetchResult",
    "Listener",
    "ParseError",
    "Sessions",
    "Source",
    "SourceError",
]

_REASONS_KEPT = 3  # a report quotes this many reasons; the count covers every dropped record


@dataclass(frozen=True, slots=True)
class Dropped:
    """Records dropped as malformed (the rest of their batch is kept): how many, and why."""

    count: int = 0
    reasons: tuple[str, ...] = ()

    def __add__(self, other: Dropped) -> Dropped:
        """Both counts, and the first reasons of both."""
        reasons = (self.reasons + other.reasons)[:_REASONS_KEPT]
        return Dropped(self.count + other.count, reasons)

    def summary(self) -> str:
        """'2 malformed records dropped (hits[3].points: a count cannot be negative; ...)'."""
        if not self.count:
            return ""
        noun = "record" if self.count == 1 else "records"
        return f"{self.count} malformed {noun} dropped ({'; '.join(self.reasons)})"


NONE_DROPPED = Dropped()


@dataclass(frozen=True, slots=True)
class Batch:
    """Everything one source delivered in one run, stored together or not at all."""

    papers: tuple[Paper, ...] = ()
    posts: tuple[SocialPost, ...] = ()
    signals: tuple[Signal, ...] = ()
    dropped: Dropped = NONE_DROPPED

    def __add__(self, other: Batch) -> Batch:
        """Concatenate two batches."""
        return Batch(
            self.papers + other.papers,
            self.posts + other.posts,
            self.signals + other.signals,
            self.dropped + other.dropped,
        )

    @property
    def empty(self) -> bool:
        """True when the batch carries nothing."""
        return not (self.papers or self.posts or self.signals)

    def web_links_only(self) -> Batch:
        """The batch less its posts and signals whose link is not http(s), each counted dropped.

        Sources build their links from fixed prefixes and check the ones they read; this is the
        last check before the store, so no source can store a link we would refuse to show.
        """
        posts = [p for p in self.posts if is_web_url(p.url)]
        signals = [s for s in self.signals if not s.url or is_web_url(s.url)]
        if len(posts) == len(self.posts) and len(signals) == len(self.signals):
            return self
        bad = [(f"post {p.post_id[:40]!r}", p.url) for p in self.posts if not is_web_url(p.url)]
        bad += [
            (f"signal {s.arxiv_id} {s.metric}", s.url)
            for s in self.signals
            if s.url and not is_web_url(s.url)
        ]
        reasons = tuple(f"{what}: not an http(s) URL: {url[:60]!r}" for what, url in bad)
        dropped = self.dropped + Dropped(len(bad), reasons)
        return Batch(self.papers, tuple(posts), tuple(signals), dropped)

    def linked_ids(self) -> set[str]:
        """The arXiv ids the posts and signals refer to."""
        ids = {a for post in self.posts for a in post.arxiv_ids}
        return ids | {s.arxiv_id for s in self.signals}


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A parsed batch, the state to keep if it is stored, and a note for the report."""

    batch: Batch = Batch()
    cursor: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""


class Listener(Protocol):
    """Receives progress so the CLI can draw a bar or print log lines."""

    def started(self, source: str) -> None:
        """A source began fetching."""

    def step(self, source: str, message: str, done: int | None, total: int | None) -> None:
        """A source made progress, e.g. request 3 of 20."""

    def finished(self, source: str, status: str, detail: str) -> None:
        """A source ended: ok, failed or skipped, with a one-line detail."""


class Sessions:
    """Login sessions kept between runs of a long-lived process (logins are rate limited)."""

    def __init__(self) -> None:
        """Start with no sessions."""
        self._items: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        """The session kept for a source, or None."""
        return self._items.get(name)

    def put(self, name: str, value: Any) -> None:
        """Keep a source's session."""
        self._items[name] = value

    def drop(self, name: str) -> None:
        """Forget a source's session, e.g. after it was refused."""
        self._items.pop(name, None)


@dataclass
class FetchContext:
    """What a source's fetch gets: the polite HTTP layer, settings, the day and its saved state."""

    source: str
    http: PoliteHttp
    settings: Settings
    now: datetime
    day: date | None  # the listing day asked for with --date; None means "the latest"
    cursor: Mapping[str, Any]  # this source's state from its last stored run
    sessions: Sessions
    listener: Listener | None = None

    def step(self, message: str, done: int | None = None, total: int | None = None) -> None:
        """Report progress to the listener, if any."""
        if self.listener is not None:
            self.listener.step(self.source, message, done, total)


Fetch = Callable[[FetchContext], Awaitable[FetchResult]]
Requirement = Callable[[Settings], str | None]


def _always(settings: Settings) -> str | None:
    """Sources with no credentials are always available."""
    return None


@dataclass(frozen=True, slots=True)
class Source:
    """A registered source: its name, its fetch, and what it needs to run."""

    name: str
    description: str
    fetch: Fetch
    unavailable: Requirement = _always  # returns why the source cannot run (missing credentials)
