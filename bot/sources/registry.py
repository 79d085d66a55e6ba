"""The one place sources are registered: adding a source is one module and one line here."""

from __future__ import annotations

from bot.sources import arxiv, bluesky, hackernews, huggingface, reddit, x
from bot.sources.base import Source

__all__ = ["LOOKUP", "registered", "source_names"]

# The follow-up step that looks up papers linked by posts and signals but missing from the store.
LOOKUP = "arxiv-lookup"


def registered() -> dict[str, Source]:
    """Every source, by name, in the order they are listed."""
    sources = (
        arxiv.SOURCE,
        huggingface.SOURCE,
        hackernews.SOURCE,
        bluesky.SOURCE,
        x.SOURCE,
        reddit.SOURCE,
    )
    return {source.name: source for source in sources}


def source_names() -> tuple[str, ...]:
    """The names `--source` accepts."""
    return tuple(registered())
