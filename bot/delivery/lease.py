"""Leases in the database, so two processes never both lead the scheduler or post one digest."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable

from bot.delivery.schema import migrations
from bot.store import Store

__all__ = ["Leases", "holder_id", "holder_is_dead"]

SCHEDULER = "scheduler"


def holder_id() -> str:
    """This process's identity: host, pid and a random token (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _split(holder: str) -> tuple[str, int, str]:
    """host, pid and token of a holder id."""
    host, pid, token = holder.rsplit(":", 2)
    return host, int(pid), token


def holder_is_dead(holder: str, me: str) -> bool:
    """True when the holder ran on this host and its process is gone, so waiting is pointless.

    Holders on other hosts cannot be checked; their leases simply expire.
    """
    try:
        host, pid, _ = _split(holder)
        my_host, my_pid, _ = _split(me)
    except ValueError:
        return False
    if host != my_host:
        return False
    if pid == my_pid:
        return holder != me  # an earlier process that had our pid, e.g. pid 1 in a container
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Leases:
    """Named, expiring, renewable locks held by one process at a time."""

    def __init__(
        self,
        store: Store,
        *,
        ttl: float = 60.0,
        holder: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Use the store; leases last ttl seconds unless renewed. Real time, not a test clock."""
        self.store = store
        self.ttl = ttl
        self.me = holder or holder_id()
        self.clock = clock
        store.migrate(migrations)

    def acquire(self, name: str) -> bool:
        """Take the lease if it is free, expired, ours, or its holder died; False otherwise."""
        now = self.clock()
        with self.store.transaction() as tx:
            row = tx.query_one(
                "SELECT holder, expires_at FROM delivery_leases WHERE name = ?", [name]
            )
            if row is not None and self._taken(row["holder"], row["expires_at"], now):
                return False
            tx.execute(
                "INSERT INTO delivery_leases (name, holder, acquired_at, expires_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " acquired_at = CASE WHEN holder = excluded.holder THEN acquired_at"
                " ELSE excluded.acquired_at END, expires_at = excluded.expires_at",
                [name, self.me, now, now + self.ttl],
            )
        return True

    def _taken(self, holder: str, expires_at: float, now: float) -> bool:
        """True when another live process holds a lease that has not expired."""
        return holder != self.me and expires_at > now and not holder_is_dead(holder, self.me)

    def holds(self, name: str) -> bool:
        """True while this process holds the lease (checked in the database, not remembered).

        Inside a transaction the check sees that transaction, so a caller can check and act
        under one write lock.
        """
        row = self.store.query_one(
            "SELECT 1 AS held FROM delivery_leases"
            " WHERE name = ? AND holder = ? AND expires_at > ?",
            [name, self.me, self.clock()],
        )
        return row is not None

    def holder(self, name: str) -> str | None:
        """Who holds the lease now, if anyone alive does."""
        row = self.store.query_one(
            "SELECT holder, expires_at FROM delivery_leases WHERE name = ?", [name]
        )
        if not row or row["expires_at"] <= self.clock() or holder_is_dead(row["holder"], self.me):
            return None
        return str(row["holder"])

    def renew(self) -> None:
        """Extend every lease this process holds (called from the heartbeat)."""
        with self.store.transaction() as tx:
            tx.execute(
                "UPDATE delivery_leases SET expires_at = ? WHERE holder = ?",
                [self.clock() + self.ttl, self.me],
            )

    def release(self, name: str) -> None:
        """Give a lease back; costs no commit when it is not held (e.g. released already)."""
        if not self.holds(name):
            return
        with self.store.transaction() as tx:
            tx.execute("DELETE FROM delivery_leases WHERE name = ? AND holder = ?", [name, self.me])

    def release_all(self) -> None:
        """Give back every lease this process holds (clean shutdown)."""
        with self.store.transaction() as tx:
            tx.execute("DELETE FROM delivery_leases WHERE holder = ?", [self.me])
