"""A synthetic store for the slash-command benchmarks: many papers, some talked about."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.models import Paper, Signal, SocialPost
from bot.store import Store

__all__ = ["fill"]

CATEGORIES = ("cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "cs.RO", "cs.CR", "math.OC")


def fill(store: Store, count: int, now: datetime) -> None:
    """count papers over the last 150 days; a fifth talked about, one in twenty upvoted on HF."""
    rng = random.Random(42)
    papers, posts, signals = [], [], []
    for i in range(count):
        day = (now - timedelta(days=rng.randrange(150))).date()
        arxiv_id = f"{day:%y%m}.{i:05d}"
        cats = tuple(rng.sample(CATEGORIES, 2))
        papers.append(
            Paper(
                arxiv_id,
                f"A synthetic study number {i} of {cats[0]}",
                ("A. Author", "B. Author"),
                f"Abstract {i}. " * 40,
                cats,
                announced=day,
                published=datetime.combine(day, datetime.min.time(), UTC),
            )
        )
        if rng.random() < 0.2:
            for j in range(rng.randint(1, 3)):
                posts.append(
                    SocialPost(
                        rng.choice(("x", "bluesky", "hackernews")),
                        f"{i}-{j}",
                        f"https://example.org/{i}/{j}",
                        (arxiv_id,),
                        now - timedelta(hours=rng.randrange(1, 72)),
                        author=f"u{j}",
                        text="look at this",
                        likes=rng.randrange(500),
                        reposts=rng.randrange(100),
                    )
                )
        if rng.random() < 0.05:
            signals.append(Signal("huggingface", arxiv_id, "upvotes", rng.randrange(80), now))
    store.ingest(papers, posts, signals, seen_at=now)
