"""Shared builders for delivery tests: settings, a settable clock, seeded papers, subscriptions."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import App
from bot.config import Config, DeliveryConfig, Env, MarkdownConfig, Settings
from bot.store import Store
from bot.subscriptions import WEEKDAYS, Subscription
from tests.factories import paper, post

# Thursday; Berlin is on CET (UTC+1), so a 09:00 Berlin digest is due at 08:00 UTC.
TODAY = date(2026, 11, 26)
NINE_BERLIN = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
LONG_AGO = datetime(2026, 10, 1, tzinfo=UTC)
# An HTTP client makes its own TLS context, reading the CA bundle (tens of ms of CPU), unless
# given one; tests ask local servers (plain HTTP) hundreds of times: AsyncClient(verify=TLS).
TLS = ssl.create_default_context()


@dataclass
class Clock:
    """A settable clock for the app (the scheduler's "now")."""

    now_value: datetime

    def __call__(self) -> datetime:
        return self.now_value

    def set(self, moment: datetime) -> None:
        self.now_value = moment

    def advance(self, **delta: float) -> None:
        self.now_value += timedelta(**delta)


def make_settings(tmp_path: Path, env: dict[str, Any] | None = None, **delivery: Any) -> Settings:
    """Settings with the database and the blog folder under tmp_path and no chat tokens."""
    config = Config(
        markdown=MarkdownConfig(folder=tmp_path / "posts"),
        delivery=DeliveryConfig(**delivery),
    )
    values = {"hotpapers_db": tmp_path / "hotpapers.db", **(env or {})}
    return Settings(config=config, env=Env(**values))


def seed(store: Store, day: date = TODAY, count: int = 6) -> list[str]:
    """Papers announced on day, each linked by one post with decreasing engagement."""
    seen = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=6)
    ids = [f"{day:%y%m}.{10000 + i:05d}" for i in range(count)]
    papers = [paper(a, announced=day, published=seen - timedelta(days=1)) for a in ids]
    posts = [
        post(f"{day}-{i}", (a,), observed_at=seen, created_at=seen - timedelta(hours=1),
             reposts=100 - i * 10, likes=200 - i * 20)
        for i, a in enumerate(ids)
    ]  # fmt: skip
    store.ingest(papers, posts, seen_at=seen)
    return ids


def subscribe(app: App, channel: str, **settings: Any) -> Subscription:
    """Save a subscription created long ago (so earlier runs count as missed), daily by default."""
    values: dict[str, Any] = {
        "time": "09:00", "timezone": "Europe/Berlin", "days": WEEKDAYS, "top": 4,
        "created_at": LONG_AGO,
    }  # fmt: skip
    values.update(settings)
    return app.subscriptions.save(Subscription(channel, **values), LONG_AGO)
