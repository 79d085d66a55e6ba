"""The registry: every source in one place, behind one interface."""

from __future__ import annotations

import importlib
import inspect

from bot.config import MAX_RESPONSE_MB
from bot.models import SOURCE_NAMES
from bot.sources.base import Source
from bot.sources.registry import LOOKUP, registered, source_names


def test_sources_are_registered_in_one_place_in_order() -> None:
    assert source_names() == ("arxiv", "huggingface", "hackernews", "bluesky", "x", "reddit")
    assert source_names() == SOURCE_NAMES  # what the config checks names against
    assert all(isinstance(s, Source) and s.name == n for n, s in registered().items())


def test_each_source_module_has_a_pure_parse_and_an_async_fetch() -> None:
    modules = {
        "arxiv": ("bot.sources.arxiv_rss", "bot.sources.arxiv_api", "bot.sources.arxiv_oai"),
        "huggingface": ("bot.sources.huggingface",),
        "hackernews": ("bot.sources.hackernews",),
        "bluesky": ("bot.sources.bluesky",),
        "x": ("bot.sources.x",),
        "reddit": ("bot.sources.reddit",),
    }
    for name, source in registered().items():
        assert inspect.iscoroutinefunction(source.fetch), name
        for module_name in modules[name]:
            module = importlib.import_module(module_name)
            assert callable(module.parse) and not inspect.iscoroutinefunction(module.parse)


def test_every_source_has_a_description() -> None:
    assert all(source.description for source in registered().values())


def test_every_source_has_a_response_size_limit_and_no_limit_names_an_unknown_source() -> None:
    assert set(MAX_RESPONSE_MB) == {*registered(), LOOKUP}
