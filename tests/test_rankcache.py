"""The ranking cache's parts: one computation per key at a time, cards cut from longer ones."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from bot.rankcache import Cards, Flights, RankingCache

AT = datetime(2026, 11, 26, 12, tzinfo=UTC)


def test_callers_asking_while_a_key_is_computed_share_its_result() -> None:
    flights: Flights[str, int] = Flights()
    started, release, calls = threading.Event(), threading.Event(), []

    def slow() -> int:
        calls.append(1)
        started.set()
        release.wait()
        return 42

    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(flights.run("k", slow)))
    first.start()
    started.wait()
    assert flights.busy("k")
    others = [
        threading.Thread(target=lambda: results.append(flights.run("k", slow))) for _ in range(5)
    ]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join()
    assert results == [42] * 6 and len(calls) <= 6 and not flights.busy("k")


def test_cards_answer_a_shorter_top_and_know_when_a_list_is_complete() -> None:
    cards: Cards[str, int] = Cards(size=4)
    builds: list[int | None] = []

    def build(top: int | None, available: int) -> list[int]:
        builds.append(top)
        return list(range(available if top is None else min(top, available)))

    assert cards.get("all", 10, lambda: build(10, 100)) == list(range(10))
    assert cards.get("all", 3, lambda: build(3, 100)) == [0, 1, 2]  # cut, not built
    assert cards.get("all", 20, lambda: build(20, 100)) == list(range(20))  # built: needs more
    assert cards.get("rare", 10, lambda: build(10, 2)) == [0, 1]  # only two pass the filter
    assert cards.get("rare", 25, lambda: build(25, 2)) == [0, 1]  # so that is all there is
    assert builds == [10, 20, 10]


def test_cards_forget_the_least_recently_used_filter_first() -> None:
    cards: Cards[str, int] = Cards(size=2)
    for name in ("a", "b", "a", "c"):
        cards.get(name, 1, lambda: [0])
    assert [s for s, _ in cards.recent(10)] == ["c", "a"]


def test_a_new_generation_is_computed_and_an_old_one_served_to_whoever_cannot_wait() -> None:
    cache: RankingCache[str, int, str, int] = RankingCache(max_age=timedelta(minutes=5))
    computed: list[datetime] = []

    def compute(at: datetime) -> int:
        computed.append(at)
        return len(computed)

    assert cache.get("hot", 1, AT, compute, moving=True, wait=True).value == 1
    assert cache.get("hot", 1, AT, compute, moving=True, wait=True).value == 1
    assert cache.get("hot", 2, AT, compute, moving=False, wait=False).value == 1  # ready one
    cache.settle()
    assert cache.get("hot", 2, AT, compute, moving=True, wait=False).value == 2
    assert cache.get("hot", 3, AT, compute, moving=True, wait=True).value == 3
    cache.close()
