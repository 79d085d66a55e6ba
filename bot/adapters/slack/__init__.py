"""The Slack adapter: slash commands, reactions and digests through slack-bolt, over the core."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.access import DigestAccess
from bot.adapters.slack.adapter import Mode, SlackAdapter
from bot.adapters.slack.deliveries import Deliveries
from bot.adapters.slack.events import ReactionAbstracts
from bot.adapters.slack.home import HomeTab
from bot.adapters.slack.installations import SqliteInstallationStore
from bot.adapters.slack.interest import ReactionInterest
from bot.adapters.slack.manifest import add_commands, api_base
from bot.adapters.slack.oauth import WorkspaceTokens, oauth_settings
from bot.adapters.slack.once import register_once
from bot.adapters.slack.routes import SlackEndpoints
from bot.adapters.slack.settings import SettingsModal
from bot.adapters.slack.slash import SlashCommands
from bot.channel_signal import ChannelSignals
from bot.commands import Commands
from bot.config import ConfigError, Env, SlackConfig
from bot.delivery.health import SourceStatus
from bot.delivery.notices import PauseNotices
from bot.forms import DigestForm
from bot.logs import no_debug
from bot.reactions import Reactions
from bot.store import Store
from bot.subscriptions import Subscriptions
from bot.timeutil import Clock

__all__ = ["NOT_INSTALLED", "SlackAdapter", "add_commands", "build_slack"]

RATE_LIMIT_RETRIES = 2  # interactive answers wait out a 429 (Retry-After) this many times
NOT_INSTALLED = (
    "hotpapers is not installed in this workspace, or its installation was lost:"
    " ask a workspace admin to install it (again)."
)


def build_slack(
    env: Env,
    config: SlackConfig,
    *,
    commands: Commands,
    reactions: Reactions,
    signals: ChannelSignals,
    store: Store,
    subscriptions: Subscriptions,
    sources: SourceStatus,
    notices: PauseNotices,
    clock: Clock,
    timeout: float,
) -> SlackAdapter:
    """The adapter the environment asks for: Socket Mode or HTTP, OAuth or one bot token.

    store keeps OAuth installations and states, subscriptions say which workspace a channel is
    in (and hold the settings forms show), signals counts reactions for each channel's own
    ranking, sources' health is shown in App Home, notices tell people when a digest breaks,
    and timeout bounds each Web API call.
    """
    base_url = api_base(env.slack_api_url)
    bot_token = env.slack_bot_token.get_secret_value() if env.slack_bot_token else None
    secret = env.slack_signing_secret.get_secret_value() if env.slack_signing_secret else ""
    client_secret = env.slack_client_secret.get_secret_value() if env.slack_client_secret else ""
    oauth = bool(env.slack_client_id and client_secret)
    mode: Mode = "socket" if env.slack_app_token is not None else "http"
    if not oauth and not bot_token:
        raise ConfigError("Slack needs SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    if mode == "http" and not secret:
        raise ConfigError(
            "Slack's HTTP mode needs SLACK_SIGNING_SECRET to verify requests"
            " (or set SLACK_APP_TOKEN for Socket Mode)"
        )
    no_debug("hotpapers.slack.bolt")  # Bolt's and slack_sdk's: requests, tokens, OAuth codes
    logger = logging.getLogger("hotpapers.slack.bolt")
    client = AsyncWebClient(
        token=None if oauth else bot_token,
        base_url=base_url,
        timeout=int(timeout),
        logger=logger,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )
    options: dict[str, Any] = {}
    installations, tokens = None, None
    if oauth:
        installations = SqliteInstallationStore(store)
        tokens = WorkspaceTokens(subscriptions, installations)
        options["installation_store_bot_only"] = True
        options["oauth_settings"] = oauth_settings(env, installations, store, logger)
    bolt = AsyncApp(
        name="hotpapers",
        logger=logger,
        client=client,
        signing_secret=secret,
        # SlackEndpoints verifies every signature before Bolt parses the body (Bolt's own check
        # comes after its parser, which a forged body can make raise); Socket Mode is not signed.
        request_verification_enabled=False,
        user_facing_authorize_error_message=NOT_INSTALLED,
        **options,
    )
    access = DigestAccess(config.admin_user_ids)
    form = DigestForm(commands, subscriptions)
    modal = SettingsModal(form, access, clock)
    http = mode == "http"
    deliveries = Deliveries(store)
    if not http:
        register_once(bolt, deliveries)  # over HTTP the gate claims each delivery instead
    endpoints = SlackEndpoints(
        bolt, signing_secret=secret, deliveries=deliveries if http else None, events=http
    )
    return SlackAdapter(
        bolt,
        reactions=reactions,
        slash=SlashCommands(commands, reactions, access, open_settings=modal.from_command),
        forms=[modal, HomeTab(form, sources, access, clock)],
        notices=notices,
        abstracts=ReactionAbstracts(reactions, store, clock),
        interest=ReactionInterest(signals, clock),
        tokens=tokens,
        mode=mode,
        base_url=base_url,
        endpoints=endpoints,
        bot_token=None if oauth else bot_token,
        app_token=env.slack_app_token.get_secret_value() if env.slack_app_token else None,
        installations=installations,
    )
