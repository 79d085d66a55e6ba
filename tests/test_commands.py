"""Chat commands, platform-neutral: argument parsing, lookups and /digest management."""

from __future__ import annotations

import contextlib
import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands import DIGEST_ACTIONS, Commands, DigestRequest, UsageError, parse_hot_args
from bot.config import Config
from bot.limits import MAX_COUNT, MAX_QUERY_CHARS
from bot.service import HotPapersService
from bot.store import Store
from bot.subscriptions import Subscriptions
from bot.taxonomy import ARCHIVES, CATEGORIES
from tests.factories import DISCORD, NOW, paper, post


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
        commands.digest(DISCORD, "subscribe", can_manage=False)
    reply = commands.digest(DISCORD, "subscribe time=08:30 tz=Europe/Paris top=3", can_manage=True)
    assert reply.text.startswith(f"Subscribed: {DISCORD}: 08:30 Europe/Paris")
    assert "top 3" in commands.digest(DISCORD, "status", can_manage=False).text
    assert commands.digest(DISCORD, "settings top=4", can_manage=True).text.startswith("Updated")
    preview = commands.digest(DISCORD, "preview", can_manage=False)
    assert preview.digest is not None and len(preview.digest.papers) == 4
    assert commands.digest(DISCORD, "unsubscribe", can_manage=True).text.startswith("Unsubscribed")
    assert changes == [(DISCORD, 3), (DISCORD, 4), (DISCORD, None)]
    with pytest.raises(UsageError, match="Usage: /digest"):
        commands.digest(DISCORD, "explode", can_manage=True)
    with pytest.raises(UsageError, match="top: 99"):
        commands.digest(DISCORD, "subscribe top=99", can_manage=True)


@pytest.mark.parametrize(
    ("text", "parsed"), [("5 cs.lg", (5, "cs.LG")), ("STAT.ML", (5, "stat.ML")), ("cs", (5, "cs"))]
)
def test_hot_categories_are_case_folded(text: str, parsed: tuple[int, str | None]) -> None:
    assert parse_hot_args(text) == parsed


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("²", "I don't understand '²'"),
        ("٣", "I don't understand '٣'"),
        ("9" * 5000, "I don't understand"),
        ("cs.XX", "did you mean cs."),
        ("5 cs.lgg", "did you mean cs.LG"),
    ],
)
def test_hot_arguments_that_are_no_count_or_category_get_a_usage_line(text: str, says: str) -> None:
    with pytest.raises(UsageError, match=says) as caught:
        parse_hot_args(text)
    assert "Usage: /hot" in str(caught.value) and len(str(caught.value)) < 300


@pytest.mark.parametrize(
    "words",
    ['"', 'diffusion "', "NEAR(a b)", "a AND OR NOT", "title:x", "*", "^x", "x\x00y", "\ud800x",
     "(", "-x", "a:b:c", "'"],
)  # fmt: skip
def test_search_takes_any_text(commands: Commands, words: str) -> None:
    try:
        commands.search(words)
    except UsageError as error:
        assert "Usage: /search" in str(error) or "No stored paper matches" in str(error)


def test_search_finds_words_around_fts_syntax(commands: Commands) -> None:
    assert len(commands.search('"diffusion')) == 5
    assert [p.arxiv_id for p in commands.search('paper* "3')] == ["2611.00003"]


def test_a_long_search_is_refused_with_its_limit(commands: Commands) -> None:
    with pytest.raises(UsageError, match=f"at most {MAX_QUERY_CHARS} characters"):
        commands.search("word " * 3000)


@given(st.text(max_size=400))
@settings(max_examples=200)
def test_any_search_text_is_an_answer_or_a_usage_line(words: str) -> None:
    commands = _shared()  # a search only reads: one store serves every example
    with contextlib.suppress(UsageError):
        commands.search(words)


@given(st.text(max_size=60))
@settings(max_examples=200)
def test_any_hot_text_is_parsed_or_a_usage_line(text: str) -> None:
    try:
        count, category = parse_hot_args(text)
    except UsageError:
        return
    assert 1 <= count <= MAX_COUNT and (category is None or category in CATEGORIES | ARCHIVES)


