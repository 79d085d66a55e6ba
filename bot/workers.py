"""Threads for blocking work, so the event loop never waits on SQLite or on CPU-heavy work.

Discord's gateway heartbeat, Slack's 3-second acks and every send in flight share the event
loop: a SQLite write waiting for another process's lock, or a ranking computed in place, would
hold them all. Delivery, scheduling and the runner hand such calls to a Worker instead. It is
its own small pool, not asyncio's default executor, so a thousand deliveries queueing for the
store never delay the chat commands that run there.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["Worker"]

P = ParamSpec("P")
T = TypeVar("T")


class Worker:
    """A few threads that run blocking calls for coroutines."""

    def __init__(self, threads: int, name: str) -> None:
        """Start no thread yet; at most `threads` run at once."""
        self.threads = threads
        self.name = name
        self._pool: ThreadPoolExecutor | None = None

    async def run(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """call(*args, **kwargs) in one of the threads; its result or its exception."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix=self.name)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(call, *args, **kwargs))

    def close(self) -> None:
        """Let the threads end once their calls return; calls still queued are dropped."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
