"""Live sources: arXiv, Hugging Face, Hacker News, Bluesky and X behind one interface."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from bot.sources.http import PoliteHttp, RetryPolicy
    from bot.sources.orchestrator import UnknownSourceError, fetch_sources, refresh
    from bot.sources.registry import registered, source_names
    from bot.sources.report import FetchReport, SourceReport

# Names load with their module on first use: `hotpapers status` reads source health without
# importing every source and the HTTP stack (bench/bench_start.py).
_HOME = {
    **dict.fromkeys(("AuthError", "Batch", "FetchContext", "FetchResult", "Listener",
                     "ParseError", "Sessions", "Source", "SourceError"), "base"),
    **dict.fromkeys(("SourceHealth", "read_health", "source_migrations"), "health"),
    **dict.fromkeys(("PoliteHttp", "RetryPolicy"), "http"),
    **dict.fromkeys(("UnknownSourceError", "fetch_sources", "refresh"), "orchestrator"),
    **dict.fromkeys(("registered", "source_names"), "registry"),
    **dict.fromkeys(("FetchReport", "SourceReport"), "report"),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    """Import a public name's module when the name is first used."""
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AuthError",
    "Batch",
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
    "UnknownSourceError",
    "fetch_sources",
    "read_health",
    "refresh",
    "registered",
    "source_migrations",
    "source_names",
]
