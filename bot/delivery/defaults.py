"""Subscriptions that exist without anyone subscribing: the Markdown blog, one-off posts."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from bot.config import Config
from bot.limits import MAX_COUNT
from bot.subscriptions import Subscription, Subscriptions

__all__ = ["default_subscription", "ensure_markdown_default", "markdown_channel"]

log = logging.getLogger(__name__)


def markdown_channel(config: Config) -> str:
    """The configured blog folder as a channel name."""
    return f"markdown:{config.markdown.folder}"


def default_subscription(channel: str, config: Config) -> Subscription:
    """A subscription with the configured digest defaults (the blog's time for Markdown)."""
    digest = config.digest
    sub = Subscription(
        channel,
        top=min(digest.top, MAX_COUNT),  # a channel shows at most MAX_COUNT papers
        ranking=config.ranking.default,
        categories=digest.categories,
        exclude_categories=digest.exclude_categories,
        keywords=digest.keywords,
        min_score=digest.min_score,
        repeat_days=digest.repeat_days,
    )
    if channel.startswith("markdown:"):
        markdown = config.markdown
        return replace(sub, time=markdown.time, timezone=markdown.timezone)
    return sub


def ensure_markdown_default(
    subscriptions: Subscriptions, config: Config, now: datetime
) -> Subscription | None:
    """With no subscriptions at all, subscribe the configured blog folder; return it if added."""
    if subscriptions.all():
        return None
    sub = subscriptions.save(default_subscription(markdown_channel(config), config), now)
    log.info("no subscriptions yet: posting the Markdown digest daily, %s", sub.describe())
    return sub
