"""The announcement feed parser."""

from __future__ import annotations

from datetime import date

import pytest

from bot.sources.arxiv_rss import feed_url, parse
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
        (
            b"<rss><channel><item><title>x</title><guid>nope</guid></item></channel></rss>",
            r"item\[0\]: no arXiv id",
        ),
        (b"<rss><channel><pubDate>yesterday</pubDate></channel></rss>", "channel.pubDate"),
        (b'<!DOCTYPE r [<!ENTITY a "aaaa">]><rss/>', "document type"),
    ],
)
def test_malformed_feeds_raise_a_clear_parse_error(payload: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        parse(payload)
    assert caught.value.source == "arxiv"
