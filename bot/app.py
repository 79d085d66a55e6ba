"""The composition root: builds every part of a process and hands each part what it uses.

Nothing else builds parts or wires them together, and nothing is assigned onto a part once it
is built. Parts that need each other in a circle (the scheduler hears of changes the commands
make, while the adapters that run the commands feed the scheduler) share a small object built
first instead: `SubscriptionEvents`, and `PlatformState` for which platforms run here. The
chat adapters are imported only when configured, so platform-free commands start fast.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.store import Store
from bot.timeutil import Clock, utcnow

# Each builder imports what it wires: `hotpapers digest` or `status` only opens the store, and
# must not pay for HTTP, the scheduler or a chat platform (tests/test_startup.py).
if TYPE_CHECKING:
    import asyncio

    import httpx

    from bot.adapters.discord.adapter import DiscordAdapter
    from bot.adapters.slack.adapter import SlackAdapter
    from bot.channel_signal import ChannelSignals
    from bot.channels import Channel
    from bot.commands import Commands
    from bot.delivery.deliver import Deliverer
    from bot.delivery.events import SubscriptionEvents
    from bot.delivery.health import Fetch, FetchReport, SourceStatus
    from bot.delivery.lease import Leases
    from bot.delivery.ledger import Ledger
    from bot.delivery.notices import PauseNotices
    from bot.delivery.platforms import Adapter, Platforms, PlatformState
    from bot.delivery.queue import OutboundQueue
    from bot.delivery.runner import Runner
    from bot.delivery.scheduler import DeliveryScheduler
    from bot.reactions import Reactions
    from bot.retry import RetryPolicy
    from bot.service import HotPapersService
    from bot.site.web import SiteServer
    from bot.subscriptions import Subscriptions
    from bot.weekly import WeeklyDigests
    from bot.workers import Worker

__all__ = [
    "App",
    "build_app",
    "build_deliverer",
    "build_platforms",
    "build_runner",
    "build_scheduler",
    "build_service",
    "discord_adapter",
    "open_store",
    "pause_notices",
    "rank_ahead",
    "slack_adapter",
    "sources_fetch",
]

log = logging.getLogger(__name__)
# Threads for store calls, planning and ranking: writes queue on SQLite's one writer anyway,
# and two cores can plan and render only so much at once.
WORKER_THREADS = 4


def open_store(settings: Settings, path: str | Path | None = None) -> Store:
    """The store at HOTPAPERS_DB (or path), keeping growth baselines for the configured window."""
    window = timedelta(hours=settings.config.ranking.hot.growth_window_hours)
    return Store(settings.env.hotpapers_db if path is None else path, growth_window=window)


def build_service(
    settings: Settings,
    store: Store,
    *,
    clock: Clock = utcnow,
    snapshot: bool = False,
    channel_signals: ChannelSignals | None = None,
) -> HotPapersService:
    """The ranking service over a store; digests name the sources whose last fetch failed.

    A snapshot's store (snapshot=True) is ranked whole, as of its newest observation;
    channel_signals (chat and delivery) lets a channel's own reactions count in its digests.
    """
    from bot.service import HotPapersService
    from bot.trending import TrendingReads

    trending = TrendingReads(store)
    if snapshot:
        return HotPapersService(store, settings.config, clock, whole_store=True, trending=trending)
    from bot.delivery.health import SourceStatus

    failing = SourceStatus(store).failing
    return HotPapersService(
        store, settings.config, clock, failing_sources=failing, channel_signals=channel_signals,
        trending=trending,
    )  # fmt: skip


@dataclass(frozen=True)
class App:
    """What every command of one process shares; built once by build_app, closed once."""

    settings: Settings
    store: Store
    service: HotPapersService
    subscriptions: Subscriptions
    reactions: Reactions
    signals: ChannelSignals
    weekly: WeeklyDigests
    commands: Commands
    http: httpx.AsyncClient
    clock: Clock
    events: SubscriptionEvents
    ledger: Ledger
    sources: SourceStatus
    platforms: PlatformState
    worker: Worker  # threads for store calls, planning and ranking off the event loop
    # One thread for the short writes nothing may queue behind: lease renewals and what the
    # ledger records around each send. A thousand digests being planned in `worker` would
    # otherwise hold up every send (and the lease heartbeat) until all were planned.
    urgent: Worker

    async def aclose(self) -> None:
        """Close the HTTP client, the worker threads and the store."""
        await self.http.aclose()
        self.service.close()
        self.worker.close()
        self.urgent.close()
        self.store.close()


def build_app(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> App:
    """Build the shared parts from settings; tests inject a clock, an HTTP transport or a store."""
    from bot.channel_signal import ChannelSignals
    from bot.commands import Commands
    from bot.delivery.events import SubscriptionEvents
    from bot.delivery.health import SourceStatus
    from bot.delivery.ledger import Ledger
    from bot.delivery.platforms import PlatformState, chat_platforms
    from bot.delivery.status import ChannelStatus
    from bot.reactions import Reactions
    from bot.sources.http import make_client
    from bot.subscriptions import Subscriptions
    from bot.weekly import WeeklyDigests
    from bot.workers import Worker

    store = store or open_store(settings)
    sources = SourceStatus(store)
    reactions = Reactions(store)
    signals = ChannelSignals(store, reactions)
    service = build_service(settings, store, clock=clock, channel_signals=signals)
    subscriptions = Subscriptions(store)
    events = SubscriptionEvents()
    ledger = Ledger(store, clock)
    platforms = PlatformState(chat_platforms(settings.env))
    status = ChannelStatus(subscriptions, ledger, clock, platforms.waiting_for)
    http = make_client(settings.config.sources, transport)
    weekly = WeeklyDigests(service, signals)
    commands = Commands(
        service, subscriptions, on_change=events.changed, status=status, weekly=weekly
    )
    return App(
        settings=settings,
        store=store,
        service=service,
        subscriptions=subscriptions,
        reactions=reactions,
        signals=signals,
        weekly=weekly,
        commands=commands,
        http=http,
        clock=clock,
        events=events,
        ledger=ledger,
        sources=sources,
        platforms=platforms,
        worker=Worker(WORKER_THREADS, "store"),
        urgent=Worker(1, "urgent"),
    )


# -- chat adapters -------------------------------------------------------------------------


def pause_notices(app: App, platform: str) -> PauseNotices:
    """The notices a chat adapter sends while it runs: a word when a digest breaks."""
    from bot.delivery.notices import PauseNotices

    return PauseNotices(
        app.store, app.subscriptions, app.ledger, app.events, app.clock, platform=platform
    )


def discord_adapter(app: App) -> DiscordAdapter:
    """The Discord adapter over the app's commands (not started); needs DISCORD_TOKEN."""
    from bot.adapters.discord.adapter import build_discord

    config = app.settings.config
    return build_discord(
        app.settings.env,
        config.discord,
        commands=app.commands,
        subscriptions=app.subscriptions,
        reactions=app.reactions,
        signals=app.signals,
        store=app.store,
        clock=app.clock,
        categories=config.sources.categories,
        notices=pause_notices(app, "discord"),
    )


