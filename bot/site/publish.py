"""Which digest a posted day publishes as its page: the public digest, or the [site] channel's.

A channel's digest is its own: its categories, keywords, papers it saw lately and (issue 11) its
people's reactions. None of that may become the public page, so by default a day's page is the
day's public digest, `hotpapers digest --date DAY`: the configured ranking and selection, no
channel's filter, signal or repeat rule. It is ranked when the first digest of the day is
planned (just before it is posted) from the service's cached ranking, stored with each delivery
that may post first, and published by the ledger when one of them does: a day is published once
any channel posts it, and never re-ranked. `[site] channel` makes the page that channel's posted
digest instead, for a site that mirrors a public (e.g. Markdown blog) channel.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date

from bot.channel_signal import CHANNEL
from bot.models import Digest
from bot.service import HotPapersService
from bot.site.frozen import dump_digest
from bot.site.queries import published_at
from bot.store import Store

__all__ = ["Publisher", "private"]

log = logging.getLogger(__name__)


def private(digest: Digest) -> bool:
    """True when a digest was ranked with its channel's own reactions, which never leave it."""
    return any(CHANNEL in p.breakdown for p in digest.papers)


class Publisher:
    """Makes the copy of a day's page that a channel's delivery publishes if it posts first."""

    def __init__(self, store: Store, service: HotPapersService, channel: str = "") -> None:
        """Publish the public digest, or, with channel ([site] channel), that channel's."""
        self.store = store
        self.service = service
        self.channel = channel

    def copy(self, channel: str, day: date, digest: Digest) -> str | None:
        """The day's page as neutral JSON, for a channel about to post digest; None: none.

        None when the day is already published (nothing is ranked then) or, with a [site]
        channel, for any other channel. Blocking: call it where the digest is planned, off the
        event loop.
        """
        if self.channel and channel != self.channel:
            return None
        if published_at(self.store, day) is not None:
            return None  # frozen when first posted: later deliveries never replace it
        if self.channel and not private(digest):
            return dump_digest(digest)
        if self.channel:
            log.warning(
                "%s %s: the [site] channel's digest counts its own reactions, which never"
                " leave it; the day's page is the public digest",
                channel, day,
            )  # fmt: skip
        return dump_digest(self.public(day, digest))

    def public(self, day: date, posted: Digest) -> Digest:
        """The day's public digest, as `hotpapers digest --date DAY` prints it now.

        Ranked at the same moment as the posted digest, so it names the same missing sources.
        """
        public = self.service.digest(day=day)
        return replace(public, missing_sources=posted.missing_sources)
