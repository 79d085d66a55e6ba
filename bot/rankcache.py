"""Rank once per data change: rankings and the cards they serve, shared by every caller.

A ranking of a day depends on what was ingested (the store's ingest generation), the ranking
settings (fixed for a process) and, slowly, the time (the age factor and the growth window).
So a computed ranking is kept per (ranking, day) with the generation and moment it was computed
for, and so are the hydrated top-N lists ("cards") it served per filter: a fan-out to a thousand
channels with the same settings ranks and hydrates once. Callers on a request path (`/hot`)
take whatever ranking is ready and let a stale one be recomputed in the background; callers
that must see the newest data (a digest) wait for it, joining a computation already running.
Everything is thread-safe and bounded.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

__all__ = ["Cards", "Flights", "RankingCache", "Ready"]

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
C = TypeVar("C")
S = TypeVar("S")


class Flights(Generic[K, T]):
    """At most one computation per key at a time; callers asking meanwhile wait for its result."""

    def __init__(self) -> None:
        """No computation running."""
        self._lock = threading.Lock()
        self._running: dict[K, Future[T]] = {}

    def run(self, key: K, compute: Callable[[], T]) -> T:
        """compute()'s result, computed here or by the caller already computing it."""
        with self._lock:
            running = self._running.get(key)
            if running is None:
                mine: Future[T] = Future()
                self._running[key] = mine
        if running is not None:
            return running.result()
        try:
            result = compute()
        except BaseException as error:
            mine.set_exception(error)
            raise
        else:
            mine.set_result(result)
            return result
        finally:
            with self._lock:
                del self._running[key]

    def busy(self, key: K) -> bool:
        """True while a computation for key runs."""
        with self._lock:
            return key in self._running


class Cards(Generic[S, C]):
    """Hydrated top-N lists per filter, for one ranking; least recently used go first.

    A list for the top n also answers any top m <= n (the cut reads the ranking in order),
    and a list shorter than its n is everything the filter lets through.
    """

    def __init__(self, size: int) -> None:
        """Keep at most size filters."""
        self.size = size
        self._lock = threading.Lock()
        self._lists: OrderedDict[S, tuple[int | None, Sequence[C]]] = OrderedDict()
        self._flights: Flights[tuple[S, int | None], Sequence[C]] = Flights()

    def get(self, selector: S, top: int | None, build: Callable[[], Sequence[C]]) -> Sequence[C]:
        """The first top (None: all) cards for a filter, built at most once per need."""
        found = self._lookup(selector, top)
        if found is not None:
            return found
        return self._flights.run((selector, top), lambda: self._built(selector, top, build))

    def _built(self, selector: S, top: int | None, build: Callable[[], Sequence[C]]) -> Sequence[C]:
        """Build a list (unless another caller just did) and keep it if it covers more."""
        found = self._lookup(selector, top)
        if found is not None:
            return found
        cards = build()
        with self._lock:
            kept = self._lists.get(selector)
            if kept is None or _covers(top, len(cards), kept[0]):
                self._lists[selector] = (top, cards)
            self._lists.move_to_end(selector)
            while len(self._lists) > self.size:
                self._lists.popitem(last=False)
        return cards

    def _lookup(self, selector: S, top: int | None) -> Sequence[C] | None:
        """A kept list that answers this top, cut to it."""
        with self._lock:
            kept = self._lists.get(selector)
            if kept is None:
                return None
            kept_top, cards = kept
            more = kept_top is not None and len(cards) >= kept_top  # more may pass the filter
            if more and (top is None or kept_top is None or top > kept_top):
                return None
            self._lists.move_to_end(selector)
        return cards if top is None else cards[:top]

    def recent(self, count: int) -> list[tuple[S, int | None]]:
        """The most recently used filters and their tops, newest first (to warm a successor)."""
        with self._lock:
            return [(s, t) for s, (t, _) in reversed(self._lists.items())][:count]


def _covers(top: int | None, found: int, kept_top: int | None) -> bool:
    """True when a list built for top (found cards) answers more than one built for kept_top."""
    if top is None:
        return True
    if kept_top is None:
        return False
    return top > kept_top or found < top


@dataclass(frozen=True)
class Ready(Generic[T, S, C]):
    """A computed ranking: its generation, the moment it is for, the result and its cards."""

    generation: int
    at: datetime
    value: T
    cards: Cards[S, C] = field(compare=False)


Warm = Callable[[Ready[T, S, C], list[tuple[S, int | None]]], None]


