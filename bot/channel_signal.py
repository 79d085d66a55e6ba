"""The channel's own signal: who in a channel showed interest in which paper, once per person.

People react to the papers the bot posts. A keycap asks for the abstract of the paper at that
number; 📄, or any other emoji, on a message that shows one paper is about that paper. Each such
reaction is kept per channel, paper and person until it is removed, and counts in that channel
only: its later digests and /hot add, per paper, the channel's weight for every person who
reacted, halving every half-life since they did (the `channel` term of the breakdown); its
weekly digest counts the people per paper within the week. Nothing here is read for another
channel, exported, snapshotted or published (docs/ranking.md, "The channel's own signal").
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from bot.rank import Scored, age_factor
from bot.reactions import SINGLE_PAPER, Reactions, reaction_position
from bot.store import Row, Store
from bot.store.migrations import Database, Migrations

__all__ = [
    "CHANNEL",
    "ChannelSignals",
    "Interest",
    "boosted",
    "channel_scored",
    "interest_of",
    "person_key",
    "reacted_paper",
]

CHANNEL = "channel"  # the channel's term in a score's breakdown

migrations = Migrations("hotpapers-channel-signal")


@migrations()
def m001_channel_reactions(db: Database) -> None:
    """One row per reaction that counts: channel, paper, person, and which emoji on what."""
    db.execute(
        """
        CREATE TABLE channel_reactions (
            channel TEXT NOT NULL,     -- discord:<channel id> or slack:<channel id>
            arxiv_id TEXT NOT NULL,
            person TEXT NOT NULL,      -- a keyed hash of the platform's user id
            message TEXT NOT NULL,     -- platform:message id
            emoji TEXT NOT NULL,
            reacted_at INTEGER NOT NULL,  -- Unix seconds
            PRIMARY KEY (channel, arxiv_id, person, message, emoji)
        ) WITHOUT ROWID
        """
    )
    # A removal names the message, the person and the emoji; a digest reads a channel's recent.
    for name, columns in (("removal", "message, person, emoji"), ("recent", "channel, reacted_at")):
        db.execute(f"CREATE INDEX channel_reactions_{name} ON channel_reactions({columns})")


@dataclass(frozen=True, slots=True)
class Interest:
    """A channel's interest in one paper: how many people reacted, and their decayed sum."""

    people: int
    heat: float  # sum over the people of 0.5 ^ (hours since their first reaction / half-life)


def person_key(platform: str, user: str) -> str:
    """Who reacted, as a keyed hash: counting needs equality only, never the user id itself."""
    digest = hashlib.blake2b(user.encode(), digest_size=10, key=b"hotpapers-person")
    digest.update(platform.encode())
    return digest.hexdigest()


def reacted_paper(papers: Mapping[int, str], emoji: str) -> str | None:
    """The paper a reaction is about: a keycap's number, or the one paper a message shows."""
    position = reaction_position(emoji)
    if position is not None and position != SINGLE_PAPER:
        return papers.get(position)
    return papers[1] if len(papers) == 1 and 1 in papers else None


def interest_of(
    rows: Iterable[tuple[str, datetime]], now: datetime, half_life_hours: float
) -> Interest:
    """One paper's interest from (person, first reaction) pairs."""
    people = dict(rows)
    heat = sum(age_factor(at, now, half_life_hours) for at in people.values())
    return Interest(len(people), heat)


def channel_scored(base: Scored, interest: Interest, weight: float) -> Scored:
    """base with the channel's term added to its score and breakdown (which still sum up)."""
    term = round(weight * interest.heat, 1)
    if term <= 0:
        return base
    return replace(
        base,
        score=round(base.score + term, 1),
        breakdown={**base.breakdown, CHANNEL: term},
        levels={**base.levels, CHANNEL: float(interest.people)},
    )


def _order(item: Scored) -> tuple[float, str]:
    """Highest score first, then by id (the order of rank._sorted)."""
    return (-item.score, item.arxiv_id)


def boosted(shared: Iterable[Scored], channel: Mapping[str, Scored]) -> Iterator[Scored]:
    """The shared ranking with the channel's papers re-scored, in order, read lazily.

    shared is in ranking order; only the channel's few papers move, so this merges them in
    rather than sorting the whole ranking again for each channel.
    """
    others = (s for s in shared if s.arxiv_id not in channel)
    return heapq.merge(others, sorted(channel.values(), key=_order), key=_order)


