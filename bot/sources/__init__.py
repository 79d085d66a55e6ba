"""Live sources: arXiv, Hugging Face, Hacker News, Bluesky and X behind one interface."""

from __future__ import annotations

from bot.sources.base import (
    AuthError,
    Batch,
    FetchContext,
    FetchResult,
    Listener,
    ParseError,
    Sessions,
    Source,
    SourceError,
)
from bot.sources.health import SourceHealth, read_health, source_migrations
from bot.sources.http import Clock, PoliteHttp, RetryPolicy, SystemClock
from bot.sources.orchestrator import UnknownSourceError, fetch_sources, refresh
from bot.sources.registry import registered, source_names
from bot.sources.report import FetchReport, SourceReport

__all__ = [
    "AuthError",
    "Batch",
    "Clock",
    "FetchContext",
    "FetchReport",
    "FetchResult",
    "Listener",
    "ParseError",
    "PoliteHttp",
    "RetryPolicy",
    "Sessions",
    "Source",
    "SourceError",
    "SourceHealth",
    "SourceReport",
    "SystemClock",
    "UnknownSourceError",
    "fetch_sources",
    "read_health",
    "refresh",
    "registered",
    "source_migrations",
    "source_names",
]
