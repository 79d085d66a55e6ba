"""The ledger: frozen messages, one row per (channel, day), part states and keys."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest

from bot.app import App
from bot.channels import OutboundMessage
from bot.delivery.ledger import Ledger, part_key
from tests.delivery.support import NINE_BERLIN, TODAY
from tests.factories import DISCORD, DISCORD_2, SLACK


def messages(count: int) -> list[OutboundMessage]:
    return [
        OutboundMessage({"embeds": [{"title": f"part {i}"}]}, f"part {i}", (f"2611.1000{i}",),
                        {"n": i})
        for i in range(count)
    ]  # fmt: skip


def test_planned_messages_come_back_exactly_as_frozen(app: App) -> None:
    ledger = Ledger(app.store, app.clock)
    planned = ledger.plan(
        DISCORD, TODAY, messages(3), arxiv_ids=["a", "b"], note="posted without HN",
        trigger="schedule", scheduled_for=NINE_BERLIN,
    )  # fmt: skip
    again = ledger.get(DISCORD, TODAY)
    assert again == planned
    assert [p.message for p in again.parts] == messages(3)
    assert [p.state for p in again.parts] == ["pending"] * 3
    assert again.arxiv_ids == ("a", "b") and again.reason == "posted without HN"
    assert not again.started


def test_a_day_is_planned_once_and_a_skip_never_overwrites_it(app: App) -> None:
    ledger = Ledger(app.store, app.clock)
    ledger.plan(DISCORD, TODAY, messages(1), arxiv_ids=[], note="", trigger="schedule",
                scheduled_for=None)  # fmt: skip
    with pytest.raises(LookupError):
        ledger.plan(DISCORD, TODAY, messages(1), arxiv_ids=[], note="", trigger="manual",
                    scheduled_for=None)  # fmt: skip
    assert not ledger.skip(DISCORD, TODAY, "missed", trigger="catch-up", scheduled_for=None)
    assert ledger.get(DISCORD, TODAY).state == "planned"


def test_part_states_progress_and_finish_closes_the_delivery(app: App) -> None:
    ledger = Ledger(app.store, app.clock)
    ledger.plan(DISCORD, TODAY, messages(2), arxiv_ids=[], note="", trigger="schedule",
                scheduled_for=None)  # fmt: skip
    ledger.set_part(DISCORD, TODAY, 0, "sending")
    ledger.set_part(DISCORD, TODAY, 0, "sent", "m1")
    delivery = ledger.get(DISCORD, TODAY)
    assert delivery.started and delivery.message_ids == ("m1",)
    assert [d.channel for d in ledger.unfinished()] == [DISCORD]
    ledger.finish(DISCORD, TODAY, "sent")
    assert ledger.unfinished() == []
    assert ledger.latest(DISCORD).state == "sent"


def test_a_failed_delivery_can_be_reopened_and_a_skipped_day_replanned(app: App) -> None:
    ledger = Ledger(app.store, app.clock)
    ledger.plan(DISCORD, TODAY, messages(1), arxiv_ids=[], note="", trigger="schedule",
                scheduled_for=None)  # fmt: skip
    ledger.finish(DISCORD, TODAY, "failed", "403: missing access")
    assert ledger.last_error(DISCORD).last_error == "403: missing access"
    assert ledger.reopen(DISCORD, TODAY)
    assert ledger.get(DISCORD, TODAY).state == "planned"
    yesterday = TODAY - timedelta(days=1)
    ledger.skip(DISCORD, yesterday, "empty day", trigger="schedule", scheduled_for=None)
    replanned = ledger.plan(DISCORD, yesterday, messages(1), arxiv_ids=[], note="",
                            trigger="manual", scheduled_for=None, replace_skipped=True)  # fmt: skip
    assert replanned.state == "planned"


def test_part_keys_are_unique_per_channel_day_and_part_and_fit_a_discord_nonce() -> None:
    keys = {
        part_key(channel, date(2026, 1, 1) + timedelta(days=d), part)
        for channel in (DISCORD, DISCORD_2, SLACK, "markdown:posts")
        for d in range(30)
        for part in range(12)
    }
    assert len(keys) == 4 * 30 * 12
    assert max(len(k) for k in keys) <= 25


def test_a_write_is_durable_even_if_other_code_left_a_transaction_open(app: App) -> None:
    # Raw sqlite3 opens a transaction before an UPDATE and keeps it open until a commit: code
    # reaching past the store's API (only a test can) must not make our writes undoable.
    conn = app.store._conn
    conn.execute("UPDATE subscriptions SET top = top")
    assert conn.in_transaction
    Ledger(app.store, app.clock).skip(DISCORD, TODAY, "empty day", trigger="schedule",
                                      scheduled_for=None)  # fmt: skip
    other = sqlite3.connect(app.store.path)
    assert other.execute("SELECT state FROM deliveries").fetchall() == [("skipped",)]
    other.close()
