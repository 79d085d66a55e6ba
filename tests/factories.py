"""Builders for model objects in tests: realistic defaults, override what a test is about."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.models import Paper, RankedPaper, Signal, SocialPost

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
# Channels in their platforms' shapes (Discord snowflakes, Slack C ids): nothing else is stored.
DISCORD = "discord:10000000000000001"
DISCORD_2 = "discord:10000000000000002"
SLACK = "slack:C00000001"
SLACK_2 = "slack:C00000002"


def snowflake(n: int) -> str:
    """The n-th fake Discord id, 17 digits like a real one (DISCORD's is snowflake(1))."""
    return str(10**16 + n)


def paper(arxiv_id: str = "2611.00001", **overrides: Any) -> Paper:
    """A paper announced today unless told otherwise."""
    values: dict[str, Any] = {
        "arxiv_id": arxiv_id,
        "title": f"A study of {arxiv_id}",
        "authors": ("Ada Lovelace", "Alan Turing"),
        "abstract": f"We study {arxiv_id} carefully.",
        "categories": ("cs.LG", "stat.ML"),
        "published": datetime(2026, 11, 25, 17, 0, tzinfo=UTC),
        "announced": date(2026, 11, 26),
    }
    values.update(overrides)
    return Paper(**values)


def post(
    post_id: str = "1", arxiv_ids: tuple[str, ...] = ("2611.00001",), **overrides: Any
) -> SocialPost:
    """An X post observed at NOW."""
    values: dict[str, Any] = {
        "source": "x",
        "post_id": post_id,
        "url": f"https://twitter.com/someone/status/{post_id}",
        "arxiv_ids": arxiv_ids,
        "observed_at": NOW,
        "author": "someone",
        "author_name": "Some One",
        "text": "Great paper",
        "created_at": datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
        "reposts": 10,
        "likes": 20,
    }
    values.update(overrides)
    return SocialPost(**values)


def signal(arxiv_id: str = "2611.00001", value: float = 10, **overrides: Any) -> Signal:
    """A Hugging Face upvote count observed at NOW."""
    values: dict[str, Any] = {
        "source": "huggingface",
        "arxiv_id": arxiv_id,
        "metric": "upvotes",
        "value": value,
        "observed_at": NOW,
    }
    values.update(overrides)
    return Signal(**values)


def ranked(
    item: Paper, posts: tuple[SocialPost, ...] = (), rank: int = 1, **overrides: Any
) -> RankedPaper:
    """A ranked paper as the seed ranking would produce it from these posts."""
    reposts, likes = sum(p.reposts for p in posts), sum(p.likes for p in posts)
    values: dict[str, Any] = {
        "rank": rank,
        "paper": item,
        "score": float(reposts + likes),
        "breakdown": {"x": float(reposts + likes)},
        "explanation": f"{reposts + likes} = X {reposts + likes}",
        "posts": posts,
        "reposts": reposts,
        "likes": likes,
        "as_of": NOW,
    }
    values.update(overrides)
    return RankedPaper(**values)
