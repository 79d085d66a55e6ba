"""Digest settings as a form: each field checked alone, saved through the commands."""

from __future__ import annotations

from typing import Any

import pytest

from bot.commands import Commands, DigestRequest, UsageError
from bot.config import Config
from bot.forms import FIELDS, DigestForm
from bot.service import HotPapersService
from bot.store import Store
from bot.subscriptions import _SETTABLE, Subscription, Subscriptions
from tests.factories import NOW

CHANNEL = "slack:C0123456789"
VALID: dict[str, object] = {
    "time": "7:30", "timezone": "europe/berlin", "days": "mon,wed,fri", "top": "7",
    "ranking": "seed", "categories": ["cs.LG", "cs.cl"], "exclude_categories": [],
    "keywords": "diffusion, agents", "min_score": "", "repeat_days": "14", "empty_day": "skip",
    "channel_weight": "", "layout": "per-paper", "weekly": "fri",
}  # fmt: skip


@pytest.fixture
def subscriptions() -> Subscriptions:
    return Subscriptions(Store())


@pytest.fixture
def changes() -> list[tuple[Subscription | None, str]]:
    return []


@pytest.fixture
def form(subscriptions: Subscriptions, changes: list[Any]) -> DigestForm:
    service = HotPapersService(subscriptions.store, Config(), clock=lambda: NOW)
    commands = Commands(
        service,
        subscriptions,
        on_change=lambda sub, channel: changes.append((sub, channel)),
        status=lambda channel: "Next digest: soon",
    )
    return DigestForm(commands, subscriptions)


def test_the_form_holds_every_setting_a_typed_command_can_change() -> None:
    assert set(FIELDS) == set(_SETTABLE) == {
        "time", "timezone", "days", "top", "ranking", "categories", "exclude_categories",
        "keywords", "min_score", "repeat_days", "empty_day", "channel_weight", "layout", "weekly",
    }  # fmt: skip


def test_a_channel_without_a_digest_shows_the_defaults(form: DigestForm) -> None:
    sub, exists = form.current(CHANNEL, "T1")
    assert (exists, sub.time, sub.workspace) == (False, "09:00", "T1")
    assert form.status(CHANNEL) == "Next digest: soon"


def test_a_valid_form_subscribes_the_channel_with_every_field_normalised(
    form: DigestForm, subscriptions: Subscriptions, changes: list[Any]
) -> None:
    outcome = form.submit(CHANNEL, VALID, can_manage=True, workspace="T1", user="U7")
    assert outcome.errors == {}
    assert outcome.reply is not None and outcome.reply.text.startswith("Subscribed:")
    assert not outcome.reply.private
    sub = subscriptions.get(CHANNEL)
    assert sub is not None
    assert (sub.time, sub.timezone, sub.days, sub.top, sub.ranking) == (
        "07:30", "Europe/Berlin", ("mon", "wed", "fri"), 7, "seed"
    )  # fmt: skip
    assert (sub.categories, sub.keywords, sub.min_score) == (
        ("cs.LG", "cs.CL"), ("diffusion", "agents"), None
    )  # fmt: skip
    assert (sub.repeat_days, sub.empty_day) == (14, "skip")
    assert (sub.channel_weight, sub.layout, sub.weekly) == (0.0, "per-paper", "fri")
    assert (sub.workspace, sub.created_by) == ("T1", "U7")
    assert changes == [(sub, CHANNEL)]


def test_every_wrong_field_gets_its_own_error_and_nothing_is_saved(
    form: DigestForm, subscriptions: Subscriptions, changes: list[Any]
) -> None:
    wrong = {
        **VALID, "time": "25:00", "timezone": "Mars/Olympus", "days": "", "top": "0",
        "ranking": "loudest", "categories": ["cs.XX"], "keywords": "x" * 101,
        "min_score": "nan", "repeat_days": "-1", "empty_day": "shout",
        "channel_weight": "1001", "layout": "sideways", "weekly": "someday",
    }  # fmt: skip
    outcome = form.submit(CHANNEL, wrong, can_manage=True)
    assert set(outcome.errors) == set(wrong) - {"exclude_categories"}
    assert outcome.errors["time"] == "'25:00' is not a time like 09:00"
    assert outcome.errors["top"] == "0 must be between 1 and 25"
    assert "did you mean" in outcome.errors["categories"]
    assert outcome.errors["ranking"] == "'loudest' must be hot or seed"
    assert outcome.errors["channel_weight"] == "1001 must be between 0 and 1000"
    assert outcome.errors["layout"] == "'sideways' must be grouped or per-paper"
    assert outcome.errors["weekly"] == "'someday' is not a weekday like fri (or off)"
    assert all(not text.startswith(key) for key, text in outcome.errors.items())
    assert outcome.reply is None
    assert subscriptions.get(CHANNEL) is None and changes == []


