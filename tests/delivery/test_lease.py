"""Leases: one live holder at a time; expired or dead holders are taken over."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from bot.delivery.lease import Leases, holder_is_dead
from bot.store import Store


class Time:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def live_stranger() -> str:
    """A holder id for a live process on this host that is not us: our parent."""
    return f"{socket.gethostname()}:{os.getppid()}:abcd"


def test_a_live_holder_keeps_the_lease_until_it_expires(tmp_path: Path) -> None:
    store, time = Store(tmp_path / "db"), Time()
    first = Leases(store, ttl=10, holder=live_stranger(), clock=time)
    second = Leases(store, ttl=10, clock=time)
    assert first.acquire("scheduler")
    assert not second.acquire("scheduler")
    assert second.holder("scheduler") == first.me
    time.now += 11
    assert second.holder("scheduler") is None
    assert second.acquire("scheduler") and second.holds("scheduler")
    assert not first.holds("scheduler")


def test_renewal_keeps_a_lease_alive_and_release_frees_it(tmp_path: Path) -> None:
    store, time = Store(tmp_path / "db"), Time()
    mine = Leases(store, ttl=10, clock=time)
    other = Leases(store, ttl=10, holder=live_stranger(), clock=time)
    assert mine.acquire("scheduler") and mine.acquire("delivery:x")
    time.now += 8
    mine.renew()
    time.now += 8
    assert not other.acquire("scheduler")
    mine.release("scheduler")
    assert other.acquire("scheduler")
    mine.release_all()
    assert other.acquire("delivery:x")


def test_a_lease_of_a_dead_process_on_this_host_is_taken_over_at_once(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    store = Store(tmp_path / "db")
    dead = Leases(store, ttl=3600, holder=f"{socket.gethostname()}:{child.pid}:dead")
    assert dead.acquire("scheduler")
    assert Leases(store).acquire("scheduler")


def test_dead_holder_detection_is_conservative() -> None:
    me = f"{socket.gethostname()}:{os.getpid()}:mine"
    assert not holder_is_dead(me, me)
    assert holder_is_dead(f"{socket.gethostname()}:{os.getpid()}:older", me)  # reused pid
    assert not holder_is_dead(live_stranger(), me)
    assert not holder_is_dead("another-host:1:abcd", me)  # cannot tell: wait for expiry
    assert not holder_is_dead("garbage", me)
