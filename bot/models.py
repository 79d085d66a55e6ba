"""The data model shared by sources, store, ranking, renderers and adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from bot.entities import Entities

__all__ = [
    "SIGNAL_METRICS",
    "SOURCE_LABELS",
    "SOURCE_NAMES",
    "Digest",
    "Layout",
    "Paper",
    "RankedPaper",
    "Ranking",
    "Selection",
    "Signal",
    "SocialPost",
    "Surge",
    "Tally",
    "term_label",
]

Ranking = Literal["hot", "seed"]
# How a channel's digest is posted: papers grouped (up to ten a message), or a header and then
# one message per paper, so any reaction on a paper's own message is about that paper.
Layout = Literal["grouped", "per-paper"]

# Every source, in registry order: the config checks names against these without importing the
# sources (bot/sources/registry.py builds them; tests/sources/test_registry.py keeps both equal).
SOURCE_NAMES = ("arxiv", "huggingface", "hackernews", "bluesky", "x", "reddit")
# The paper-level metrics sources record as signals (Hugging Face's), for [ranking.hot].
SIGNAL_METRICS = ("upvotes", "comments", "github_stars")

# Display names used in score breakdowns; unknown sources show their key.
SOURCE_LABELS = {
    "x": "X",
    "bluesky": "Bluesky",
    "hackernews": "HN",
    "huggingface": "HF",
    "reddit": "Reddit",
}
# A score's breakdown may also hold the channel's own term (bot/channel_signal.py).
_TERM_LABELS = {**SOURCE_LABELS, "channel": "this channel"}


def term_label(term: str) -> str:
    """How a breakdown term is shown: a source's display name, 'this channel', else the key."""
    return _TERM_LABELS.get(term, term)


@dataclass(frozen=True, slots=True)
class Paper:
    """An arXiv paper, keyed on its version-less id."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...] = ()
    abstract: str = ""
    categories: tuple[str, ...] = ()  # primary category first
    version: int = 1
    published: datetime | None = None  # first version
    updated: datetime | None = None  # latest version
    comment: str = ""
    announced: date | None = None  # the arXiv listing day, when the feed told us

    @property
    def abs_url(self) -> str:
        """The abstract page, version-less so it always shows the latest version."""
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        """The PDF of the latest version."""
        return f"https://arxiv.org/pdf/{self.arxiv_id}"

    @property
    def primary_category(self) -> str:
        """The primary category, or an empty string when unknown."""
        return self.categories[0] if self.categories else ""


@dataclass(frozen=True, slots=True)
class SocialPost:
    """One observation of a post that links arXiv papers (a tweet, a skeet, an HN story...)."""

    source: str
    post_id: str
    url: str
    arxiv_ids: tuple[str, ...]
    observed_at: datetime
    author: str = ""  # handle
    author_name: str = ""
    text: str = ""
    created_at: datetime | None = None
    reposts: int = 0
    likes: int = 0
    replies: int | None = None
    quotes: int | None = None
    lang: str = "en"
    # X's links, mentions and hashtags in text, for the embed the blog showed.
    entities: Entities = field(default_factory=Entities)

    @property
    def seed_score(self) -> int:
        """The 2021 blog's score: reposts plus likes."""
        return self.reposts + self.likes


@dataclass(frozen=True, slots=True)
class Signal:
    """A paper-level metric observed at one time, such as Hugging Face upvotes."""

    source: str
    arxiv_id: str
    metric: str
    value: float
    observed_at: datetime
    url: str = ""  # where the metric lives, e.g. the HF paper page or the GitHub repository


@dataclass(frozen=True, slots=True)
class Tally:
    """One source's engagement with one paper, aggregated in the store: what ranking reads."""

    arxiv_id: str
    source: str
    level: float  # posts: reposts + likes summed over the source's posts; signals: the value
    growth: float = 0.0  # how much level rose within the growth window
    reposts: int = 0
    likes: int = 0
    posts: int = 0  # how many posts (0 for a paper-level signal)
    metric: str = ""  # the signal's metric; empty for posts
    as_of: datetime | None = None  # newest observation behind the numbers

    @property
    def is_signal(self) -> bool:
        """True for paper-level metrics (HF upvotes), False for social posts."""
        return bool(self.metric)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class Surge:
    """Why a paper is hot again: its surge outweighs its heat as a paper (docs/ranking.md).

    gain is the window's growth in score points (each source's rise times its weight), before
    the surge's own age factor; started is when that growth was first seen.
    """

    born: datetime | None  # when the paper was first announced (or published)
    started: datetime
    gain: float
    window_hours: float

    @property
    def detail(self) -> str:
        """'first announced 12 Mar 2024, +480 in the last 24 h'."""
        born = self.born
        month = _MONTHS[born.month - 1] if born else ""  # English whatever the locale
        first = f"first announced {born.day} {month} {born.year}, " if born else ""
        return f"{first}+{self.gain:,.0f} in the last {self.window_hours:g} h"

    @property
    def label(self) -> str:
        """'trending again: first announced 12 Mar 2024, +480 in the last 24 h'."""
        return f"trending again: {self.detail}"


@dataclass(frozen=True, slots=True)
class RankedPaper:
    """A paper with its rank, score and the breakdown that explains the score."""

    rank: int
    paper: Paper
    score: float
    breakdown: dict[str, float]  # source -> contribution; sums to score (up to rounding)
    explanation: str  # e.g. "142 = HF 61 (57 upvotes, +4/24h) + HN 48 (48 points) + Bluesky 33"
    posts: tuple[SocialPost, ...] = ()  # the posts to show, best first
    reposts: int = 0  # totals over every linking post, as the blog printed them
    likes: int = 0
    as_of: datetime | None = None  # latest observation behind the score
    details: dict[str, str] = field(default_factory=dict)  # source -> "57 upvotes, +4 in 24h"
    links: dict[str, str] = field(
        default_factory=dict
    )  # extra links, e.g. {"HF": url, "code": url}
    surge: Surge | None = None  # set when the paper is trending again (its surge won)


@dataclass(frozen=True, slots=True)
class Selection:
    """Which papers a digest lists: top N for a filter."""

    top: int | None = 10  # None: no cut (the seed blog lists every paper over the threshold)
    include_categories: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    min_score: float | None = None
    since: date | None = None  # announcement window, first day included
    until: date | None = None  # announcement window, this day excluded
    exclude_ids: frozenset[str] = frozenset()  # e.g. already shown in this channel


@dataclass(frozen=True, slots=True)
class Digest:
    """A ranked list for one day, ready for any renderer."""

    day: date
    ranking: Ranking
    generated_at: datetime
    papers: tuple[RankedPaper, ...]
    sources: tuple[str, ...] = ()  # sources that contributed data
    missing_sources: tuple[str, ...] = ()  # sources that failed or had no data
    started_at: datetime | None = None  # when the live run began; None when from a snapshot
    title: str = ""  # what renderers head it with instead of their default (weekly digests)
