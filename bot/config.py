"""Settings: behaviour from config/hotpapers.toml (env can override), secrets and URLs from env."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

__all__ = ["Config", "ConfigError", "Env", "Settings", "load_settings"]

DEFAULT_CONFIG = Path("config/hotpapers.toml")
DEFAULT_DB = Path("hotpapers.db")


class ConfigError(Exception):
    """The configuration file or environment is invalid; the message says where."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeedRanking(_Section):
    """The 2021 blog's ranking: reposts + likes summed over linking posts."""

    min_score: int = 50
    min_post_score: int = 25
    max_posts: int = 10
    window_days: int = 1


class HotRanking(_Section):
    """The explainable default ranking; see docs/ranking.md for the formula."""

    weights: dict[str, float] = Field(
        default_factory=lambda: {
            "huggingface": 1.0,
            "hackernews": 1.0,
            "bluesky": 0.5,
            "reddit": 0.5,
            "x": 0.05,
        }
    )
    signal_metrics: tuple[str, ...] = ("upvotes",)
    half_life_hours: float = Field(36.0, gt=0)
    growth_window_hours: float = Field(24.0, gt=0)
    growth_weight: float = Field(1.0, ge=0)
    window_days: int = Field(7, ge=1)
    min_score: float = Field(0.0, ge=0)
    max_posts: int = Field(3, ge=0)


class RankingConfig(_Section):
    """Which ranking digests use by default, and each ranking's parameters."""

    default: Literal["hot", "seed"] = "hot"
    seed: SeedRanking = SeedRanking()
    hot: HotRanking = HotRanking()


class DigestConfig(_Section):
    """The default selection of a digest."""

    top: int = Field(10, ge=1, le=100)
    categories: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    min_score: float | None = None
    repeat_days: int = Field(7, ge=0)


class MarkdownConfig(_Section):
    """The Markdown blog channel: a folder of dated posts, front matter as the 2021 blog had."""

    folder: Path = Path("posts")
    time: str = "08:00"
    timezone: str = "UTC"
    template: str = "post"
    category: str = "arXiv"
    tags: tuple[str, ...] = ("arXiv", "Twitter", "Machine Learning", "Computer Science")
    social_image: str = "/media/flying-marine.jpg"


# Megabytes per response, per source: a big day's arXiv feed in many categories is the largest.
MAX_RESPONSE_MB = {
    "arxiv": 64.0,
    "arxiv-lookup": 16.0,
    "huggingface": 16.0,
    "hackernews": 16.0,
    "bluesky": 16.0,
    "x": 16.0,
    "reddit": 16.0,
}


class SourcesConfig(_Section):
    """Polite fetching: who we are, what we watch, how we retry."""

    contact: str = "https://github.com/hotpapers/hotpapers"
    categories: tuple[str, ...] = ("cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML")
    enabled: tuple[str, ...] = ("arxiv", "huggingface", "hackernews", "bluesky", "x", "reddit")
    timeout_seconds: float = Field(30.0, gt=0)
    max_retries: int = Field(4, ge=0)
    arxiv_delay_seconds: float = Field(3.0, ge=0)
    huggingface_lookback_days: int = Field(14, ge=0)
    x_read_budget: int = Field(100, ge=0)
    retry_base_seconds: float = Field(1.0, gt=0)
    retry_max_seconds: float = Field(60.0, gt=0)
    max_retry_after_seconds: float = Field(300.0, ge=0)
    arxiv_holidays: tuple[date, ...] = ()  # evenings (US Eastern) arXiv announces nothing
    arxiv_replacements: bool = True
    arxiv_lookup_max: int = Field(300, ge=0)
    hackernews_lookback_hours: float = Field(48.0, gt=0)
    hackernews_max_pages: int = Field(5, ge=1)
    bluesky_lookback_hours: float = Field(24.0, gt=0)
    bluesky_max_pages: int = Field(10, ge=1)
    x_lookback_hours: float = Field(24.0, gt=0, le=168)
    reddit_lookback_hours: float = Field(48.0, gt=0)
    reddit_max_pages: int = Field(5, ge=1)
    request_deadline_seconds: float = Field(120.0, gt=0)  # one request, retries and waits included
    source_deadline_seconds: float = Field(600.0, gt=0)  # one source's whole run
    # Per source, the largest response accepted, on the wire and again decompressed.
    max_response_mb: dict[str, float] = Field(default_factory=lambda: dict(MAX_RESPONSE_MB))
    redirect_hosts: tuple[str, ...] = ()  # hosts a redirect may lead to besides the one asked

    @field_validator("max_response_mb", mode="after")
    @classmethod
    def _known_sources(cls, value: dict[str, float]) -> dict[str, float]:
        """Known sources only, each above zero; the sources not named keep their default."""
        for name, size in value.items():
            if name not in MAX_RESPONSE_MB:
                known = ", ".join(MAX_RESPONSE_MB)
                raise ValueError(f"unknown source {name!r}; known sources: {known}")
            if not size > 0:
                raise ValueError(f"{name}: must be more than 0 (megabytes), got {size}")
        return {**MAX_RESPONSE_MB, **value}

    @field_validator("redirect_hosts", mode="after")
    @classmethod
    def _host_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """Bare host names, lower-cased."""
        for host in value:
            if not host or any(c in host for c in "/:@ "):
                raise ValueError(f"not a host name: {host!r} (write e.g. export.arxiv.org)")
        return tuple(h.lower() for h in value)