@pytest.mark.parametrize(
    ("text", "changes", "private"),
    [
        ("", False, True),
        ("status", False, True),
        ("preview", False, True),
        ("settings", False, True),
        ("settings top=3", True, False),
        ("subscribe", True, False),
        ("SUBSCRIBE top=3", True, False),
        ("unsubscribe", True, False),
        ("pause", True, False),
        ("resume", True, False),
        ("explode", False, True),
    ],
)
def test_commands_decide_which_digest_actions_change_state_and_which_answer_privately(
    text: str, changes: bool, private: bool
) -> None:
    request = DigestRequest.parse(text)
    assert (request.changes_state, request.private) == (changes, private)


def test_typed_options_count_as_settings_only_when_given() -> None:
    assert not DigestRequest("settings", options={"top": None}).changes_state
    assert DigestRequest("settings", options={"top": 3}).changes_state


def test_typed_options_are_checked_like_text(commands: Commands) -> None:
    request = DigestRequest(
        "subscribe",
        options={"top": 3, "categories": "CS.lg, cs.CV", "keywords": 'say "hi"', "min_score": "2.5",
                 "timezone": "europe/berlin", "repeat_days": 0, "empty_day": None},
    )  # fmt: skip
    reply = commands.digest(DISCORD, request, can_manage=True)
    sub = reply.subscription
    assert sub is not None and not reply.private
    assert (sub.top, sub.categories, sub.keywords, sub.min_score, sub.timezone) == (
        3, ("cs.LG", "cs.CV"), ("say", '"hi"'), 2.5, "Europe/Berlin",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"min_score": "nan"}, "min_score: nan is not a number"),
        ({"min_score": "inf"}, "min_score: inf is not a number"),
        ({"timezone": "America"}, "'America' is not an IANA timezone"),
        ({"timezone": "x" * 100_000}, "100,000 characters"),
        ({"categories": ",".join(["cs.LG"] * 10_000)}, "10,000 items"),
        ({"keywords": "k" * 100_000}, "longer than 100 characters"),
        ({"top": 0}, "top: 0 must be between 1 and 25"),
    ],
)
def test_bad_typed_options_get_a_usage_line_and_change_nothing(
    commands: Commands, options: dict[str, object], says: str
) -> None:
    with pytest.raises(UsageError, match=says) as caught:
        commands.digest(DISCORD, DigestRequest("subscribe", options=options), can_manage=True)
    assert "Usage: /digest" in str(caught.value) and len(str(caught.value)) < 1000
    assert commands.subscriptions.get(DISCORD) is None


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_any_digest_text_is_an_answer_or_a_usage_line(text: str) -> None:
    # An action that could change state gets a store of its own; any other is refused before
    # the store is read, so those examples share one (building a store is most of an example).
    known = DigestRequest.parse(text).action in DIGEST_ACTIONS
    commands = _commands_over_a_small_store() if known else _shared()
    try:
        commands.digest(DISCORD, text, can_manage=True)
    except UsageError as error:
        assert str(error)


@functools.cache
def _shared() -> Commands:
    """One Commands over a small store, for examples that never write to it."""
    return _commands_over_a_small_store()


def _commands_over_a_small_store() -> Commands:
    """Commands over an in-memory store with three papers (fresh for each example)."""
    store = Store()
    store.ingest(
        papers=[paper(f"2611.0000{i}", title=f"Diffusion paper {i}") for i in range(1, 4)],
        posts=[post(str(i), (f"2611.0000{i}",), source="hackernews") for i in range(1, 4)],
        seen_at=NOW,
    )
    return Commands(HotPapersService(store, Config(), clock=lambda: NOW), Subscriptions(store))


def test_whoever_subscribes_is_recorded_as_who_set_the_digest_up(commands: Commands) -> None:
    commands.digest(DISCORD, "subscribe", can_manage=True, user="111")
    commands.digest(DISCORD, "settings top=4", can_manage=True, user="222")
    commands.digest(DISCORD, "pause", can_manage=True, user="333")
    sub = commands.subscriptions.get(DISCORD)
    assert sub is not None and sub.created_by == "111"
    commands.digest(DISCORD, "subscribe top=2", can_manage=True, user="444")
    sub = commands.subscriptions.get(DISCORD)
    assert sub is not None and (sub.created_by, sub.top, sub.paused) == ("444", 2, True)
