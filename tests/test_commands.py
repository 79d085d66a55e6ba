"""Chat commands, platform-neutral: argument parsing, lookups and /digest management."""

from __future__ import annotations

import pytest

from bot.commands import Commands, UsageError, parse_hot_args
from bot.config import Config
from bot.service import HotPapersService
from bot.store import Store
from bot.subscriptions import Subscriptions
from tests.factories import NOW, paper, post


@pytest.fixture
def commands() -> Commands:
    store = Store()
    store.ingest(
        papers=[paper(f"2611.0000{i}", title=f"Diffusion paper {i}") for i in range(1, 8)],
        posts=[
            post(str(i), (f"2611.0000{i}",), source="hackernews", reposts=0, likes=10 * i)
            for i in range(1, 8)
        ],
        seen_at=NOW,
    )
    return Commands(HotPapersService(store, Config(), clock=lambda: NOW), Subscriptions(store))


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", (5, None)),
        ("5", (5, None)),
        ("5 cs.LG", (5, "cs.LG")),
        ("cs.CL 3", (3, "cs.CL")),
        ("  7  ", (7, None)),
    ],
)
def test_hot_arguments_parse_in_any_order(text: str, parsed: tuple[int, str | None]) -> None:
    assert parse_hot_args(text) == parsed


@pytest.mark.parametrize("text", ["0", "26", "five", "5 6", "cs.LG cs.CL", "5 <!channel>"])
def test_bad_hot_arguments_get_a_usage_line(text: str) -> None:
    with pytest.raises(UsageError):
        parse_hot_args(text)


def test_hot_returns_the_requested_number_in_ranked_order(commands: Commands) -> None:
    digest = commands.hot(5)
    assert [p.paper.arxiv_id for p in digest.papers] == [f"2611.0000{i}" for i in (7, 6, 5, 4, 3)]
    assert [p.rank for p in digest.papers] == [1, 2, 3, 4, 5]


def test_hot_with_nothing_to_show_says_so(commands: Commands) -> None:
    with pytest.raises(UsageError, match=r"No papers in math\.CO"):
        commands.hot(5, "math.CO")


def test_paper_and_search_give_clear_errors(commands: Commands) -> None:
    assert commands.paper("arXiv:2611.00003v2").paper.arxiv_id == "2611.00003"
    with pytest.raises(UsageError, match="is not an arXiv id"):
        commands.paper("@everyone")
    with pytest.raises(UsageError, match="not in the store"):
        commands.paper("2611.99999")
    assert len(commands.search("diffusion")) == 5
    with pytest.raises(UsageError, match="No stored paper"):
        commands.search("zebra")


def test_digest_management_needs_permission_and_reports_changes(commands: Commands) -> None:
    changes = []
    commands.on_change = lambda sub, channel: changes.append((channel, sub.top if sub else None))
    with pytest.raises(UsageError, match="permission to manage it"):
        commands.digest("discord:1", "subscribe", can_manage=False)
    reply = commands.digest(
        "discord:1", "subscribe time=08:30 tz=Europe/Paris top=3", can_manage=True
    )
    assert reply.text.startswith("Subscribed: discord:1: 08:30 Europe/Paris")
    assert "top 3" in commands.digest("discord:1", "status", can_manage=False).text
    assert commands.digest("discord:1", "settings top=4", can_manage=True).text.startswith(
        "Updated"
    )
    preview = commands.digest("discord:1", "preview", can_manage=False)
    assert preview.digest is not None and len(preview.digest.papers) == 4
    assert commands.digest("discord:1", "unsubscribe", can_manage=True).text.startswith(
        "Unsubscribed"
    )
    assert changes == [("discord:1", 3), ("discord:1", 4), ("discord:1", None)]
    with pytest.raises(UsageError, match="Usage: /digest"):
        commands.digest("discord:1", "explode", can_manage=True)
    with pytest.raises(UsageError, match="top: 99"):
        commands.digest("discord:1", "subscribe top=99", can_manage=True)