class RankingCache(Generic[K, T, S, C]):
    """The ready ranking per key; stale ones recomputed once, in the background when asked to."""

    def __init__(
        self,
        *,
        max_age: timedelta,
        keys: int = 8,
        cards: int = 256,
        warm: Warm[T, S, C] | None = None,
    ) -> None:
        """Rankings older than max_age (of a moving day) are stale; keep keys rankings.

        warm(fresh, filters) builds a recomputed ranking's cards for the filters its
        predecessor served most recently, before it replaces it.
        """
        self.max_age = max_age
        self.keys = keys
        self.cards = cards
        self.warm = warm
        self._lock = threading.Lock()
        self._ready: OrderedDict[K, Ready[T, S, C]] = OrderedDict()
        self._flights: Flights[K, Ready[T, S, C]] = Flights()
        self._pool: ThreadPoolExecutor | None = None
        self._pending: set[Future[None]] = set()

    def _current(self, key: K) -> Ready[T, S, C] | None:
        """The ready ranking for key, marked as used."""
        with self._lock:
            ready = self._ready.get(key)
            if ready is not None:
                self._ready.move_to_end(key)
            return ready

    def _fresh(self, ready: Ready[T, S, C], generation: int, at: datetime, moving: bool) -> bool:
        """True when ready ranks this generation and is young enough for the moment at."""
        return ready.generation == generation and (not moving or at - ready.at < self.max_age)

    def get(
        self,
        key: K,
        generation: int,
        at: datetime,
        compute: Callable[[datetime], T],
        *,
        moving: bool,
        wait: bool,
    ) -> Ready[T, S, C]:
        """The ranking for key: ready if fresh enough, else computed (once for all callers).

        moving: the ranking changes with time (today's); at is the moment to rank it for.
        wait: False lets a request use any ready ranking while a stale one is recomputed in
        the background; True (a digest) waits for one of this generation, and one not older
        than max_age unless it is less than three times that (then it is refreshed behind).
        """
        ready = self._current(key)
        if ready is not None:
            if self._fresh(ready, generation, at, moving):
                return ready
            if not wait or (ready.generation == generation and at - ready.at < 3 * self.max_age):
                self.refresh_later(key, generation, at, compute, moving=moving)
                return ready

        def computed() -> Ready[T, S, C]:
            ready = self._current(key)  # whoever ran just before us may have done it
            if ready is not None and self._fresh(ready, generation, at, moving):
                return ready
            return self._recompute(key, generation, at, compute)

        return self._flights.run(key, computed)

    def refresh(
        self,
        key: K,
        generation: int,
        at: datetime,
        compute: Callable[[datetime], T],
        *,
        moving: bool = True,
    ) -> Ready[T, S, C]:
        """Recompute key now unless it is fresh (joining a recomputation already running)."""

        def computed() -> Ready[T, S, C]:
            ready = self._current(key)
            if ready is not None and self._fresh(ready, generation, at, moving):
                return ready
            return self._recompute(key, generation, at, compute)

        return self._flights.run(key, computed)

    def _recompute(
        self, key: K, generation: int, at: datetime, compute: Callable[[datetime], T]
    ) -> Ready[T, S, C]:
        """Rank, warm the cards the predecessor served most, then swap the result in."""
        old = self._current(key)
        fresh: Ready[T, S, C] = Ready(generation, at, compute(at), Cards(self.cards))
        if self.warm is not None and old is not None:
            self.warm(fresh, old.cards.recent(16))
        with self._lock:
            ready = self._ready.get(key)
            if ready is None or (fresh.generation, fresh.at) >= (ready.generation, ready.at):
                self._ready[key] = fresh
            self._ready.move_to_end(key)
            while len(self._ready) > self.keys:
                self._ready.popitem(last=False)
        return fresh

    def refresh_later(
        self,
        key: K,
        generation: int,
        at: datetime,
        compute: Callable[[datetime], T],
        *,
        moving: bool = True,
    ) -> None:
        """Recompute key in the background thread, unless that is already happening."""
        if self._flights.busy(key):
            return
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="ranking")
            future = self._pool.submit(self._background, key, generation, at, compute, moving)
            self._pending.add(future)
        future.add_done_callback(self._finished)

    def _background(
        self,
        key: K,
        generation: int,
        at: datetime,
        compute: Callable[[datetime], T],
        moving: bool,
    ) -> None:
        """A background recomputation; its failure is logged (the ready ranking stays)."""
        try:
            self.refresh(key, generation, at, compute, moving=moving)
        except Exception:
            log.warning("recomputing a ranking in the background failed", exc_info=True)

    def _finished(self, future: Future[None]) -> None:
        """Forget a finished background job."""
        with self._lock:
            self._pending.discard(future)

    def ready(self) -> dict[K, Ready[T, S, C]]:
        """The ready rankings by key."""
        with self._lock:
            return dict(self._ready)

    def settle(self, timeout: float | None = None) -> None:
        """Wait for the background recomputations started so far."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.result(timeout)

    def close(self) -> None:
        """Stop the background thread (a recomputation running finishes on its own)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
