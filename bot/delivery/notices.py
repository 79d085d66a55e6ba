"""A word when something breaks: one direct message per pause, and one when it works again.

A delivery error no retry can fix pauses a subscription with its reason (bot.delivery.deliver).
Each chat adapter runs a PauseNotices for its platform: it compares the subscriptions with a
notice ledger in SQLite and hands the adapter each notice to send once:

- a digest paused with a reason it has not been told about: a *paused* notice (the adapter tells
  whoever set it up, else the server's or workspace's owners, and says who it reached);
- a digest resumed after such a notice, once its next digest is posted: a *working* notice to
  the same person.

A notice is claimed in the ledger before it is sent and recorded after, so it goes out at most
once, across restarts and processes. A send that fails before reaching the platform (a refused
connection, a 429) is retried later; a process that dies mid-send leaves the notice claimed, and
it is not sent again (a second message is worse than a missing one: status shows the pause).
A sweep stopped on purpose (closing, cancelled) lets the write in flight land and hands the
notices it claimed but never sent back to the next sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from bot.delivery.events import SubscriptionEvents
from bot.delivery.ledger import Ledger
from bot.store import Store, Transaction
from bot.store.migrations import Database, Migrations
from bot.subscriptions import Subscription, Subscriptions
from bot.timeutil import Clock, parse_time, to_iso

__all__ = ["Notice", "PauseNotices", "Tell", "Told", "migrations"]

T = TypeVar("T")
log = logging.getLogger(__name__)
migrations = Migrations("hotpapers-notices")
SWEEP_SECONDS = 60.0  # how often the ledger is compared with the subscriptions, besides changes
MAX_ATTEMPTS = 8  # a notice that could not be sent this many times is given up (and logged)
CLOSE_SECONDS = 10.0  # closing waits this long for a notice being sent


@migrations()
def m001_pause_notices(db: Database) -> None:
    """One row per pause of a subscription: its notice, and the one when it works again."""
    db.execute(
        """
        CREATE TABLE pause_notices (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            workspace TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL,
            paused_at TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            retry_at TEXT,
            recipient TEXT NOT NULL DEFAULT '',
            sent_at TEXT,
            closed_at TEXT,
            working TEXT,
            working_at TEXT
        )
        """
    )
    # At most one open pause per channel, even with two processes reconciling at once.
    db.execute(
        "CREATE UNIQUE INDEX pause_notices_open ON pause_notices (channel) WHERE closed_at IS NULL"
    )
    db.execute("CREATE INDEX pause_notices_working ON pause_notices (working)")


Kind = Literal["paused", "working"]


@dataclass(frozen=True)
class Notice:
    """One message to send about a subscription's pause."""

    id: int
    kind: Kind
    channel: str
    workspace: str  # the server or workspace (for its owners, and a workspace's token)
    created_by: str  # who subscribed the channel ('' unknown)
    reason: str
    recipient: str = ""  # a working notice goes to whoever got the paused one

    @property
    def target(self) -> str:
        """The platform's channel id."""
        return self.channel.split(":", 1)[1]


@dataclass(frozen=True)
class Told:
    """What sending a notice came to: who got it; or nobody; or try again later."""

    recipient: str = ""  # the platform user id reached ('' nobody could be)
    retry: bool = False  # nothing reached the platform (a refused connection, a 429)
    detail: str = ""  # why, for the log


Tell = Callable[[Notice], Awaitable[Told]]


def _broken(sub: Subscription) -> bool:
    """Paused by a delivery error (a pause asked for by someone has no reason)."""
    return sub.paused and bool(sub.paused_reason)


def _backoff(attempts: int) -> timedelta:
    """How long to wait before the next try: a minute, doubling, at most an hour."""
    return timedelta(seconds=min(3600.0, 60.0 * 2 ** max(attempts - 1, 0)))


