"""Many workspaces: the OAuth install flow, installations in SQLite, a token per workspace."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot.adapters.slack import NOT_INSTALLED, SlackAdapter
from bot.adapters.slack.installations import SqliteInstallationStore
from bot.app import slack_adapter
from bot.channels import DeliveryError
from bot.subscriptions import Subscription
from tests.adapters.slack.conftest import MakeApp
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.support import NOW, SlackSim
from tests.factories import SLACK_2

COOKIE = "slack-app-oauth-state"
# slack_sdk's own use of aiohttp, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


def installation(team: str, token: str) -> dict[str, Any]:
    """What oauth.v2.access answers for a bot-only install in a team."""
    return {
        "ok": True, "app_id": "A1", "access_token": token, "token_type": "bot",
        "scope": "chat:write,commands", "bot_user_id": f"UBOT{team}", "team": {"id": team,
        "name": f"Team {team}"}, "enterprise": None, "is_enterprise_install": False,
        "authed_user": {"id": "UINSTALLER"},
    }  # fmt: skip


@dataclass
class OAuthBot:
    """The adapter in OAuth mode, its base URL, an HTTP session and a request signer."""

    adapter: SlackAdapter
    base: str
    session: aiohttp.ClientSession
    sim: SlackSim
    fake: FakeSlack

    async def install(self, team: str, token: str) -> int:
        """Walk the install flow for a team: install page, then Slack's redirect back."""
        self.fake.oauth_access = installation(team, token)
        self.fake.tokens[token] = {"user_id": f"UBOT{team}", "bot_id": f"B{team}", "team_id": team}
        async with self.session.get(f"{self.base}/slack/install") as page:
            assert page.status == 200
            state = re.search(rf"{COOKIE}=([^;]+)", page.headers["Set-Cookie"])
            assert state is not None and state[1] in await page.text()
        return await self.callback(state[1])

    async def callback(self, state: str, cookie: str | None = None) -> int:
        """Slack redirecting the installer's browser back with a code."""
        headers = {"Cookie": f"{COOKIE}={cookie or state}"}
        url = f"{self.base}/slack/oauth_redirect?code=c0de&state={state}"
        async with self.session.get(url, headers=headers) as response:
            return response.status


@pytest.fixture
async def oauth(
    fake: FakeSlack,
    make_app: MakeApp,
    ranked_ids: list[str],
    serve: Callable[[SlackAdapter], Awaitable[str]],
) -> AsyncIterator[OAuthBot]:
    """The real Bolt app over HTTP with OAuth client credentials and no bot token."""
    app = await make_app(
        slack_bot_token=None, slack_client_id="111.222", slack_client_secret=SecretStr("shh")
    )
    adapter = slack_adapter(app)
    base = await serve(adapter)
    async with aiohttp.ClientSession() as session:
        sim = SlackSim(f"{base}/slack/events", session, fake, adapter, app)
        yield OAuthBot(adapter, base, session, sim, fake)


async def test_an_install_stores_the_workspaces_bot_token_in_sqlite(oauth: OAuthBot) -> None:
    assert await oauth.install("T2", "xoxb-two") == 200
    store = SqliteInstallationStore(oauth.sim.app.store)
    assert store.token_for_team("T2") == "xoxb-two"
    assert oauth.adapter.health()["workspaces"] == 1


async def test_an_oauth_state_works_once_and_only_with_its_cookie(oauth: OAuthBot) -> None:
    async with oauth.session.get(f"{oauth.base}/slack/install") as page:
        found = re.search(rf"{COOKIE}=([^;]+)", page.headers["Set-Cookie"])
        assert found is not None
    state = found[1]
    oauth.fake.oauth_access = installation("T2", "xoxb-two")
    oauth.fake.tokens["xoxb-two"] = {"user_id": "UBOT2", "bot_id": "B2", "team_id": "T2"}
    assert await oauth.callback(state, cookie="someone-elses") == 400
    assert await oauth.callback("forged-state") == 401
    assert await oauth.callback(state) == 200
    assert await oauth.callback(state) == 401  # consumed


async def test_commands_are_answered_with_the_token_of_their_workspace(
    oauth: OAuthBot, ranked_ids: list[str]
) -> None:
    await oauth.install("T2", "xoxb-two")
    await oauth.install("T3", "xoxb-three")
    await oauth.sim.command("/hot", "2", team="T3", channel="C00000003")
    await oauth.fake.wait_for(lambda: oauth.fake.history["C00000003"])
    assert oauth.fake.calls_to("chat.postMessage")[0].token == "xoxb-three"


async def test_a_command_from_a_workspace_without_an_installation_is_not_answered(
    oauth: OAuthBot,
) -> None:
    status, _, key = await oauth.sim.command("/hot", "2", team="T9", channel="C00000009")
    assert status == 200
    await oauth.fake.wait_for(lambda: oauth.fake.calls_to(f"respond/{key}"))
    assert oauth.fake.calls_to(f"respond/{key}")[0].args["text"] == NOT_INSTALLED
    assert oauth.fake.calls_to("chat.postMessage") == []


async def test_scheduled_delivery_uses_the_subscribed_workspaces_token(oauth: OAuthBot) -> None:
    await oauth.install("T2", "xoxb-two")
    await oauth.install("T3", "xoxb-three")
    app = oauth.sim.app
    app.subscriptions.save(Subscription(SLACK_2, workspace="T2"), NOW)
    message = oauth.adapter.render(app.service.digest())[0]
    await oauth.adapter.send("C00000002", message, key="slack:C00000002/2026-11-26/1")
    assert oauth.fake.calls_to("chat.postMessage")[0].token == "xoxb-two"
    with pytest.raises(DeliveryError) as caught:  # two workspaces, no subscription saying which
        await oauth.adapter.send("C00000008", message, key="slack:C00000008/2026-11-26/1")
    assert caught.value.permanent


async def test_uninstalling_forgets_the_workspace(oauth: OAuthBot) -> None:
    await oauth.install("T2", "xoxb-two")
    await oauth.sim.event({"type": "app_uninstalled", "event_ts": "1.0"}, team="T2")
    store = SqliteInstallationStore(oauth.sim.app.store)
    await oauth.fake.wait_for(lambda: store.token_for_team("T2") is None)
