"""The OAuth install page and redirect: odd queries get a friendly 400/401 page, never a 500."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from bot.adapters.slack import SlackAdapter
from bot.adapters.slack.installations import SqliteInstallationStore
from bot.adapters.slack.routes import INSTALL_BURST, INSTALL_EVERY
from bot.app import slack_adapter
from bot.store import Store
from tests.adapters.slack.conftest import MakeApp
from tests.adapters.slack.fake_slack import FakeSlack

COOKIE = "slack-app-oauth-state"
MARK = "zq7-query-marker"
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


@dataclass
class Site:
    """The OAuth-mode bot's base URL, a session, and the fake."""

    base: str
    session: aiohttp.ClientSession
    fake: FakeSlack
    adapter: SlackAdapter
    store: Store

    async def get(self, path_and_query: str, cookie: str | None = None) -> tuple[int, str]:
        """GET a path with a raw query string; return status and page."""
        headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
        url = self.base + path_and_query
        async with self.session.get(url, headers=headers) as response:
            return response.status, await response.text()

    async def state(self) -> str:
        """A fresh state from the install page, as a browser would get it."""
        async with self.session.get(f"{self.base}/slack/install") as page:
            found = re.search(rf"{COOKIE}=([^;]+)", page.headers["Set-Cookie"])
            assert found is not None
            return found[1]


@pytest.fixture
async def site(
    fake: FakeSlack, make_app: MakeApp, serve: Callable[[SlackAdapter], Awaitable[str]]
) -> AsyncIterator[Site]:
    """The real Bolt app in OAuth mode, served as the runner serves it."""
    app = await make_app(
        slack_bot_token=None, slack_client_id="111.222", slack_client_secret=SecretStr("shh")
    )
    adapter = slack_adapter(app)
    base = await serve(adapter)
    # A cookie jar would keep Bolt's state cookie across requests; tests send it explicitly.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield Site(base, session, fake, adapter, app.store)


def is_friendly(page: str) -> bool:
    """Bolt's failure page: a sentence and a link to start again, not a stack trace."""
    return "Something Went Wrong" in page and 'href="/slack/install"' in page


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 401),
        ("?code=c0de", 401),
        ("?state=" + "s" * 200 + "&code=c0de", 401),
        ("?state=%00&code=c0de", 401),
        ("?state=%FF%FE&code=c0de", 401),
        ("?state=a&state=b&code=c0de", 400),
        ("?state=abc&code=%0Aforged%20log%20line", 400),
        ("?error=%3Cscript%3Ealert(1)%3C/script%3E", 400),
        ("?%%%&&&==", 401),
    ],
)
async def test_an_odd_redirect_gets_a_friendly_page(site: Site, query: str, status: int) -> None:
    answer, page = await site.get("/slack/oauth_redirect" + query)
    assert answer == status
    assert is_friendly(page)
    assert "<script>" not in page


def installs_workspace_two(fake: FakeSlack) -> None:
    """Slack answers the code exchange with workspace T2's bot token, xoxb-two."""
    fake.oauth_access = {
        "ok": True, "app_id": "A1", "access_token": "xoxb-two", "token_type": "bot",
        "bot_user_id": "UBOT2", "team": {"id": "T2", "name": "Two"}, "authed_user": {"id": "U"},
    }  # fmt: skip
    fake.tokens["xoxb-two"] = {"user_id": "UBOT2", "bot_id": "B2", "team_id": "T2"}


async def test_a_valid_state_without_a_code_is_refused_and_stays_usable(site: Site) -> None:
    state = await site.state()
    assert (await site.get(f"/slack/oauth_redirect?state={state}", cookie=state))[0] == 400
    installs_workspace_two(site.fake)
    status, _ = await site.get(f"/slack/oauth_redirect?state={state}&code=c0de", cookie=state)
    assert status == 200
    assert SqliteInstallationStore(site.store).token_for_team("T2") == "xoxb-two"


@pytest.mark.parametrize("cookie", [None, "another-browser"])
async def test_a_redirect_refused_or_accepted_logs_no_code_or_token_even_at_debug(
    site: Site, caplog: pytest.LogCaptureFixture, cookie: str | None
) -> None:
    caplog.set_level(logging.DEBUG)  # LOG_LEVEL=debug
    # Refused: another browser's state (Bolt: invalid_browser), or no cookie at all.
    status, _ = await site.get(f"/slack/oauth_redirect?state={MARK}&code={MARK}", cookie=cookie)
    assert status in (400, 401)
    # Accepted: the whole flow, code exchanged, installation stored.
    state = await site.state()
    installs_workspace_two(site.fake)
    status, _ = await site.get(f"/slack/oauth_redirect?state={state}&code={MARK}", cookie=state)
    assert status == 200
    assert MARK not in caplog.text and state not in caplog.text
    assert "xoxb-two" not in caplog.text  # the token oauth.v2.access answered with


async def test_the_installer_cancelling_gets_bolts_page(site: Site) -> None:
    status, page = await site.get("/slack/oauth_redirect?error=access_denied&state=x")
    assert status == 200
    assert "access_denied" in page


async def test_a_team_id_cannot_inject_parameters_into_slacks_authorize_url(site: Site) -> None:
    status, page = await site.get("/slack/install?team=T1%26redirect_uri%3Dhttps://evil.example")
    assert status == 400 and is_friendly(page)
    status, page = await site.get("/slack/install?team=T0123")
    assert status == 200 and "team=T0123" in page


async def test_a_flood_of_install_page_visits_stores_a_bounded_number_of_states(
    site: Site,
) -> None:
    began = time.monotonic()
    answers = [await site.get("/slack/install") for _ in range(100)]
    elapsed = time.monotonic() - began
    statuses = [status for status, _ in answers]
    assert set(statuses) == {200, 429}
    assert INSTALL_BURST <= statuses.count(200) <= INSTALL_BURST + elapsed / INSTALL_EVERY + 1
    pending = site.store.query_one("SELECT count(*) AS n FROM slack_oauth_states")
    assert pending == {"n": statuses.count(200)}
    assert all(is_friendly(page) for status, page in answers if status == 429)


async def test_slack_unreachable_during_the_exchange_is_a_502_page(site: Site) -> None:
    state = await site.state()
    await site.fake.stop()
    status, page = await site.get(f"/slack/oauth_redirect?state={state}&code=c0de", cookie=state)
    assert status == 502 and is_friendly(page)


QUERY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
QUERIES = st.lists(
    st.tuples(
        st.sampled_from(["state", "code", "error", "team", "x", "", "state[]", "%"]), QUERY_TEXT
    ),
    max_size=5,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES, install=st.booleans(), cookie=st.one_of(st.none(), QUERY_TEXT))
async def test_any_query_to_the_oauth_routes_is_answered_without_a_500(
    site: Site,
    caplog: pytest.LogCaptureFixture,
    query: list[tuple[str, str]],
    install: bool,
    cookie: str | None,
) -> None:
    caplog.set_level(logging.DEBUG)
    path = "/slack/install" if install else "/slack/oauth_redirect"
    query_string = "&".join(f"{name}={value}{MARK}" for name, value in query)
    url = site.base + path
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie and cookie.isprintable() else {}
    async with site.session.get(url + "?" + query_string, headers=headers) as response:
        status = response.status
    # The examples share one site: past 30 install pages at once, the page's rate limit says 429.
    assert status in ((200, 400, 401, 429) if install else (200, 400, 401))
    assert not [r for r in caplog.records if r.exc_info]
    assert MARK not in caplog.text