def slack_adapter(app: App) -> SlackAdapter:
    """The Slack adapter over the app's commands (not started); needs a token or OAuth."""
    from bot.adapters.slack import build_slack

    config = app.settings.config
    return build_slack(
        app.settings.env,
        config.slack,
        commands=app.commands,
        reactions=app.reactions,
        signals=app.signals,
        store=app.store,
        subscriptions=app.subscriptions,
        sources=app.sources,
        notices=pause_notices(app, "slack"),
        clock=app.clock,
        timeout=config.sources.timeout_seconds,
    )


_ADAPTERS: dict[str, Callable[[App], Adapter]] = {
    "discord": discord_adapter,
    "slack": slack_adapter,
}


def build_platforms(
    app: App, *, only: list[str] | None = None, restart: RetryPolicy | None = None
) -> Platforms:
    """Build (not start) the Markdown channel and the configured chat adapters (or only some).

    restart paces starting again an adapter that is down (default: platforms.RESTART).
    """
    from bot.adapters.markdown import MarkdownChannel
    from bot.delivery.platforms import Platforms, chat_platforms

    channels: dict[str, Channel] = {"markdown": MarkdownChannel(app.settings.config.markdown)}
    adapters: dict[str, Adapter] = {}
    for platform in chat_platforms(app.settings.env):
        if only is not None and platform not in only:
            continue
        try:
            adapter = _ADAPTERS[platform](app)
        except ImportError as error:
            log.error("%s support cannot be imported (%s): %s channels will not be posted to",
                      platform, error, platform)  # fmt: skip
            app.platforms.failed(platform, f"{platform} support is not installed: {error}")
            continue
        except Exception as error:
            log.error("%s adapter not built: %s", platform, error)
            app.platforms.failed(platform, str(error))
            continue
        adapters[platform] = adapter
        channels[platform] = adapter
    if restart is None:
        return Platforms(channels, adapters, app.platforms)
    return Platforms(channels, adapters, app.platforms, restart=restart)


# -- delivery ------------------------------------------------------------------------------


