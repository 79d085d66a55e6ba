"""The announcement feed parser."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from bot.sources.arxiv_rss import feed_url, parse, read
from bot.sources.base import ParseError

from .conftest import read_payload


def test_listing_day_comes_from_the_channel_pubdate_in_us_eastern() -> None:
    assert parse(read_payload("arxiv_rss_listing.xml")).day == date(2024, 2, 5)


def test_every_announce_type_is_read() -> None:
    listing = parse(read_payload("arxiv_rss_listing.xml"))
    kinds = {i.paper.arxiv_id: i.announce_type for i in listing.items}
    assert kinds == {
        "2402.01001": "new",
        "2402.01002": "new",
        "2402.00500": "cross",
        "2310.12345": "replace",
        "2305.00001": "replace-cross",
    }


def test_new_and_cross_are_announced_that_day_replacements_are_not() -> None:
    listing = parse(read_payload("arxiv_rss_listing.xml"))
    announced = {i.paper.arxiv_id: i.paper.announced for i in listing.items}
    assert announced["2402.01001"] == date(2024, 2, 5)
    assert announced["2402.00500"] == date(2024, 2, 5)
    assert announced["2310.12345"] is None
    assert announced["2305.00001"] is None


def test_item_fields() -> None:
    first = parse(read_payload("arxiv_rss_listing.xml")).items[0].paper
    assert first.title == "Sparse Mixtures of Experts Learn Faster Than You Think"
    assert first.authors == ("Ada Lovelace", "Grace Hopper", "Alan Turing")
    assert first.abstract.startswith("We study sparse mixtures of experts and show that routing")
    assert "Announce Type" not in first.abstract
    assert first.categories == ("cs.LG", "cs.AI")
    assert first.version == 1


def test_authors_joined_with_and_are_split() -> None:
    second = parse(read_payload("arxiv_rss_listing.xml")).items[1].paper
    assert second.authors == ("Noam Chomsky", "Barbara Partee")


def test_version_comes_from_the_guid() -> None:
    items = {i.paper.arxiv_id: i.paper for i in parse(read_payload("arxiv_rss_listing.xml")).items}
    assert items["2310.12345"].version == 3


def test_empty_feed_on_a_no_announcement_day_is_an_empty_listing() -> None:
    listing = parse(read_payload("arxiv_rss_empty.xml"))
    assert listing.items == () and listing.day == date(2024, 12, 25)


def test_feed_url_joins_categories_with_plus() -> None:
    assert feed_url("https://rss.arxiv.org/rss/", ("cs.LG", "cs.CL")) == (
        "https://rss.arxiv.org/rss/cs.LG+cs.CL"
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"<rss><channel><item><title>t", "not well-formed XML"),
        (b"<feed/>", "not an RSS feed"),
        (b"<rss><channel><pubDate>yesterday</pubDate></channel></rss>", "channel.pubDate"),
        (b'<!DOCTYPE r [<!ENTITY a "aaaa">]><rss/>', "document type"),
    ],
)
def test_malformed_feeds_raise_a_clear_parse_error(payload: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        parse(payload)
    assert caught.value.source == "arxiv"


def test_a_malformed_item_is_dropped_and_counted_and_the_listing_kept() -> None:
    feed = read_payload("arxiv_rss_listing.xml").replace(
        b"<item>", b"<item><title>x</title><guid>nope</guid></item><item>", 1
    )
    listing = parse(feed)
    assert len(listing.items) == len(parse(read_payload("arxiv_rss_listing.xml")).items)
    assert listing.dropped.count == 1
    assert listing.dropped.reasons[0].startswith("item[0]: no arXiv id")


def test_a_utf16_feed_with_a_document_type_is_refused() -> None:
    feed = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "x">]><rss/>'
    for data in (feed.encode("utf-16"), feed.encode("utf-16-le"), feed.encode("utf-16-be")):
        with pytest.raises(ParseError, match="document type"):
            parse(data)


def test_a_utf16_feed_without_a_document_type_parses() -> None:
    feed = read_payload("arxiv_rss_listing.xml").decode().replace("UTF-8", "UTF-16")
    assert len(parse(feed.encode("utf-16")).items) == 5


async def test_the_streamed_feed_parses_as_the_whole_one_does() -> None:
    data = read_payload("arxiv_rss_listing.xml")

    async def trickle() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 7):
            yield data[start : start + 7]

    assert await read(trickle()) == parse(data)
