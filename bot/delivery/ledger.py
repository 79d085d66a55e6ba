"""The delivery ledger: per (channel, kind, digest day), the frozen messages and what was posted.

A channel has a daily digest and may have a weekly one; each kind has its own rows, so a weekly
digest due on a day that also has a daily one is posted exactly once, as is the daily. A daily
digest is filed under its day, a weekly one under its ISO week (the week's Monday, see
ledger_day): moving the weekly day mid-week finds this week's digest already there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from bot.channels import OutboundMessage
from bot.delivery.schema import migrations
from bot.store import Store
from bot.timeutil import Clock, parse_time, to_iso

__all__ = ["Delivery", "Kind", "Ledger", "Part", "ledger_day", "part_key"]

Kind = Literal["daily", "weekly"]
State = Literal["planned", "sent", "skipped", "failed"]
PartState = Literal["pending", "sending", "sent"]


def ledger_day(day: date, kind: Kind = "daily") -> date:
    """The day a digest is filed under: its own, or for a weekly one its ISO week's Monday.

    A weekly digest is posted once a week whatever its weekday: after weekly=fri was posted,
    weekly=mon (or the reverse mid-week) finds this week's row and waits for next week.
    """
    return day - timedelta(days=day.weekday()) if kind == "weekly" else day


def _filed(day: date, kind: Kind) -> str:
    """The ledger's day column for a digest of a day (a weekly one: its week's Monday)."""
    return ledger_day(day, kind).isoformat()


def part_key(channel: str, day: date, part: int, kind: Kind = "daily") -> str:
    """The idempotency key of one message: unique per (channel, kind, day, part), <= 25 chars.

    Discord nonces are capped at 25 characters, so the channel is folded into a short hash; a
    weekly digest's keys start hw- where a daily one's start hp-, and name its week's Monday.
    """
    digest = hashlib.sha256(channel.encode()).hexdigest()[:8]
    prefix = "hw" if kind == "weekly" else "hp"
    return f"{prefix}-{ledger_day(day, kind):%Y%m%d}-{part}-{digest}"


def _dump(message: OutboundMessage) -> str:
    """An outbound message as JSON, to post the very same content after a restart."""
    return json.dumps(
        {
            "payload": message.payload,
            "text": message.text,
            "arxiv_ids": list(message.arxiv_ids),
            "extra": message.extra,
        },
        ensure_ascii=False,
    )


def _load(text: str) -> OutboundMessage:
    """The outbound message frozen in a part row."""
    data = json.loads(text)
    return OutboundMessage(
        payload=data["payload"],
        text=data["text"],
        arxiv_ids=tuple(data["arxiv_ids"]),
        extra=data["extra"],
    )


@dataclass(frozen=True)
class Part:
    """One platform message of a delivery."""

    index: int
    key: str
    message: OutboundMessage
    state: PartState
    message_id: str | None


@dataclass(frozen=True)
class Delivery:
    """A channel's digest for one day (a weekly one: its week) and where posting it got to."""

    channel: str
    day: date  # a weekly digest's: its week's Monday (ledger_day)
    state: State
    reason: str
    trigger: str
    scheduled_for: datetime | None
    arxiv_ids: tuple[str, ...]
    attempts: int
    last_error: str
    next_attempt_at: datetime | None
    updated_at: datetime
    finished_at: datetime | None
    parts: tuple[Part, ...] = ()
    kind: Kind = "daily"

    @property
    def started(self) -> bool:
        """True once any message may have reached the platform."""
        return any(p.state != "pending" for p in self.parts)

    @property
    def message_ids(self) -> tuple[str, ...]:
        """The platform ids of the messages posted so far."""
        return tuple(p.message_id for p in self.parts if p.message_id)


def _opt(value: str | None) -> datetime | None:
    """Parse an optional stored time."""
    return parse_time(value) if value else None


def _delivery(row: Mapping[str, Any], parts: tuple[Part, ...]) -> Delivery:
    """A delivery from its row (columns as in _COLUMNS)."""
    return Delivery(
        channel=row["channel"],
        day=date.fromisoformat(row["day"]),
        state=row["state"],
        reason=row["reason"],
        trigger=row["trigger"],
        scheduled_for=_opt(row["scheduled_for"]),
        arxiv_ids=tuple(json.loads(row["arxiv_ids"])),
        attempts=row["attempts"],
        last_error=row["last_error"],
        next_attempt_at=_opt(row["next_attempt_at"]),
        updated_at=parse_time(row["updated_at"]),
        finished_at=_opt(row["finished_at"]),
        parts=parts,
        kind=row["kind"],
    )


_COLUMNS = (
    "channel, kind, day, state, reason, trigger, scheduled_for, arxiv_ids, attempts, last_error,"
    " next_attempt_at, updated_at, finished_at"
)


