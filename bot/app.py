"""The composition root: builds the HTTP client, store, service and features, and passes them in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.service import Clock, HotPapersService, utcnow
from bot.store import Store

# Commands that only open the store (digest, status...) do not pay for HTTP or the commands'
# stack: build_app imports what it wires.
if TYPE_CHECKING:
    import httpx

    from bot.commands import Commands
    from bot.reactions import Reactions
    from bot.subscriptions import Subscriptions

__all__ = ["App", "build_app", "open_store"]


def open_store(settings: Settings, path: str | Path | None = None) -> Store:
    """The store at HOTPAPERS_DB (or path), keeping growth baselines for the configured window."""
    window = timedelta(hours=settings.config.ranking.hot.growth_window_hours)
    return Store(settings.env.hotpapers_db if path is None else path, growth_window=window)


def failing_sources(store: Store) -> Callable[[], tuple[str, ...]]:
    """A function naming the sources whose last fetch failed (from the sources' health table)."""
    from bot.sources import read_health, source_migrations

    store.migrate(source_migrations)

    def failing() -> tuple[str, ...]:
        health = read_health(store)
        return tuple(sorted(name for name, h in health.items() if h.last_status == "failed"))

    return failing


@dataclass
class App:
    """Everything one process shares; built once, closed once."""

    settings: Settings
    store: Store
    service: HotPapersService
    subscriptions: Subscriptions
    reactions: Reactions
    commands: Commands
    http: httpx.AsyncClient
    clock: Clock = utcnow
    extras: dict[str, Any] = field(default_factory=dict)

    async def aclose(self) -> None:
        """Close the HTTP client and the store."""
        await self.http.aclose()
        self.store.close()


def build_app(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> App:
    """Build the app from settings; tests inject a clock, an HTTP transport or a store."""
    from bot.commands import Commands
    from bot.reactions import Reactions
    from bot.sources.http import make_client
    from bot.subscriptions import Subscriptions

    store = store or open_store(settings)
    service = HotPapersService(
        store, settings.config, clock, failing_sources=failing_sources(store)
    )
    subscriptions = Subscriptions(store)
    http = make_client(settings.config.sources, transport)
    return App(
        settings=settings,
        store=store,
        service=service,
        subscriptions=subscriptions,
        reactions=Reactions(store),
        commands=Commands(service, subscriptions),
        http=http,
        clock=clock,
    )