class PauseNotices:
    """Decides, claims and records the notices of one platform; runs while its adapter runs."""

    def __init__(
        self,
        store: Store,
        subscriptions: Subscriptions,
        ledger: Ledger,
        events: SubscriptionEvents,
        clock: Clock,
        *,
        platform: str,
        every: float = SWEEP_SECONDS,
    ) -> None:
        """Watch platform's subscriptions: at every change events reports, and every `every` s."""
        self.store = store
        self.subscriptions = subscriptions
        self.ledger = ledger
        self.clock = clock
        self.platform = platform
        self.every = every
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._migrated = False  # on first use: building an adapter writes nothing
        events.listen(self._changed)

    def _ready(self) -> None:
        """Create the ledger's table the first time it is needed."""
        if not self._migrated:
            self.store.migrate(migrations)
            self._migrated = True

    # -- deciding (blocking: SQLite) -------------------------------------------------------

    def due(self) -> list[Notice]:
        """Bring the ledger up to date with the subscriptions, and claim what is to be sent."""
        self._ready()
        now = self.clock()
        subs = {s.channel: s for s in self.subscriptions.all() if s.platform == self.platform}
        with self.store.transaction() as tx:
            rows = tx.query(
                "SELECT * FROM pause_notices WHERE (closed_at IS NULL OR working = 'waiting')"
                " AND channel LIKE ?",
                [f"{self.platform}:%"],
            )
            open_rows = {r["channel"]: r for r in rows if r["closed_at"] is None}
            for channel, row in open_rows.items():
                sub = subs.get(channel)
                if sub is None or not _broken(sub) or sub.paused_reason != row["reason"]:
                    resumed = sub is not None and not sub.paused and row["state"] == "sent"
                    tx.execute(
                        "UPDATE pause_notices SET closed_at = ?, working = ?,"
                        " state = CASE state WHEN 'pending' THEN 'dropped' ELSE state END"
                        " WHERE id = ?",
                        [to_iso(now), "waiting" if resumed else "dropped", row["id"]],
                    )
            for sub in subs.values():
                if _broken(sub) and open_rows.get(sub.channel, {}).get("reason") != (
                    sub.paused_reason
                ):
                    self._open(tx, sub, now)
            return self._claim(tx, subs, now)

    def _open(self, tx: Transaction, sub: Subscription, now: datetime) -> None:
        """A new pause: its notice is pending; an older one waiting to say 'works again' is not."""
        tx.execute(
            "UPDATE pause_notices SET working = 'dropped'"
            " WHERE channel = ? AND working = 'waiting'",
            [sub.channel],
        )
        tx.execute(
            "INSERT OR IGNORE INTO pause_notices"
            " (channel, workspace, created_by, reason, paused_at, state)"
            " VALUES (?, ?, ?, ?, ?, 'pending')",
            [sub.channel, sub.workspace, sub.created_by, sub.paused_reason, to_iso(now)],
        )

    def _claim(
        self, tx: Transaction, subs: Mapping[str, Subscription], now: datetime
    ) -> list[Notice]:
        """Mark what is to be sent now as being sent, and return it."""
        claimed: list[Notice] = []
        pending = tx.query(
            "SELECT * FROM pause_notices WHERE state = 'pending' AND closed_at IS NULL"
            " AND channel LIKE ? AND (retry_at IS NULL OR retry_at <= ?)",
            [f"{self.platform}:%", to_iso(now)],
        )
        for row in pending:
            tx.execute(
                "UPDATE pause_notices SET state = 'sending', attempts = attempts + 1 WHERE id = ?",
                [row["id"]],
            )
            claimed.append(_notice(row, "paused"))
        waiting = tx.query(
            "SELECT * FROM pause_notices WHERE working = 'waiting' AND channel LIKE ?"
            " AND (retry_at IS NULL OR retry_at <= ?)",
            [f"{self.platform}:%", to_iso(now)],
        )
        for row in waiting:
            if row["channel"] not in subs:
                tx.execute("UPDATE pause_notices SET working = 'dropped' WHERE id = ?", [row["id"]])
            elif self._posted_since(row["channel"], parse_time(row["closed_at"])):
                tx.execute("UPDATE pause_notices SET working = 'sending' WHERE id = ?", [row["id"]])
                claimed.append(_notice(row, "working"))
        return claimed

    def _posted_since(self, channel: str, moment: datetime) -> bool:
        """Whether a digest was posted to the channel after moment."""
        latest = self.ledger.latest(channel)
        if latest is None or latest.state != "sent":
            return False
        return (latest.finished_at or latest.updated_at) >= moment

    def record(self, notice: Notice, told: Told) -> None:
        """Record what sending a claimed notice came to."""
        self._ready()
        now = self.clock()
        if notice.kind == "paused":
            self._record_paused(notice, told, now)
        else:
            state = "waiting" if told.retry else ("sent" if told.recipient else "unreachable")
            retry_at = to_iso(now + _backoff(1)) if told.retry else None
            with self.store.transaction() as tx:
                tx.execute(
                    "UPDATE pause_notices SET working = ?, working_at = ?, retry_at = ?"
                    " WHERE id = ?",
                    [state, to_iso(now), retry_at, notice.id],
                )
        log.info("%s notice for %s: %s%s", notice.kind, notice.channel,
                 f"told {told.recipient}" if told.recipient else "not sent",
                 f" ({told.detail})" if told.detail else "")  # fmt: skip

    def release(self, notices: Sequence[Notice]) -> None:
        """Hand claimed notices that were never sent back to the next sweep (a clean stop)."""
        with self.store.transaction() as tx:
            for notice in notices:
                if notice.kind == "paused":
                    tx.execute(
                        "UPDATE pause_notices SET state = 'pending', attempts = attempts - 1"
                        " WHERE id = ? AND state = 'sending'",
                        [notice.id],
                    )
                else:
                    tx.execute(
                        "UPDATE pause_notices SET working = 'waiting'"
                        " WHERE id = ? AND working = 'sending'",
                        [notice.id],
                    )

    def _record_paused(self, notice: Notice, told: Told, now: datetime) -> None:
        """A paused notice: sent (to whom), nobody reachable, or pending again (or given up)."""
        with self.store.transaction() as tx:
            row = tx.query_one("SELECT attempts FROM pause_notices WHERE id = ?", [notice.id])
            attempts = int(row["attempts"]) if row else MAX_ATTEMPTS
            if told.retry and attempts < MAX_ATTEMPTS:
                tx.execute(
                    "UPDATE pause_notices SET state = 'pending', retry_at = ? WHERE id = ?",
                    [to_iso(now + _backoff(attempts)), notice.id],
                )
                return
            state = "sent" if told.recipient else ("failed" if told.retry else "unreachable")
            tx.execute(
                "UPDATE pause_notices SET state = ?, recipient = ?, sent_at = ?, retry_at = NULL"
                " WHERE id = ?",
                [state, told.recipient, to_iso(now), notice.id],
            )
        if not told.recipient:
            log.warning("%s is paused and nobody could be told (%s): %s", notice.channel,
                        told.detail or "no one to tell", notice.reason)  # fmt: skip

    # -- running ---------------------------------------------------------------------------

    def _changed(self, sub: Subscription | None, channel: str) -> None:
        """A subscription changed (on any thread): look at the ledger again soon."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and channel.startswith(f"{self.platform}:"):
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wake.set)

    def start(self, tell: Tell) -> None:
        """Send due notices with tell until close(); call from the event loop."""
        if self._task is not None and not self._task.done():
            return
        self._loop = asyncio.get_running_loop()
        self._wake, self._stop = asyncio.Event(), asyncio.Event()
        self._task = asyncio.create_task(self._run(tell), name=f"{self.platform}-notices")

    async def close(self) -> None:
        """Stop after the notice being sent, if any (waiting at most CLOSE_SECONDS)."""
        task, self._task = self._task, None
        if task is None:
            return
        assert self._stop is not None and self._wake is not None
        self._stop.set()
        self._wake.set()
        done, _ = await asyncio.wait({task}, timeout=CLOSE_SECONDS)
        if not done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop = None

    async def sweep(self, tell: Tell) -> int:
        """Send every notice due now; how many were handed to tell."""
        try:
            # If cancelled while claiming, what it claimed is handed back first.
            notices = await _to_the_end(self.due, undo=self.release)
        except Exception:
            log.exception("cannot read the %s pause notices", self.platform)
            return 0
        for i, notice in enumerate(notices):
            try:
                told = await tell(notice)
            except asyncio.CancelledError:
                # This one may have gone out: it stays claimed (at most one notice per pause).
                await _to_the_end(self.release, notices[i + 1 :])
                raise
            except Exception as error:
                # It may have been sent: never try again (at most one notice per pause).
                log.exception("sending the %s notice for %s failed", notice.kind, notice.channel)
                told = Told(detail=f"{type(error).__name__}: {error}")
            await _to_the_end(self.record, notice, told)
        return len(notices)

    async def _run(self, tell: Tell) -> None:
        """Sweep now, after every change, and every `every` seconds, until stopped."""
        assert self._stop is not None and self._wake is not None
        while not self._stop.is_set():
            self._wake.clear()
            await self.sweep(tell)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.every)


def _notice(row: Mapping[str, Any], kind: Kind) -> Notice:
    """A notice from its ledger row."""
    return Notice(
        id=int(row["id"]),
        kind=kind,
        channel=row["channel"],
        workspace=row["workspace"],
        created_by=row["created_by"],
        reason=row["reason"],
        recipient=row["recipient"],
    )


async def _to_the_end(
    work: Callable[..., T], *args: Any, undo: Callable[[T], object] | None = None
) -> T:
    """work(*args) in a thread, awaited to its end even if the task is cancelled meanwhile.

    Cancelling cannot stop a thread: without this, a write would land after its adapter closed.
    If cancelled, undo(its result) then runs too (in a thread) before the cancellation goes on.
    """
    running = asyncio.ensure_future(asyncio.to_thread(work, *args))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        try:
            done = await running
            if undo is not None:
                await asyncio.to_thread(undo, done)
        except Exception:
            log.exception("%s failed while the pause notices stopped", work.__name__)
        raise
