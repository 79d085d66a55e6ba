"""Shared test data: a fixed clock, a seeded store and settings pointing at the fake Discord."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.config import Config, DiscordConfig, Env, Settings
from bot.models import Paper, SocialPost
from bot.store import Store
from tests.adapters.discord.fake_discord import TOKEN, FakeDiscord

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HOSTILE_TITLE = (
    "@everyone @here <@123456789012345678> <@&234567890123456789> **Bold** _claims_ "
    "||spoiler|| `code` [click](https://evil.example) # not a header"
)


def settings(fake: FakeDiscord, db: Path | None = None, **discord: Any) -> Settings:
    """Settings whose Discord endpoints are the fake's."""
    env = Env(
        discord_token=SecretStr(TOKEN),
        discord_api_base=fake.api_base,
        discord_gateway_url=fake.gateway_url,
        hotpapers_db=db or Path("unused.db"),
    )
    return Settings(config=Config(discord=DiscordConfig(**discord)), env=env)


def paper_id(i: int) -> str:
    """The id of the i-th seeded paper (1-based)."""
    return f"2611.{i:05d}"


def seed(store: Store, count: int = 12, *, hostile: bool = False) -> list[str]:
    """Store count papers with falling Hacker News points; return their ids, hottest first."""
    papers, posts = [], []
    for i in range(1, count + 1):
        title = HOSTILE_TITLE if hostile and i == 1 else f"Paper number {i} on sparse attention"
        papers.append(
            Paper(
                arxiv_id=paper_id(i),
                title=title,
                authors=("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"),
                abstract=f"Abstract {i}: we show that attention number {i} is sparse.",
                categories=("cs.LG", "cs.CL") if i % 2 else ("cs.CV",),
                published=NOW - timedelta(hours=20),
                announced=date(2026, 11, 26),
            )
        )
        posts.append(
            SocialPost(
                source="hackernews",
                post_id=str(1000 + i),
                url=f"https://news.ycombinator.com/item?id={1000 + i}",
                arxiv_ids=(paper_id(i),),
                observed_at=NOW - timedelta(minutes=5),
                author=f"hn{i}",
                text=title if hostile and i == 1 else f"Show HN: paper {i}",
                created_at=NOW - timedelta(hours=30),
                likes=2000 - 50 * i,
            )
        )
    store.ingest(papers, posts, seen_at=NOW - timedelta(minutes=5))
    return [paper_id(i) for i in range(1, count + 1)]
