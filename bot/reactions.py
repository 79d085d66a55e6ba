"""Abstracts on reaction: which paper a reaction points at, and posting each abstract once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.store import Store
from bot.store.migrations import Database, Migrations
from bot.timeutil import to_iso

__all__ = ["SINGLE_PAPER", "Reactions", "reaction_position"]

SINGLE_PAPER = 0  # the 📄 reaction: the one paper a single-paper message shows
_KEYCAPS = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟"]
_SLACK_NAMES = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "keycap_ten",
]
_PAGE = ("📄", "page_facing_up")

migrations = Migrations("hotpapers-reactions")


@migrations()
def m001_message_papers(db: Database) -> None:
    """Which paper sits at which number in each message we posted, and abstracts already sent."""
    db.execute(
        """
        CREATE TABLE message_papers (
            platform TEXT NOT NULL,
            message_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            channel TEXT NOT NULL,
            arxiv_id TEXT NOT NULL,
            PRIMARY KEY (platform, message_id, position)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TABLE abstract_replies (
            platform TEXT NOT NULL,
            message_id TEXT NOT NULL,
            arxiv_id TEXT NOT NULL,
            claimed_at TEXT NOT NULL,
            reply_id TEXT,
            PRIMARY KEY (platform, message_id, arxiv_id)
        ) WITHOUT ROWID
        """
    )


def reaction_position(emoji: str) -> int | None:
    """1-10 for keycap digits (Unicode or Slack names), SINGLE_PAPER for 📄, None otherwise."""
    name = emoji.strip().strip(":")
    # Discord may send the keycap with or without the variation selector.
    bare = name.replace("\ufe0f", "")
    for i, keycap in enumerate(_KEYCAPS, 1):
        if bare == keycap.replace("\ufe0f", ""):
            return i
    if name in _SLACK_NAMES:
        return _SLACK_NAMES.index(name) + 1
    if name in _PAGE:
        return SINGLE_PAPER
    return None


class Reactions:
    """The message-to-papers map in SQLite, so reactions work after a restart."""

    def __init__(self, store: Store) -> None:
        """Use the store, creating the tables on first use."""
        self.store = store
        store.migrate(migrations)

    def remember(
        self, platform: str, channel: str, message_id: str, arxiv_ids: Sequence[str]
    ) -> None:
        """Record the papers a posted message shows, numbered from 1."""
        rows = [(platform, message_id, i, channel, a) for i, a in enumerate(arxiv_ids, 1)]
        with self.store.transaction() as tx:
            tx.executemany(
                "INSERT OR REPLACE INTO message_papers"
                " (platform, message_id, position, channel, arxiv_id) VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    def papers_on(self, platform: str, message_id: str) -> dict[int, str]:
        """The papers one of our messages shows, by their number in it (empty if not ours)."""
        rows = self.store.query(
            "SELECT position, arxiv_id FROM message_papers WHERE platform = ? AND message_id = ?",
            [platform, message_id],
        )
        return {r["position"]: r["arxiv_id"] for r in rows}

    def paper_for(self, platform: str, message_id: str, emoji: str) -> str | None:
        """The paper a reaction on a message points at, or None if it points at nothing."""
        position = reaction_position(emoji)
        if position is None:
            return None
        papers = self.papers_on(platform, message_id)
        if position == SINGLE_PAPER:
            # 📄 only makes sense where the message shows exactly one paper.
            return papers[1] if len(papers) == 1 else None
        return papers.get(position)

    def claim(self, platform: str, message_id: str, arxiv_id: str, now: datetime) -> bool:
        """Atomically claim the right to post this abstract; False if it was claimed before."""
        with self.store.transaction() as tx:
            claimed = tx.execute(
                "INSERT OR IGNORE INTO abstract_replies"
                " (platform, message_id, arxiv_id, claimed_at) VALUES (?, ?, ?, ?)",
                [platform, message_id, arxiv_id, to_iso(now)],
            )
        return claimed == 1

    def replied(self, platform: str, message_id: str, arxiv_id: str, reply_id: str) -> None:
        """Record the reply that carried the abstract."""
        with self.store.transaction() as tx:
            tx.execute(
                "UPDATE abstract_replies SET reply_id = ?"
                " WHERE platform = ? AND message_id = ? AND arxiv_id = ?",
                [reply_id, platform, message_id, arxiv_id],
            )

    def release(self, platform: str, message_id: str, arxiv_id: str) -> None:
        """Give a claim back after posting failed, so the next reaction can try again."""
        with self.store.transaction() as tx:
            tx.execute(
                "DELETE FROM abstract_replies"
                " WHERE platform = ? AND message_id = ? AND arxiv_id = ?"
                " AND reply_id IS NULL",
                [platform, message_id, arxiv_id],
            )
