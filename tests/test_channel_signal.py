"""The channel's own signal: what counts, once per person, undone by removal, here only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channel_signal import (
    ChannelSignals,
    Interest,
    boosted,
    channel_scored,
    interest_of,
    person_key,
    reacted_paper,
)
from bot.config import Config
from bot.rank import Scored
from bot.reactions import Reactions
from bot.service import HotPapersService
from bot.store import Store
from tests.factories import DISCORD, DISCORD_2, NOW, SLACK, SLACK_2, paper, post

ONE = {1: "2611.00001"}
FIVE = {i: f"2611.0000{i}" for i in range(1, 6)}


@pytest.mark.parametrize(
    ("papers", "emoji", "paper_id"),
    [
        (FIVE, "3️⃣", "2611.00003"),  # a keycap: the paper at that number
        (FIVE, "3\u20e3", "2611.00003"),  # Discord's keycap without the selector
        (FIVE, "three", "2611.00003"),  # Slack's name for it
        (FIVE, "👍", None),  # any other emoji on five papers is about none of them
        (FIVE, "📄", None),
        (FIVE, "🔟", None),  # past the end
        (ONE, "👍", "2611.00001"),  # on a single paper: any emoji is about it
        (ONE, "page_facing_up", "2611.00001"),
        (ONE, "1️⃣", "2611.00001"),
        (ONE, "custom:1234", "2611.00001"),
        ({}, "👍", None),  # not our message
    ],
)
def test_which_paper_a_reaction_is_about(
    papers: dict[int, str], emoji: str, paper_id: str | None
) -> None:
    assert reacted_paper(papers, emoji) == paper_id


def test_people_are_kept_as_keyed_hashes_that_only_compare() -> None:
    key = person_key("discord", "123456789012345678")
    assert key == person_key("discord", "123456789012345678")
    assert key != person_key("slack", "123456789012345678")
    assert "123456789012345678" not in key and len(key) == 20


def test_interest_halves_per_half_life_since_each_persons_first_reaction() -> None:
    rows = [("a", NOW), ("b", NOW - timedelta(hours=36)), ("c", NOW - timedelta(hours=72))]
    assert interest_of(rows, NOW, 36) == Interest(3, 1.75)


def test_the_channel_term_joins_the_breakdown_which_still_adds_up() -> None:
    base = Scored("2611.00001", 40.0, {"hackernews": 30.0, "huggingface": 10.0}, {}, {})
    scored = channel_scored(base, Interest(3, 2.5), 2.0)
    assert scored.breakdown == {"hackernews": 30.0, "huggingface": 10.0, "channel": 5.0}
    assert scored.score == sum(scored.breakdown.values()) == 45.0
    assert scored.levels["channel"] == 3
    assert channel_scored(base, Interest(3, 2.5), 0.0) is base


@given(
    st.lists(st.floats(0, 1000, allow_nan=False), max_size=30),
    st.dictionaries(st.integers(0, 40), st.floats(0, 2000, allow_nan=False), max_size=8),
)
def test_boosted_is_the_full_sort_of_the_rescored_ranking(
    shared_scores: list[float], mine: dict[int, float]
) -> None:
    shared = sorted(
        (Scored(f"p{i:02d}", round(s, 1), {}, {}, {}) for i, s in enumerate(shared_scores)),
        key=lambda s: (-s.score, s.arxiv_id),
    )
    channel = {f"p{i:02d}": Scored(f"p{i:02d}", round(s, 1), {}, {}, {}) for i, s in mine.items()}
    merged = list(boosted(shared, channel))
    everything = {s.arxiv_id: s for s in shared} | channel
    assert merged == sorted(everything.values(), key=lambda s: (-s.score, s.arxiv_id))


@pytest.fixture
def signals() -> ChannelSignals:
    store = Store()
    reactions = Reactions(store)
    reactions.remember("discord", "1", "m-five", list(FIVE.values()))
    reactions.remember("discord", "1", "m-one", ["2611.00009"])
    return ChannelSignals(store, reactions)


def test_each_person_counts_once_per_paper_however_many_reactions(
    signals: ChannelSignals,
) -> None:
    for emoji in ("👍", "🔥", "📄"):
        assert signals.added("discord", DISCORD, "m-one", "u1", emoji, NOW) == "2611.00009"
    signals.added("discord", DISCORD, "m-five", "u1", "9️⃣", NOW)  # no ninth paper there
    signals.added("discord", DISCORD, "m-five", "u2", "2️⃣", NOW)
    signals.added("discord", DISCORD, "m-five", "u2", "2️⃣", NOW)  # a repeated event
    interest = signals.interest(DISCORD, NOW - timedelta(days=7), NOW, 36)
    assert interest == {"2611.00009": Interest(1, 1.0), "2611.00002": Interest(1, 1.0)}


def test_removing_a_reaction_uncounts_it_but_another_one_keeps_the_person(
    signals: ChannelSignals,
) -> None:
    signals.added("discord", DISCORD, "m-one", "u1", "👍", NOW)
    signals.added("discord", DISCORD, "m-one", "u1", "🔥", NOW)
    assert signals.removed("discord", "m-one", "u1", "👍")
    assert signals.interest(DISCORD, NOW - timedelta(days=1), NOW, 36)["2611.00009"].people == 1
    assert signals.removed("discord", "m-one", "u1", "🔥")
    assert not signals.removed("discord", "m-one", "u1", "🔥")
    assert signals.interest(DISCORD, NOW - timedelta(days=1), NOW, 36) == {}


def test_a_moderator_clearing_reactions_uncounts_them(signals: ChannelSignals) -> None:
    for user in ("u1", "u2"):
        signals.added("discord", DISCORD, "m-one", user, "👍", NOW)
    signals.added("discord", DISCORD, "m-one", "u3", "🔥", NOW)
    assert signals.cleared("discord", "m-one", "👍") == 2
    assert signals.interest(DISCORD, NOW - timedelta(days=1), NOW, 36)["2611.00009"].people == 1
    assert signals.cleared("discord", "m-one") == 1


def test_the_weeks_most_reacted_papers_count_people(signals: ChannelSignals) -> None:
    for user in ("u1", "u2", "u3"):
        signals.added("discord", DISCORD, "m-one", user, "👍", NOW - timedelta(days=2))
    signals.added("discord", DISCORD, "m-five", "u1", "1️⃣", NOW - timedelta(days=1))
    signals.added("discord", DISCORD, "m-five", "u1", "4️⃣", NOW - timedelta(days=9))
    start = NOW - timedelta(days=7)
    assert signals.most_reacted(DISCORD, start, NOW, 10) == [
        ("2611.00009", 3), ("2611.00001", 1),
    ]  # fmt: skip
    assert signals.most_reacted(DISCORD_2, start, NOW, 10) == []


def _ranked_store() -> tuple[Store, Reactions]:
    """Five papers with falling HN points; paper 5 is the channel's niche pick."""
    store = Store()
    store.ingest(
        papers=[paper(f"2611.0000{i}") for i in range(1, 6)],
        posts=[
            post(str(i), (f"2611.0000{i}",), source="hackernews", reposts=0, likes=200 - 30 * i)
            for i in range(1, 6)
        ],
        seen_at=NOW,
    )
    reactions = Reactions(store)
    reactions.remember("slack", SLACK, "C00000001/1.0", ["2611.00005"])
    reactions.remember("slack", SLACK_2, "C00000002/1.0", ["2611.00005"])
    return store, reactions