def test_the_same_rules_as_the_typed_command_apply(form: DigestForm) -> None:
    typed_error = None
    try:
        form.commands.digest(CHANNEL, DigestRequest.parse("subscribe top=26"), can_manage=True)
    except UsageError as error:
        typed_error = str(error)
    outcome = form.submit(CHANNEL, {**VALID, "top": "26"}, can_manage=True)
    assert typed_error is not None and outcome.errors["top"] in typed_error


def test_changing_a_digest_updates_only_what_changed_and_keeps_who_set_it_up(
    form: DigestForm, subscriptions: Subscriptions
) -> None:
    form.submit(CHANNEL, VALID, can_manage=True, user="U7")
    outcome = form.submit(CHANNEL, {"ranking": "hot"}, can_manage=True, user="U8")
    assert outcome.reply is not None and outcome.reply.text.startswith("Updated:")
    sub = subscriptions.get(CHANNEL)
    assert sub is not None and (sub.ranking, sub.top, sub.created_by) == ("hot", 7, "U7")


def test_a_form_that_changes_nothing_saves_and_says_nothing(
    form: DigestForm, changes: list[Any]
) -> None:
    form.submit(CHANNEL, VALID, can_manage=True)
    outcome = form.submit(CHANNEL, VALID, can_manage=True, paused=False)
    assert outcome.errors == {} and outcome.reply is None
    assert len(changes) == 1


def test_pausing_and_resuming_are_part_of_the_form(
    form: DigestForm, subscriptions: Subscriptions
) -> None:
    form.submit(CHANNEL, VALID, can_manage=True)
    subscriptions.pause(CHANNEL, "the bot is not in this channel", NOW)
    outcome = form.submit(CHANNEL, {**VALID, "top": "3"}, paused=False, can_manage=True)
    sub = subscriptions.get(CHANNEL)
    assert sub is not None and (sub.paused, sub.paused_reason, sub.top) == (False, "", 3)
    assert outcome.reply is not None and outcome.reply.text.startswith("Resumed:")
    form.submit(CHANNEL, VALID, paused=True, can_manage=True)
    sub = subscriptions.get(CHANNEL)
    assert sub is not None and sub.paused and sub.paused_reason == ""


def test_a_form_from_someone_not_allowed_is_refused_like_the_command(
    form: DigestForm, subscriptions: Subscriptions
) -> None:
    with pytest.raises(UsageError, match="needs permission"):
        form.submit(CHANNEL, VALID, can_manage=False)
    assert subscriptions.get(CHANNEL) is None


def test_empty_optional_fields_clear_their_setting(
    form: DigestForm, subscriptions: Subscriptions
) -> None:
    form.submit(CHANNEL, {**VALID, "min_score": "2.5", "keywords": "llm"}, can_manage=True)
    form.submit(CHANNEL, {"min_score": None, "keywords": "", "categories": []}, can_manage=True)
    sub = subscriptions.get(CHANNEL)
    assert sub is not None and (sub.min_score, sub.keywords, sub.categories) == (None, (), ())


def test_the_weekly_day_layout_and_channel_weight_change_and_clear_like_any_field(
    form: DigestForm, subscriptions: Subscriptions
) -> None:
    form.submit(CHANNEL, {**VALID, "ranking": "hot"}, can_manage=True)
    outcome = form.submit(
        CHANNEL, {"channel_weight": "2.5", "layout": "grouped", "weekly": "Monday"},
        can_manage=True,
    )  # fmt: skip
    assert outcome.reply is not None
    assert "channel weight 2.5" in outcome.reply.text and "weekly on mon" in outcome.reply.text
    sub = subscriptions.get(CHANNEL)
    assert sub is not None and (sub.channel_weight, sub.layout, sub.weekly) == (
        2.5,
        "grouped",
        "mon",
    )
    form.submit(CHANNEL, {"channel_weight": "", "weekly": "off"}, can_manage=True)
    sub = subscriptions.get(CHANNEL)
    assert sub is not None and (sub.channel_weight, sub.weekly) == (0.0, "")


def test_fields_that_only_fit_together_are_judged_as_the_form_submits_them(
    form: DigestForm, subscriptions: Subscriptions
) -> None:
    form.submit(CHANNEL, VALID, can_manage=True)  # the seed ranking, no channel weight
    both = form.submit(CHANNEL, {"ranking": "hot", "channel_weight": "3"}, can_manage=True)
    assert both.errors == {}
    sub = subscriptions.get(CHANNEL)
    assert sub is not None and (sub.ranking, sub.channel_weight) == ("hot", 3.0)
    back = form.submit(CHANNEL, {"ranking": "seed"}, can_manage=True)  # the weight stays
    assert set(back.errors) == {"ranking"}
    assert back.errors["ranking"].startswith("channel_weight: only the hot ranking counts")
    clash = form.submit(CHANNEL, {"ranking": "seed", "channel_weight": "5"}, can_manage=True)
    assert list(clash.errors) == ["ranking"]  # the weight is fine with the ranking kept
    sub = subscriptions.get(CHANNEL)
    assert sub is not None and (sub.ranking, sub.channel_weight) == ("hot", 3.0)
