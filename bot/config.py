"""Settings: behaviour from config/hotpapers.toml (env can override), secrets and URLs from env.

Everything is checked when it is loaded, so every command reports a bad setting the same way:
one line naming the file and key, or the environment variable.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.config_env import describe, env_overrides, merge
from bot.errors import ConfigError, UsageError
from bot.limits import MAX_DIGEST_TOP, MAX_REPEAT_DAYS
from bot.models import SIGNAL_METRICS, SOURCE_LABELS, SOURCE_NAMES
from bot.validators import (
    check_categories,
    check_category_filters,
    check_channel,
    check_keywords,
    check_names,
    check_time,
    check_timezone,
    unknown_name,
)

__all__ = ["Config", "ConfigError", "Env", "Settings", "load_settings"]

DEFAULT_CONFIG = Path("config/hotpapers.toml")
DEFAULT_DB = Path("hotpapers.db")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _plain(check: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a shared validator inside pydantic: its message without the key (pydantic adds it)."""
    try:
        return check(*args, key="", **kwargs)
    except UsageError as error:
        raise ValueError(str(error).removeprefix(": ")) from None


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SeedRanking(_Section):
    """The 2021 blog's ranking: reposts + likes summed over linking posts."""

    min_score: int = Field(50, ge=0)
    min_post_score: int = Field(25, ge=0)
    max_posts: int = Field(10, ge=0)
    window_days: int = Field(1, ge=1)


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
    # Trending again (docs/ranking.md): growth is heat of its own, aged from the surge, so a
    # paper of any age re-enters when its gain in the growth window passes both thresholds.
    trending_again: bool = True
    surge_min_gain: float = Field(50.0, ge=0)  # the window's gain, in score points
    surge_min_ratio: float = Field(0.5, ge=0)  # gain / the paper's weighted level before it

    @field_validator("weights")
    @classmethod
    def _known_sources(cls, weights: dict[str, float]) -> dict[str, float]:
        """Every key is a source that has engagement, with a weight of zero or more."""
        for name, weight in weights.items():
            if name not in SOURCE_LABELS:
                raise ValueError(unknown_name(name, sorted(SOURCE_LABELS), "source"))
            if weight < 0:
                raise ValueError(f"{name}: a weight cannot be negative, not {weight}")
        return weights

    @field_validator("signal_metrics")
    @classmethod
    def _known_metrics(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        """Metrics some source records: a misspelt one would count for nothing, silently."""
        return tuple(_plain(check_names, values, SIGNAL_METRICS, what="signal metric"))


class RankingConfig(_Section):
    """Which ranking digests use by default, and each ranking's parameters."""

    default: Literal["hot", "seed"] = "hot"
    seed: SeedRanking = SeedRanking()
    hot: HotRanking = HotRanking()


class DigestConfig(_Section):
    """The default selection of a digest."""

    top: int = Field(10, ge=1, le=MAX_DIGEST_TOP)
    categories: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    min_score: float | None = None
    repeat_days: int = Field(7, ge=0, le=MAX_REPEAT_DAYS)

    @field_validator("categories", "exclude_categories")
    @classmethod
    def _categories(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        """arXiv categories, in arXiv's spelling."""
        return tuple(_plain(check_categories, values))

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        """Bounded keywords."""
        return tuple(_plain(check_keywords, values))

    @model_validator(mode="after")
    def _no_category_both_in_and_out(self) -> DigestConfig:
        """A category asked for is not also left out (every digest would lack it)."""
        try:
            check_category_filters(self.categories, self.exclude_categories)
        except UsageError as error:
            raise ValueError(str(error)) from None
        return self


class MarkdownConfig(_Section):
    """The Markdown blog channel: a folder of dated posts, front matter as the 2021 blog had."""

    folder: Path = Path("posts")
    time: str = "08:00"
    timezone: str = "UTC"
    template: str = "post"
    category: str = "arXiv"
    tags: tuple[str, ...] = ("arXiv", "Twitter", "Machine Learning", "Computer Science")
    social_image: str = "/media/flying-marine.jpg"

    @field_validator("folder")
    @classmethod
    def _folder(cls, folder: Path) -> Path:
        """Not a file: posts go into a folder (created at the first post if missing)."""
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"{folder} is a file, not a folder for posts")
        return folder

    @field_validator("time")
    @classmethod
    def _time(cls, value: str) -> str:
        """HH:MM."""
        return str(_plain(check_time, value))

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        """An IANA zone."""
        return str(_plain(check_timezone, value))


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
    enabled: tuple[str, ...] = SOURCE_NAMES
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
                raise ValueError(unknown_name(name, list(MAX_RESPONSE_MB), "source"))
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

    @field_validator("enabled")
    @classmethod
    def _enabled(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        """Sources that exist: a typo is refused when the config loads, not at the next fetch."""
        return tuple(_plain(check_names, values, SOURCE_NAMES, what="source"))

    @field_validator("categories")
    @classmethod
    def _categories(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        """arXiv listings to follow, in arXiv's spelling."""
        found = tuple(_plain(check_categories, values))
        if not found:
            raise ValueError("give at least one arXiv category to follow, e.g. ['cs.LG']")
        return found


class DeliveryConfig(_Section):
    """Scheduled delivery to subscribed channels."""

    grace_hours: float = Field(6.0, ge=0)
    on_listing_failure: Literal["post", "skip"] = "post"
    # When the scheduler fetches, sweeps and hands over (docs/delivery.md, docs/configuration.md).
    listing_fetch_time: str = Field("00:10", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # US Eastern
    refresh_minutes: int = Field(120, ge=0)  # signal refreshes through the day; 0: none
    sweep_seconds: float = Field(60.0, gt=0)  # catch-up, retries, changes from other processes
    lease_seconds: float = Field(60.0, gt=0)  # scheduler leader and per-delivery leases
    shutdown_seconds: float = Field(20.0, ge=0)  # how long SIGTERM waits for posts in flight
    # /healthz answers 503 once the store has refused writes (locked by another process, read
    # only, disk full) for this long.
    store_unavailable_seconds: float = Field(15.0, gt=0)


class DiscordConfig(_Section):
    """The Discord adapter."""

    auto_shard: bool = False
    shard_count: int | None = Field(None, ge=1)
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

    @model_validator(mode="after")
    def _shards(self) -> DiscordConfig:
        """shard_ids need auto_shard and shard_count, and must be below shard_count."""
        if not self.shard_ids:
            return self
        if not self.auto_shard or self.shard_count is None:
            raise ValueError("shard_ids needs auto_shard = true and shard_count")
        wrong = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
        if wrong:
            raise ValueError(f"shard_ids: {wrong[0]} is not between 0 and shard_count - 1")
        return self


class SlackConfig(_Section):
    """The Slack adapter."""

    admin_user_ids: tuple[str, ...] = ()


class SiteConfig(_Section):
    """The web site `hotpapers run` serves on $PORT and `hotpapers site build` writes."""

    enabled: bool = True
    title: str = Field("Hot Papers", min_length=1, max_length=80)
    # The public address of the site (e.g. https://example.org/hot/), for the feed's links;
    # empty: links relative to wherever the feed was fetched from.
    base_url: str = ""
    # The channel whose posted digests the day pages mirror (e.g. markdown:posts); empty: each
    # day's public digest, whichever channel posts first (bot/site/publish.py).
    channel: str = ""

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        """A channel id in its platform's shape, as subscriptions store it (or empty)."""
        if not value:
            return ""
        try:
            return check_channel(value)
        except UsageError as error:
            raise ValueError(str(error).removeprefix("channel: ")) from None

    @field_validator("title")
    @classmethod
    def _printable(cls, value: str) -> str:
        """A title is one line of text: it heads every page and the feed."""
        if not value.isprintable():
            raise ValueError("must be one line of printable text")
        return value

    @field_validator("base_url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        """An absolute http(s) URL without query or fragment, ending with a slash (or empty)."""
        if not value:
            return ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http:// or https:// URL, or empty")
        if parts.query or parts.fragment:
            raise ValueError("must have no query or fragment")
        return value if value.endswith("/") else value + "/"


class Config(_Section):
    """Behaviour: read from the TOML file, each key overridable as HOTPAPERS_SECTION__KEY."""

    ranking: RankingConfig = RankingConfig()
    digest: DigestConfig = DigestConfig()
    markdown: MarkdownConfig = MarkdownConfig()
    sources: SourcesConfig = SourcesConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    discord: DiscordConfig = DiscordConfig()
    slack: SlackConfig = SlackConfig()
    site: SiteConfig = SiteConfig()


def _url(value: str | None, scheme: str = "http") -> str | None:
    """An absolute URL whose scheme is scheme or its secure form (None stays None)."""
    if value is not None and not value.startswith((f"{scheme}://", f"{scheme}s://")):
        raise ValueError(f"{value[:80]!r} is not a URL starting {scheme}s:// or {scheme}://")
    return value


# The token each Slack variable holds: a bot token pasted as the app token (or the signing
# secret as either) is a common mix-up that Slack only reports as invalid_auth.
_SLACK_TOKENS = {
    "slack_bot_token": ("xoxb-", "Bot User OAuth Token"),
    "slack_app_token": ("xapp-", "app-level token"),
}


class Env(BaseModel):
    """Secrets and endpoints, from the environment only (field name = variable name)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    hotpapers_db: Path = DEFAULT_DB
    hotpapers_config: Path | None = None
    port: int | None = Field(None, ge=0, le=65535)
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

    @field_validator("slack_bot_token", "slack_app_token")
    @classmethod
    def _slack_token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """A Slack token of the kind the variable names (never echoed: it is a secret)."""
        if value is None:
            return None
        token = value.get_secret_value()
        prefix, kind = _SLACK_TOKENS[info.field_name or ""]
        if not token.startswith(prefix):
            hint = (
                "remove the quotes around it (docker --env-file keeps them)"
                if token[:1] in "\"'" and token[1:].startswith(prefix)
                else f"copy the {kind}, which starts {prefix}"
            )
            article = "an" if kind[0] in "aeiou" else "a"
            raise ValueError(f"not {article} {kind} (it does not start {prefix}): {hint}")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        """A logging level name, in any case."""
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"{value[:40]!r} is not a log level ({', '.join(LOG_LEVELS)})")
        return level

    @field_validator("hotpapers_db")
    @classmethod
    def _db(cls, path: Path) -> Path:
        """A file in a folder that exists: a typo must not start a new, empty store elsewhere."""
        if str(path) == ":memory:":
            return path
        if path.is_dir():
            raise ValueError(
                f"{path} is a folder; name the database file, e.g. {path}/hotpapers.db"
            )
        parent = path.parent
        if not parent.is_dir():
            raise ValueError(
                f"the folder {parent} does not exist; create it first, or fix the path"
                " (hotpapers does not create folders for its store)"
            )
        return path

    @field_validator(
        "discord_api_base", "slack_api_url", "arxiv_rss_url", "arxiv_api_url", "arxiv_oai_url",
        "hf_api_url", "hn_api_url", "bluesky_api_url", "x_api_url", "reddit_api_url",
        "reddit_auth_url",
    )  # fmt: skip
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        """An http(s) URL."""
        return _url(value)

    @field_validator("discord_gateway_url")
    @classmethod
    def _ws_url(cls, value: str | None) -> str | None:
        """A websocket URL."""
        return _url(value, "ws")

    @property
    def level(self) -> int:
        """log_level as a logging constant."""
        return int(logging.getLevelName(self.log_level))


@dataclass(frozen=True)
class Settings:
    """Everything the composition root needs: behaviour and environment."""

    config: Config
    env: Env


def _read_env(environ: Mapping[str, str]) -> Env:
    """The Env variables set (empty ones count as unset, as `docker run --env-file` gives them)."""
    values = {k.lower(): v for k, v in environ.items() if k.lower() in Env.model_fields and v}
    try:
        return Env.model_validate(values)
    except ValidationError as error:
        raise ConfigError(describe(error, env=lambda loc: str(loc[0]).upper())) from None


def _read_toml(path: Path, named: str | None) -> dict[str, Any]:
    """The TOML file's contents ({} when the default file is absent)."""
    where = f"{named} {path}" if named == "--config" else f"{named}={path}" if named else str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        if named is None and path == DEFAULT_CONFIG:
            return {}
        raise ConfigError(f"{where}: no such configuration file") from None
    except IsADirectoryError:
        raise ConfigError(f"{where}: is a folder, not a configuration file") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{where}: not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    except OSError as error:
        raise ConfigError(f"{where}: cannot read it ({error.strerror or error})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: not valid TOML: {error}") from None


def load_settings(
    config_path: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read the environment and the TOML file; raise ConfigError with one clear line if invalid."""
    environ = os.environ if environ is None else environ
    env = _read_env(environ)
    overrides = env_overrides(Config, environ)
    named = "--config" if config_path else ("HOTPAPERS_CONFIG" if env.hotpapers_config else None)
    path = config_path or env.hotpapers_config or DEFAULT_CONFIG
    data = _read_toml(path, named)
    try:
        config = Config.model_validate(merge(data, overrides.data))
    except ValidationError as error:
        raise ConfigError(
            describe(error, env=overrides.variable, file=str(path), model=Config)
        ) from None
    return Settings(config=config, env=env)
