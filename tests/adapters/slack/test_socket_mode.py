"""Socket Mode: the real Bolt app connects to a fake WebSocket endpoint and acks envelopes."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from bot.adapters.slack import SlackAdapter
from bot.app import slack_adapter
from bot.config import ConfigError
from tests.adapters.slack.conftest import MakeApp
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.support import papers_in


def envelope(
    envelope_id: str, text: str, fake: FakeSlack, trigger: str | None = None
) -> dict[str, Any]:
    """A slash command as Socket Mode delivers it (a retry: a new envelope, the same trigger)."""
    payload = {
        "team_id": "T1", "channel_id": "C00000001", "user_id": "U1", "command": "/hot",
        "text": text, "api_app_id": "A1", "response_url": fake.response_url(envelope_id),
        "trigger_id": trigger or f"trigger-{envelope_id}",
    }  # fmt: skip
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": payload,
    }


async def socket_mode(make_app: MakeApp) -> SlackAdapter:
    """The Slack adapter in Socket Mode, started (connected to the fake's WebSocket)."""
    app = await make_app(slack_app_token=SecretStr("xapp-1-test"), slack_signing_secret=None)
    adapter = slack_adapter(app)
    await adapter.start()
    return adapter


async def test_socket_mode_acks_a_command_envelope_and_posts_the_answer(
    fake: FakeSlack, make_app: MakeApp, ranked_ids: list[str]
) -> None:
    adapter = await socket_mode(make_app)
    try:
        assert adapter.health()["mode"] == "socket" and adapter.health()["connected"]
        assert fake.calls_to("apps.connections.open")[0].token == "xapp-1-test"
        await fake.envelopes.put(envelope("env-1", "3", fake))
        await fake.envelopes.put(envelope("env-2", "nonsense words", fake))
        await fake.wait_for(lambda: {a.get("envelope_id") for a in fake.acks} >= {"env-1", "env-2"})
        await fake.wait_for(lambda: fake.history["C00000001"])
        [message] = fake.history["C00000001"]
        assert papers_in(message["blocks"]) == ranked_ids[:3]
        bad = next(a for a in fake.acks if a["envelope_id"] == "env-2")
        assert "Usage: /hot" in bad["payload"]["text"]
    finally:
        await adapter.close()
    assert not adapter.health()["connected"]


async def test_socket_mode_acks_a_redelivered_command_without_running_it_again(
    fake: FakeSlack, make_app: MakeApp, ranked_ids: list[str]
) -> None:
    adapter = await socket_mode(make_app)
    try:
        await fake.envelopes.put(envelope("env-1", "3", fake, trigger="t-1"))
        await fake.wait_for(lambda: len(fake.history["C00000001"]) == 1)
        # Slack saw no ack in time: the same command again, in a new envelope.
        await fake.envelopes.put(envelope("env-1-retry", "3", fake, trigger="t-1"))
        await fake.wait_for(lambda: any(a["envelope_id"] == "env-1-retry" for a in fake.acks))
        await fake.envelopes.put(envelope("env-2", "2", fake))  # a new command still runs
        await fake.wait_for(lambda: len(fake.history["C00000001"]) >= 2)
    finally:
        await adapter.close()
    second, first = fake.history["C00000001"]  # newest first, as conversations.history
    assert papers_in(first["blocks"]) == ranked_ids[:3]
    assert papers_in(second["blocks"]) == ranked_ids[:2]
    retry = next(a for a in fake.acks if a["envelope_id"] == "env-1-retry")
    assert "payload" not in retry  # acknowledged, nothing answered


async def test_socket_mode_with_a_refused_app_token_fails_at_start(make_app: MakeApp) -> None:
    app = await make_app(slack_app_token=SecretStr("xapp-revoked"), slack_signing_secret=None)
    adapter = slack_adapter(app)
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        await adapter.start()
    await adapter.close()