class DeliveryConfig(_Section):
    """Scheduled delivery to subscribed channels."""

    grace_hours: float = Field(6.0, ge=0)
    on_listing_failure: Literal["post", "skip"] = "post"
    # Added by bot/delivery (see docs/handoff/delivery.md).
    listing_fetch_time: str = Field("00:10", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # US Eastern
    refresh_minutes: int = Field(120, ge=0)  # signal refreshes through the day; 0: none
    sweep_seconds: float = Field(60.0, gt=0)  # catch-up, retries, changes from other processes
    lease_seconds: float = Field(60.0, gt=0)  # scheduler leader and per-delivery leases
    shutdown_seconds: float = Field(20.0, ge=0)  # how long SIGTERM waits for posts in flight


class DiscordConfig(_Section):
    """The Discord adapter."""

    auto_shard: bool = False
    shard_count: int | None = None
    # With auto_shard and shard_count, the shards this process runs (all when empty), so several
    # processes can share the gateway load; see docs/operations.md.
    shard_ids: tuple[int, ...] = ()
    # "changed": sync slash commands at start only when their definitions changed (hash kept in
    # SQLite); "manual": only `hotpapers discord-sync` syncs. Discord rate limits command syncs.
    command_sync: Literal["changed", "manual"] = "changed"
    # A 429 asking to wait longer than this is not waited out in place; delivery retries later
    # (its per-message timeout is 60 s).
    # discord.py refuses values under 30 s.
    max_ratelimit_wait_seconds: float = Field(30.0, ge=30)


class SlackConfig(_Section):
    """The Slack adapter."""

    admin_user_ids: tuple[str, ...] = ()


class Config(BaseSettings):
    """Behaviour: read from the TOML file, each key overridable as HOTPAPERS_SECTION__KEY."""

    model_config = SettingsConfigDict(
        env_prefix="HOTPAPERS_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    ranking: RankingConfig = RankingConfig()
    digest: DigestConfig = DigestConfig()
    markdown: MarkdownConfig = MarkdownConfig()
    sources: SourcesConfig = SourcesConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    discord: DiscordConfig = DiscordConfig()
    slack: SlackConfig = SlackConfig()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment first, then the TOML file (passed as init arguments)."""
        return (env_settings, init_settings)


class Env(BaseSettings):
    """Secrets and endpoints, from the environment only (field name = variable name)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    hotpapers_db: Path = DEFAULT_DB
    hotpapers_config: Path | None = None
    port: int | None = None
    log_level: str = "INFO"

    discord_token: SecretStr | None = None
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_url: str | None = None

    bluesky_handle: str | None = None
    bluesky_app_password: SecretStr | None = None
    x_bearer_token: SecretStr | None = None
    reddit_client_id: str | None = None
    reddit_client_secret: SecretStr | None = None

    arxiv_rss_url: str = "https://rss.arxiv.org/rss/"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_oai_url: str = "https://oaipmh.arxiv.org/oai"
    hf_api_url: str = "https://huggingface.co/api"
    hn_api_url: str = "https://hn.algolia.com/api/v1"
    bluesky_api_url: str = "https://bsky.social/xrpc"
    x_api_url: str = "https://api.x.com/2"
    reddit_api_url: str = "https://oauth.reddit.com"
    reddit_auth_url: str = "https://www.reddit.com/api/v1/access_token"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the mapping load_settings passes in (os.environ by default), so tests can inject."""
        return (init_settings,)


@dataclass(frozen=True)
class Settings:
    """Everything the composition root needs: behaviour and environment."""

    config: Config
    env: Env


def _describe(error: ValidationError, origin: str) -> str:
    """Turn a pydantic error into one readable line naming the key."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return f"{origin}: {where}: {first['msg']}"


def load_settings(
    config_path: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read the environment and the TOML file; raise ConfigError with one clear line if invalid."""
    environ = os.environ if environ is None else environ
    try:
        env = Env.model_validate(
            {k.lower(): v for k, v in environ.items() if k.lower() in Env.model_fields}
        )
    except ValidationError as error:
        raise ConfigError(_describe(error, "environment")) from None
    path = config_path or env.hotpapers_config or DEFAULT_CONFIG
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from None
    elif config_path or env.hotpapers_config:
        raise ConfigError(f"{path}: no such configuration file")
    try:
        config = Config(**data)
    except ValidationError as error:
        raise ConfigError(_describe(error, str(path))) from None
    return Settings(config=config, env=env)