def build_deliverer(
    app: App,
    channels: Mapping[str, Channel],
    *,
    leases: Leases | None = None,
    queue: OutboundQueue | None = None,
    retry: RetryPolicy | None = None,
) -> Deliverer:
    """The deliverer posting through these channels (a platform name to its channel)."""
    from bot.delivery.deliver import Deliverer
    from bot.delivery.lease import Leases
    from bot.delivery.queue import OutboundQueue
    from bot.site.publish import Publisher

    config = app.settings.config
    return Deliverer(
        service=app.service,
        store=app.store,
        subscriptions=app.subscriptions,
        ledger=app.ledger,
        leases=leases or Leases(app.store, ttl=config.delivery.lease_seconds),
        queue=queue or OutboundQueue(),
        channels=channels,
        sources=app.sources,
        events=app.events,
        config=config.delivery,
        holidays=config.sources.arxiv_holidays,
        clock=app.clock,
        publisher=Publisher(app.store, app.service, config.site.channel),
        worker=app.worker,
        urgent=app.urgent,
        retry=retry,
        weekly=app.weekly,
    )


def sources_fetch(app: App) -> Fetch:
    """The fetch job: every enabled source, as `hotpapers fetch` runs them (sessions kept)."""
    from bot.sources.orchestrator import Refresher

    return Refresher(app.store, app.settings, app.http)


def build_scheduler(
    app: App, deliverer: Deliverer, *, fetch: Fetch | None = None
) -> DeliveryScheduler:
    """The scheduler of the app's subscriptions, posting through the deliverer."""
    from bot.delivery.scheduler import DeliveryScheduler

    return DeliveryScheduler(
        subscriptions=app.subscriptions,
        deliverer=deliverer,
        events=app.events,
        sources=app.sources,
        config=app.settings.config.delivery,
        clock=app.clock,
        worker=app.worker,
        fetch=fetch,
    )


def build_runner(
    app: App,
    *,
    channels: Mapping[str, Channel] | None = None,
    fetch: Fetch | None = None,
    stop: asyncio.Event | None = None,
    restart: RetryPolicy | None = None,
    observe_seconds: float | None = None,
) -> Runner:
    """`hotpapers run`: adapters, deliverer, scheduler and runner over the app's parts.

    channels replaces Markdown and the configured adapters (tests post to fakes); fetch is the
    scheduled fetch (none: digests rank whatever the store holds), after which the rankings
    are brought up to date before anything else reads them; stop is an asyncio.Event; restart
    paces starting again an adapter that is down; observe_seconds how stale /healthz's view of
    the adapters, leader and sources may be (tests: quicker).
    """
    from bot.delivery.lease import Leases
    from bot.delivery.platforms import Platforms
    from bot.delivery.runner import Runner
    from bot.delivery.watch import OBSERVE_SECONDS, HealthWatch

    config = app.settings.config
    if channels is None:
        platforms = build_platforms(app, restart=restart)
    else:
        platforms = Platforms(dict(channels), {}, app.platforms)
    leases = Leases(app.store, ttl=config.delivery.lease_seconds)
    deliverer = build_deliverer(app, platforms.channels, leases=leases)
    watch = HealthWatch(
        store=app.store,
        leases=leases,
        platforms=platforms,
        sources=app.sources,
        unavailable_after=config.delivery.store_unavailable_seconds,
        observe_seconds=observe_seconds or OBSERVE_SECONDS,
    )
    return Runner(
        leases=leases,
        platforms=platforms,
        scheduler=build_scheduler(app, deliverer, fetch=_then_ranked(app, fetch)),
        subscriptions=app.subscriptions,
        watch=watch,
        config=config,
        env=app.settings.env,
        clock=app.clock,
        site=build_site_server(app) if config.site.enabled else None,
        worker=app.worker,
        urgent=app.urgent,
        rank=lambda: rank_ahead(app),
        stop=stop,
    )


def build_site_server(app: App) -> SiteServer:
    """The site over the app's store and service, as `hotpapers run` serves it."""
    from bot.site.pages import Site
    from bot.site.web import SiteServer

    site = Site(app.store, app.service, app.settings.config)
    return SiteServer(site)


def rank_ahead(app: App) -> None:
    """Bring today's rankings (and /hot's longest list) up to date; blocking, for a worker."""
    from bot.limits import MAX_COUNT
    from bot.models import Selection

    app.service.refresh(warm=[("hot", Selection(top=MAX_COUNT))])


def _then_ranked(app: App, fetch: Fetch | None) -> Fetch | None:
    """The fetch, followed by the new rankings (so digests after it find them ready)."""
    if fetch is None:
        return None
    fetched = fetch

    async def fetch_then_rank() -> FetchReport:
        report = await fetched()
        await app.worker.run(rank_ahead, app)
        return report

    return fetch_then_rank