def _has_table(store: Store) -> bool:
    """Whether the store has counted any channel's reactions (a store from elsewhere may not)."""
    found = store.query_one(
        "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'channel_reactions'"
    )
    return found is not None


class ChannelSignals:
    """The channel_reactions table: reactions added and removed, and what a channel's add up to."""

    def __init__(self, store: Store, reactions: Reactions) -> None:
        """Use the store (creating the table on first use) and the map of our messages' papers."""
        self.store = store
        self.reactions = reactions
        store.migrate(migrations)

    def added(
        self, platform: str, channel: str, message_id: str, user: str, emoji: str, at: datetime
    ) -> str | None:
        """Count a reaction on one of our messages; the paper it counts for, or None."""
        arxiv_id = reacted_paper(self.reactions.papers_on(platform, message_id), emoji)
        if arxiv_id is None:
            return None
        with self.store.transaction() as tx:
            tx.execute(
                "INSERT OR IGNORE INTO channel_reactions"
                " (channel, arxiv_id, person, message, emoji, reacted_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [channel, arxiv_id, person_key(platform, user), f"{platform}:{message_id}",
                 emoji, int(at.timestamp())],
            )  # fmt: skip
        return arxiv_id

    def removed(self, platform: str, message_id: str, user: str, emoji: str) -> bool:
        """Uncount a removed reaction; True if it had counted."""
        with self.store.transaction() as tx:
            gone = tx.execute(
                "DELETE FROM channel_reactions WHERE message = ? AND person = ? AND emoji = ?",
                [f"{platform}:{message_id}", person_key(platform, user), emoji],
            )
        return gone > 0

    def cleared(self, platform: str, message_id: str, emoji: str | None = None) -> int:
        """Uncount every reaction (or every one of an emoji) a moderator removed from a message."""
        sql = "DELETE FROM channel_reactions WHERE message = ?"
        params = [f"{platform}:{message_id}"]
        if emoji is not None:
            sql += " AND emoji = ?"
            params.append(emoji)
        with self.store.transaction() as tx:
            return tx.execute(sql, params)

    @staticmethod
    def rows(store: Store, channels: Iterable[str]) -> list[Row]:
        """The counted reactions of these channels, as stored (to replay them elsewhere)."""
        wanted = json.dumps(sorted(set(channels)))
        return store.query(
            "SELECT * FROM channel_reactions"
            " WHERE channel IN (SELECT value FROM json_each(?)) ORDER BY reacted_at",
            [wanted],
        ) if wanted != "[]" and _has_table(store) else []  # fmt: skip

    def restore(self, rows: Iterable[Mapping[str, object]]) -> None:
        """Put reactions read by rows() into this store (a replay's)."""
        with self.store.transaction() as tx:
            tx.executemany(
                "INSERT OR IGNORE INTO channel_reactions"
                " (channel, arxiv_id, person, message, emoji, reacted_at)"
                " VALUES (:channel, :arxiv_id, :person, :message, :emoji, :reacted_at)",
                list(rows),
            )

    def interest(
        self, channel: str, since: datetime, now: datetime, half_life_hours: float
    ) -> dict[str, Interest]:
        """Per paper, the channel's interest from reactions since a moment, as of now."""
        rows = self.store.query(
            "SELECT arxiv_id, person, min(reacted_at) AS first FROM channel_reactions"
            " WHERE channel = ? AND reacted_at >= ? AND reacted_at <= ?"
            " GROUP BY arxiv_id, person",
            [channel, int(since.timestamp()), int(now.timestamp())],
        )
        grouped: dict[str, list[tuple[str, datetime]]] = {}
        for row in rows:
            first = datetime.fromtimestamp(row["first"], now.tzinfo)
            grouped.setdefault(row["arxiv_id"], []).append((row["person"], first))
        return {a: interest_of(people, now, half_life_hours) for a, people in grouped.items()}

    def most_reacted(
        self, channel: str, start: datetime, end: datetime, limit: int
    ) -> list[tuple[str, int]]:
        """The papers most people in the channel reacted to after start, up to end, with counts."""
        rows = self.store.query(
            "SELECT arxiv_id, count(DISTINCT person) AS people FROM channel_reactions"
            " WHERE channel = ? AND reacted_at > ? AND reacted_at <= ?"
            " GROUP BY arxiv_id ORDER BY people DESC, arxiv_id LIMIT ?",
            [channel, int(start.timestamp()), int(end.timestamp()), limit],
        )
        return [(r["arxiv_id"], r["people"]) for r in rows]