class Ledger:
    """Reads and writes deliveries; each change is a transaction, or joins the caller's."""

    def __init__(self, store: Store, clock: Clock) -> None:
        """Use the store, creating the tables on first use."""
        self.store = store
        self.clock = clock
        store.migrate(migrations)

    # -- reading ---------------------------------------------------------------------------

    def _with_parts(self, row: Mapping[str, Any] | None) -> Delivery | None:
        """The delivery of a row, with its parts in order.

        Two reads, not one snapshot: a delivery's row and parts are created in one transaction,
        so whoever sees the row sees every part; only their states may move on in between.
        """
        if row is None:
            return None
        rows = self.store.query(
            "SELECT part, key, message, state, message_id FROM delivery_parts"
            " WHERE channel = ? AND kind = ? AND day = ? ORDER BY part",
            [row["channel"], row["kind"], row["day"]],
        )
        parts = tuple(
            Part(r["part"], r["key"], _load(r["message"]), r["state"], r["message_id"])
            for r in rows
        )
        return _delivery(row, parts)

    def get(self, channel: str, day: date, kind: Kind = "daily") -> Delivery | None:
        """The delivery of a channel's digest of a kind for a day (weekly: its week), with parts."""
        return self._with_parts(
            self.store.query_one(
                f"SELECT {_COLUMNS} FROM deliveries WHERE channel = ? AND kind = ? AND day = ?",
                [channel, kind, _filed(day, kind)],
            )
        )

    def latest(self, channel: str) -> Delivery | None:
        """The channel's most recent delivery (any state), with its parts."""
        return self._with_parts(
            self.store.query_one(
                f"SELECT {_COLUMNS} FROM deliveries WHERE channel = ?"
                " ORDER BY day DESC, kind LIMIT 1",
                [channel],
            )
        )

    def last_error(self, channel: str) -> Delivery | None:
        """The channel's most recent delivery that failed or had to be retried."""
        row = self.store.query_one(
            f"SELECT {_COLUMNS} FROM deliveries WHERE channel = ? AND last_error != ''"
            " ORDER BY day DESC LIMIT 1",
            [channel],
        )
        return _delivery(row, ()) if row else None

    def unfinished(self) -> list[Delivery]:
        """Deliveries planned but not fully posted, oldest first."""
        rows = self.store.query(
            f"SELECT {_COLUMNS} FROM deliveries WHERE state = 'planned' ORDER BY day"
        )
        return [d for d in map(self._with_parts, rows) if d is not None]

    def days(self, channel: str, since: date, kind: Kind = "daily") -> set[date]:
        """The days since a date that already have a ledger row for the channel (and kind).

        Weekly digests are filed by week: their days are Mondays (compare with ledger_day).
        """
        rows = self.store.query(
            "SELECT day FROM deliveries WHERE channel = ? AND kind = ? AND day >= ?",
            [channel, kind, _filed(since, kind)],
        )
        return {date.fromisoformat(r["day"]) for r in rows}

    # -- writing ---------------------------------------------------------------------------

    def _insert(
        self, channel: str, day: date, state: State, *, reason: str, trigger: str,
        scheduled_for: datetime | None, arxiv_ids: Sequence[str] = (),
        digest: str | None = None, kind: Kind = "daily",
    ) -> bool:  # fmt: skip
        """Insert a delivery row unless one exists; True when inserted."""
        now = to_iso(self.clock())
        with self.store.transaction() as tx:
            inserted = tx.execute(
                "INSERT OR IGNORE INTO deliveries (channel, kind, day, state, reason, trigger,"
                " scheduled_for, arxiv_ids, created_at, updated_at, finished_at, digest)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    channel, kind, _filed(day, kind), state, reason, trigger,
                    to_iso(scheduled_for) if scheduled_for else None,
                    json.dumps(list(arxiv_ids)), now, now, None if state == "planned" else now,
                    digest,
                ],
            )  # fmt: skip
        return inserted == 1

    def skip(
        self, channel: str, day: date, reason: str, *, trigger: str,
        scheduled_for: datetime | None, kind: Kind = "daily",
    ) -> bool:  # fmt: skip
        """Record that a day's digest is not posted, and why; never overwrites an existing row."""
        return self._insert(
            channel, day, "skipped", reason=reason, trigger=trigger, scheduled_for=scheduled_for,
            kind=kind,
        )  # fmt: skip

    def plan(
        self, channel: str, day: date, messages: Sequence[OutboundMessage], *,
        arxiv_ids: Sequence[str], note: str, trigger: str, scheduled_for: datetime | None,
        replace_skipped: bool = False, digest: str | None = None, kind: Kind = "daily",
    ) -> Delivery:  # fmt: skip
        """Freeze the messages of a day's digest; raise LookupError if one was planned before.

        With replace_skipped, a day recorded as skipped (nothing posted) is planned afresh.
        digest is the site's page of the day as neutral JSON (bot.site.publish), published when a
        part is first sent unless the day already is.
        """
        with self.store.transaction() as tx:
            if replace_skipped:
                tx.execute(
                    "DELETE FROM deliveries WHERE channel = ? AND kind = ? AND day = ?"
                    " AND state = 'skipped'",
                    [channel, kind, _filed(day, kind)],
                )
            inserted = self._insert(
                channel, day, "planned", reason=note, trigger=trigger,
                scheduled_for=scheduled_for, arxiv_ids=arxiv_ids, digest=digest, kind=kind,
            )  # fmt: skip
            if not inserted:
                raise LookupError(f"{channel} already has a {kind} digest for {day}")
            tx.executemany(
                "INSERT INTO delivery_parts (channel, kind, day, part, key, message, state)"
                " VALUES (?, ?, ?, ?, ?, ?, 'pending')",
                [
                    (channel, kind, _filed(day, kind), i, part_key(channel, day, i, kind), _dump(m))
                    for i, m in enumerate(messages)
                ],
            )
        found = self.get(channel, day, kind)
        assert found is not None
        return found

    def reopen(self, channel: str, day: date, kind: Kind = "daily") -> bool:
        """Let a failed delivery be resumed (its posted parts stay posted); True if reopened."""
        with self.store.transaction() as tx:
            reopened = tx.execute(
                "UPDATE deliveries SET state = 'planned', finished_at = NULL, updated_at = ?"
                " WHERE channel = ? AND kind = ? AND day = ? AND state = 'failed'",
                [to_iso(self.clock()), channel, kind, _filed(day, kind)],
            )
        return reopened == 1

    def set_part(
        self, channel: str, day: date, part: int, state: PartState, message_id: str | None = None,
        kind: Kind = "daily",
    ) -> None:  # fmt: skip
        """Move one part to pending, sending or sent (with the platform's message id).

        The first part sent for a day, in any channel, publishes that delivery's digest.
        """
        now = to_iso(self.clock())
        with self.store.transaction() as tx:
            tx.execute(
                "UPDATE delivery_parts SET state = ?, message_id = coalesce(?, message_id),"
                " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END"
                " WHERE channel = ? AND kind = ? AND day = ? AND part = ?",
                [state, message_id, state, now, channel, kind, _filed(day, kind), part],
            )
            if state == "sent" and kind == "daily":  # a weekly digest is no day's page
                tx.execute(
                    "INSERT OR IGNORE INTO published_digests"
                    " (day, channel, published_at, arxiv_ids, digest)"
                    " SELECT day, channel, ?, arxiv_ids, digest FROM deliveries"
                    " WHERE channel = ? AND day = ? AND digest IS NOT NULL",
                    [now, channel, day.isoformat()],
                )

    def note_error(
        self, channel: str, day: date, error: str, retry_at: datetime | None,
        kind: Kind = "daily",
    ) -> None:  # fmt: skip
        """Record a failed attempt and when the sweep may try again."""
        with self.store.transaction() as tx:
            tx.execute(
                "UPDATE deliveries SET attempts = attempts + 1, last_error = ?,"
                " next_attempt_at = ?, updated_at = ? WHERE channel = ? AND kind = ? AND day = ?",
                [
                    error, to_iso(retry_at) if retry_at else None, to_iso(self.clock()),
                    channel, kind, _filed(day, kind),
                ],
            )  # fmt: skip

    def finish(
        self, channel: str, day: date, state: State, reason: str | None = None,
        kind: Kind = "daily",
    ) -> None:  # fmt: skip
        """Close a planned delivery as sent, failed or skipped (reason kept unless given)."""
        now = to_iso(self.clock())
        where = [channel, kind, _filed(day, kind)]
        with self.store.transaction() as tx:
            tx.execute(
                "UPDATE deliveries SET state = ?, reason = coalesce(?, reason),"
                " next_attempt_at = NULL, updated_at = ?, finished_at = ?"
                " WHERE channel = ? AND kind = ? AND day = ?",
                [state, reason, now, now, *where],
            )
            if state != "failed":
                # Published (or never to be): the copy is no longer needed. A failed delivery
                # keeps it, as `hotpapers post` may resume it.
                tx.execute(
                    "UPDATE deliveries SET digest = NULL"
                    " WHERE channel = ? AND kind = ? AND day = ?",
                    where,
                )
            if state == "failed":
                # Keep the error visible to status, like a transient failure's.
                tx.execute(
                    "UPDATE deliveries SET last_error = reason"
                    " WHERE channel = ? AND kind = ? AND day = ?",
                    where,
                )
