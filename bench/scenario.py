"""A synthetic fortnight for the replay: early spikes, slow burners, late surges, a niche channel.

Deterministic (no randomness), built through the store's own ingest as fetches every two
hours would, so `bot.replay` can play it back. What is in it:
- every weekday, twelve ordinary papers talked about on Hacker News and X for a day or two;
- two early spikes: papers with a burst of attention on their first day and nothing after;
- a slow burner: a paper whose Hugging Face upvotes climb by 150 a day for ten days;
- two late surges of old papers: a 2024 paper a viral X thread and an HN story bring back on
  day 9, and a three-week-old paper whose upvotes and a Reddit post jump on day 11;
- a niche paper (math.OC, twelve HN points) that five people in one channel (LAB) react to.

Used by tests/test_replay.py and `python -m bench.replay --scenario`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.channel_signal import ChannelSignals
from bot.models import Paper, Signal, SocialPost
from bot.reactions import Reactions
from bot.store import Store

__all__ = [
    "CHANNELS",
    "EARLY_SPIKES",
    "END",
    "GENERAL",
    "LAB",
    "LATE_SURGES",
    "NICHE",
    "SLOW_BURNER",
    "START",
    "build",
]

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
DAYS = 14
END = START + timedelta(days=DAYS)
EVERY = timedelta(hours=2)  # fetches: as [delivery] refresh_minutes = 120
LOOKBACK = timedelta(hours=72)  # how long a post keeps being re-read

LAB = "discord:100000000000000001"  # a lab's channel: reacts to the niche paper
GENERAL = "discord:100000000000000002"  # another channel with the same weight, no reactions
CHANNELS = {LAB: 60.0, GENERAL: 60.0}

EARLY_SPIKES = ("2611.09101", "2611.09102")
SLOW_BURNER = "2611.09201"
NICHE = "2611.09301"
OLD_SURGE = "2405.01234"  # announced 1 May 2024
RECENT_SURGE = "2610.04321"  # announced three weeks before the fortnight
LATE_SURGES = {
    OLD_SURGE: datetime(2026, 11, 11, 13, tzinfo=UTC),
    RECENT_SURGE: datetime(2026, 11, 13, 7, tzinfo=UTC),
}


@dataclass(frozen=True)
class _Post:
    """A post whose counts rise towards its totals: count(t) = total x (1 - e^(-age / tau))."""

    source: str
    post_id: str
    arxiv_id: str
    created: datetime
    reposts: int
    likes: int
    tau_hours: float

    def at(self, moment: datetime) -> SocialPost:
        """The post as a fetch at moment observes it."""
        age = (moment - self.created).total_seconds() / 3600
        share = 1 - math.exp(-age / self.tau_hours)
        return SocialPost(
            self.source, self.post_id, f"https://example.org/{self.source}/{self.post_id}",
            (self.arxiv_id,), moment, author=f"{self.source}-author", text="A paper worth reading",
            created_at=self.created, reposts=round(self.reposts * share),
            likes=round(self.likes * share),
        )  # fmt: skip


def _paper(arxiv_id: str, title: str, announced: date, category: str = "cs.LG") -> Paper:
    """A paper announced on a day (first version the evening before)."""
    published = datetime.combine(announced, datetime.min.time(), UTC) - timedelta(hours=7)
    return Paper(arxiv_id, title, ("A. Author",), f"About {title}.", (category,),
                 published=published, announced=announced)  # fmt: skip


def _days() -> Iterator[date]:
    """The fortnight's days."""
    for i in range(DAYS):
        yield (START + timedelta(days=i)).date()


