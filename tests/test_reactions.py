"""Reactions: which paper a reaction points at, and one abstract per message and paper."""

from __future__ import annotations

import pytest

from bot.reactions import SINGLE_PAPER, Reactions, reaction_position
from bot.store import Store
from tests.factories import NOW


@pytest.mark.parametrize(
    ("emoji", "position"),
    [("1️⃣", 1), ("1\u20e3", 1), ("🔟", 10), ("9️⃣", 9), ("one", 1), (":keycap_ten:", 10),
     ("📄", SINGLE_PAPER), ("page_facing_up", SINGLE_PAPER), ("👍", None), ("eleven", None)],
)  # fmt: skip
def test_keycaps_and_slack_names_map_to_positions(emoji: str, position: int | None) -> None:
    assert reaction_position(emoji) == position


def test_reactions_point_at_the_paper_with_that_number_after_a_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    Reactions(Store(tmp_path / "h.db")).remember(
        "discord", "c1", "m1", ["2611.00001", "2611.00002"]
    )
    reactions = Reactions(Store(tmp_path / "h.db"))  # a new process
    assert reactions.paper_for("discord", "m1", "2️⃣") == "2611.00002"
    assert reactions.paper_for("discord", "m1", "3️⃣") is None
    assert reactions.paper_for("discord", "m1", "📄") is None  # two papers: ambiguous
    assert reactions.paper_for("slack", "m1", "one") is None  # other platform


def test_page_reaction_works_on_single_paper_messages() -> None:
    reactions = Reactions(Store())
    reactions.remember("slack", "C1", "1700000000.0001", ["2611.00001"])
    assert reactions.paper_for("slack", "1700000000.0001", "page_facing_up") == "2611.00001"


def test_an_abstract_is_claimed_once_and_a_failed_post_can_be_retried() -> None:
    reactions = Reactions(Store())
    assert reactions.claim("discord", "m1", "2611.00001", NOW)
    assert not reactions.claim("discord", "m1", "2611.00001", NOW)
    reactions.release("discord", "m1", "2611.00001")
    assert reactions.claim("discord", "m1", "2611.00001", NOW)
    reactions.replied("discord", "m1", "2611.00001", "reply-1")
    reactions.release("discord", "m1", "2611.00001")  # already answered: stays claimed
    assert not reactions.claim("discord", "m1", "2611.00001", NOW)