def test_a_weighted_channel_sees_its_reacted_paper_rise_and_no_other_channel_does() -> None:
    store, reactions = _ranked_store()
    signals = ChannelSignals(store, reactions)
    svc = HotPapersService(store, Config(), clock=lambda: NOW, channel_signals=signals)
    for user in ("u1", "u2", "u3"):
        signals.added("slack", SLACK, "C00000001/1.0", user, "thumbsup", NOW)
    shared = [p.paper.arxiv_id for p in svc.top(5).papers]
    lab = svc.top(5, channel=SLACK, channel_weight=100.0)
    other = svc.top(5, channel=SLACK_2, channel_weight=100.0)
    unweighted = svc.top(5, channel=SLACK, channel_weight=0.0)
    assert shared[-1] == "2611.00005"
    assert lab.papers[0].paper.arxiv_id == "2611.00005"
    assert [p.paper.arxiv_id for p in other.papers] == shared
    assert [p.paper.arxiv_id for p in unweighted.papers] == shared
    top = lab.papers[0]
    assert top.breakdown["channel"] == 300.0
    assert top.score == pytest.approx(sum(top.breakdown.values()))
    assert top.explanation == "379 = this channel 300 + HN 79"
    assert top.details["channel"] == "3 people reacted here"
    assert "channel" in lab.sources
    for user in ("u1", "u2", "u3"):
        signals.removed("slack", "C00000001/1.0", user, "thumbsup")
    again = svc.top(5, channel=SLACK, channel_weight=100.0)
    assert [p.paper.arxiv_id for p in again.papers] == shared


def test_a_paper_with_no_other_engagement_can_rise_on_the_channels_reactions_alone() -> None:
    store, reactions = _ranked_store()
    store.ingest(papers=[paper("2611.00099")], seen_at=NOW)
    reactions.remember("slack", SLACK, "C00000001/2.0", ["2611.00099"])
    signals = ChannelSignals(store, reactions)
    svc = HotPapersService(store, Config(), clock=lambda: NOW, channel_signals=signals)
    signals.added("slack", SLACK, "C00000001/2.0", "u1", "eyes", NOW - timedelta(hours=36))
    (first, *_) = svc.top(5, channel=SLACK, channel_weight=1000.0).papers
    assert (first.paper.arxiv_id, first.breakdown, first.score) == (
        "2611.00099", {"channel": 500.0}, 500.0,
    )  # fmt: skip
    assert "2611.00099" not in [p.paper.arxiv_id for p in svc.top(25).papers]