def _ordinary() -> tuple[list[Paper], list[_Post]]:
    """Twelve papers each weekday, discussed on HN and X, bigger or smaller by a fixed pattern."""
    papers, posts = [], []
    for d, day in enumerate(_days()):
        if day.weekday() >= 5:
            continue
        for k in range(12):
            arxiv_id = f"2611.{(d + 1) * 100 + k:05d}"
            papers.append(_paper(arxiv_id, f"Paper {day:%d}-{k + 1}", day))
            points = 20 + 25 * ((d * 7 + k * 3) % 11)
            created = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=2 + k)
            posts.append(_Post("hackernews", f"hn-{arxiv_id}", arxiv_id, created, 0, points, 10))
            posts.append(_Post("x", f"x-{arxiv_id}", arxiv_id, created + timedelta(hours=1),
                               points // 2, 4 * points, 6))  # fmt: skip
    return papers, posts


def _specials() -> tuple[list[Paper], list[_Post]]:
    """The early spikes, the slow burner's posts, the niche paper and the late surges' posts."""
    papers = [
        _paper(EARLY_SPIKES[0], "Early spike A", date(2026, 11, 3)),
        _paper(EARLY_SPIKES[1], "Early spike B", date(2026, 11, 9)),
        _paper(SLOW_BURNER, "Slow burner", date(2026, 11, 4)),
        _paper(NICHE, "Niche (math.OC)", date(2026, 11, 9), "math.OC"),
        _paper(OLD_SURGE, "Late surge of a 2024 paper", date(2024, 5, 1)),
        _paper(RECENT_SURGE, "Late surge of a 3-week-old paper", date(2026, 10, 12)),
    ]
    posts = [
        _Post("hackernews", "hn-spike-a", EARLY_SPIKES[0], datetime(2026, 11, 3, 1, tzinfo=UTC),
              0, 600, 2),
        _Post("x", "x-spike-a", EARLY_SPIKES[0], datetime(2026, 11, 3, 2, tzinfo=UTC),
              200, 1800, 2),
        _Post("hackernews", "hn-spike-b", EARLY_SPIKES[1], datetime(2026, 11, 9, 1, tzinfo=UTC),
              0, 450, 2),
        _Post("hackernews", "hn-niche", NICHE, datetime(2026, 11, 9, 6, tzinfo=UTC), 0, 12, 4),
        _Post("hackernews", "hn-old", OLD_SURGE, datetime(2024, 5, 2, tzinfo=UTC), 0, 300, 1),
        _Post("hackernews", "hn-recent", RECENT_SURGE, datetime(2026, 10, 13, tzinfo=UTC),
              0, 80, 1),
        _Post("x", "x-thread", OLD_SURGE, LATE_SURGES[OLD_SURGE], 400, 6000, 1.5),
        _Post("hackernews", "hn-story", OLD_SURGE, LATE_SURGES[OLD_SURGE] + timedelta(minutes=20),
              0, 700, 2),
        _Post("reddit", "reddit-recent", RECENT_SURGE,
              LATE_SURGES[RECENT_SURGE] + timedelta(minutes=30), 0, 300, 2),
    ]  # fmt: skip
    for day in range(10):  # the slow burner: a new Bluesky post every day at noon
        created = datetime(2026, 11, 4, 12, tzinfo=UTC) + timedelta(days=day)
        posts.append(_Post("bluesky", f"bsky-slow-{day}", SLOW_BURNER, created, 5, 35, 4))
    return papers, posts


def _upvotes(moment: datetime) -> list[Signal]:
    """Hugging Face upvotes at a fetch: the slow burner's climb, the recent paper's jump."""
    found = []
    days = (moment - datetime(2026, 11, 4, tzinfo=UTC)).total_seconds() / 86400
    if days >= 0:
        value = 150 * min(days, 10)  # +150 a day for ten days
        found.append(Signal("huggingface", SLOW_BURNER, "upvotes", round(value), moment))
    since = (moment - LATE_SURGES[RECENT_SURGE]).total_seconds() / 3600
    jump = 12 if since <= 0 else 12 + 400 * (1 - math.exp(-since / 3))
    found.append(Signal("huggingface", RECENT_SURGE, "upvotes", round(jump), moment))
    return found


def _observations(posts: list[_Post]) -> dict[datetime, list[SocialPost]]:
    """Each post as every fetch within its look-back sees it (old posts: at the first fetch)."""
    found: dict[datetime, list[SocialPost]] = defaultdict(list)
    moment = START
    while moment < END:
        for post in posts:
            alive = post.created <= moment <= post.created + LOOKBACK
            if alive or (moment == START and post.created < START):
                found[moment].append(post.at(moment))
        moment += EVERY
    return found


def _react(store: Store) -> None:
    """Five people in LAB react to the niche paper's own message on its first day."""
    reactions = Reactions(store)
    signals = ChannelSignals(store, reactions)
    reactions.remember("discord", LAB, "900000000000000001", [NICHE])
    for i, emoji in enumerate(("👍", "🔥", "👀", "📄", "🎉")):
        at = datetime(2026, 11, 9, 10 + i, tzinfo=UTC)
        signals.added("discord", LAB, "900000000000000001", f"person{i}", emoji, at)


def build(store: Store) -> Store:
    """Fill the store with the fortnight, fetch by fetch; return it."""
    ordinary, ordinary_posts = _ordinary()
    special, special_posts = _specials()
    store.ingest([*ordinary, *special], seen_at=START)
    observed = _observations([*ordinary_posts, *special_posts])
    moment = START
    while moment < END:
        store.ingest((), observed.get(moment, []), _upvotes(moment), seen_at=moment)
        moment += EVERY
    _react(store)
    return store
