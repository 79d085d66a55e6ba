"""Per-channel digest subscriptions: the model, its validation and its SQLite table."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.ids import is_category
from bot.models import Selection
from bot.store import Store
from bot.timeutil import parse_time, to_iso

__all__ = [
    "WEEKDAYS",
    "InvalidSettingError",
    "Subscription",
    "Subscriptions",
    "parse_settings",
    "parse_weekdays",
    "validate",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# arXiv announces Sunday to Thursday evenings (US Eastern), so new lists appear Mon-Fri mornings.
DEFAULT_DAYS = ("mon", "tue", "wed", "thu", "fri")
_CHANNEL = re.compile(r"^(discord|slack|markdown):\S+$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

migrations = Migrations("hotpapers-subscriptions")


@migrations()
def m001_subscriptions(db: Database) -> None:
    """One row per subscribed channel; list settings stored as JSON arrays."""
    db.execute(
        """
        CREATE TABLE subscriptions (
            channel TEXT PRIMARY KEY,
            workspace TEXT NOT NULL DEFAULT '',
            time TEXT NOT NULL,
            timezone TEXT NOT NULL,
            days TEXT NOT NULL,
            top INTEGER NOT NULL,
            ranking TEXT NOT NULL,
            categories TEXT NOT NULL DEFAULT '[]',
            exclude_categories TEXT NOT NULL DEFAULT '[]',
            keywords TEXT NOT NULL DEFAULT '[]',
            min_score REAL,
            repeat_days INTEGER NOT NULL,
            empty_day TEXT NOT NULL,
            paused INTEGER NOT NULL DEFAULT 0,
            paused_reason TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )


class InvalidSettingError(ValueError):
    """A subscription setting a user gave is not valid; the message says which and why."""


@dataclass(frozen=True)
class Subscription:
    """A channel's daily digest: when, how many, which papers."""

    channel: str
    time: str = "09:00"
    timezone: str = "UTC"
    days: tuple[str, ...] = DEFAULT_DAYS
    top: int = 5
    ranking: Literal["hot", "seed"] = "hot"
    categories: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    min_score: float | None = None
    repeat_days: int = 7
    empty_day: Literal["skip", "note"] = "note"
    workspace: str = ""
    paused: bool = False
    paused_reason: str = ""
    created_at: datetime | None = field(default=None, compare=False)

    @property
    def platform(self) -> str:
        """The part before the colon: discord, slack or markdown."""
        return self.channel.split(":", 1)[0]

    @property
    def target(self) -> str:
        """The platform's own channel id (or the Markdown folder)."""
        return self.channel.split(":", 1)[1]

    def selection(self) -> Selection:
        """The digest filter this subscription asks for."""
        return Selection(
            top=self.top,
            include_categories=self.categories,
            exclude_categories=self.exclude_categories,
            keywords=self.keywords,
            min_score=self.min_score,
        )

    def describe(self) -> str:
        """One line for status messages."""
        days = ",".join(self.days) if self.days != WEEKDAYS else "daily"
        text = (
            f"{self.channel}: {self.time} {self.timezone} ({days}), top {self.top}, {self.ranking}"
        )
        if self.categories:
            text += f", categories {' '.join(self.categories)}"
        if self.exclude_categories:
            text += f", excluding {' '.join(self.exclude_categories)}"
        if self.keywords:
            text += f", keywords {' '.join(self.keywords)}"
        if self.paused:
            text += f" — paused: {self.paused_reason or 'by request'}"
        return text


def parse_weekdays(text: str) -> tuple[str, ...]:
    """'mon-fri', 'sun-thu', 'mon,wed,fri', 'daily' or 'weekdays' to weekday names in order."""
    spec = text.strip().lower()
    if spec in ("daily", "all", "every", "*"):
        return WEEKDAYS
    if spec == "weekdays":
        return DEFAULT_DAYS
    chosen: set[int] = set()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        start, _, end = part.partition("-")
        try:
            first = WEEKDAYS.index(start[:3])
            last = WEEKDAYS.index(end[:3]) if end else first
        except ValueError:
            raise InvalidSettingError(
                f"days: {part!r} is not a weekday range like mon-fri or mon,wed,fri"
            ) from None
        span = (last - first) % 7
        chosen.update((first + i) % 7 for i in range(span + 1))
    if not chosen:
        raise InvalidSettingError("days: give at least one weekday, e.g. mon-fri")
    return tuple(WEEKDAYS[i] for i in sorted(chosen))


def _check_time(value: str) -> str:
    """Validate HH:MM and normalise to two-digit hours."""
    match = _TIME.match(value.strip())
    if not match:
        raise InvalidSettingError(f"time: {value!r} is not a time like 09:00")
    return f"{int(match[1]):02d}:{match[2]}"


def _check_timezone(value: str) -> str:
    """Validate an IANA timezone name such as Europe/Berlin."""
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSettingError(
            f"timezone: {value!r} is not an IANA timezone like Europe/Berlin"
        ) from None
    return value.strip()


def _check_categories(values: tuple[str, ...], key: str) -> tuple[str, ...]:
    """Validate arXiv category names such as cs.LG (an archive like 'cs' means all of it)."""
    for value in values:
        if not is_category(value):
            raise InvalidSettingError(f"{key}: {value!r} is not an arXiv category like cs.LG")
    return values


def validate(sub: Subscription) -> Subscription:
    """Check every field and return the normalised subscription, or raise InvalidSettingError."""
    if not _CHANNEL.match(sub.channel):
        raise InvalidSettingError(
            f"channel: {sub.channel!r} must look like discord:<id>, slack:<id> or markdown:<folder>"
        )
    if not 1 <= sub.top <= 25:
        raise InvalidSettingError(f"top: {sub.top} must be between 1 and 25")
    if sub.ranking not in ("hot", "seed"):
        raise InvalidSettingError(f"ranking: {sub.ranking!r} must be hot or seed")
    if sub.empty_day not in ("skip", "note"):
        raise InvalidSettingError(f"empty_day: {sub.empty_day!r} must be skip or note")
    if not 0 <= sub.repeat_days <= 365:
        raise InvalidSettingError(f"repeat_days: {sub.repeat_days} must be between 0 and 365")
    return replace(
        sub,
        time=_check_time(sub.time),
        timezone=_check_timezone(sub.timezone),
        categories=_check_categories(sub.categories, "categories"),
        exclude_categories=_check_categories(sub.exclude_categories, "exclude_categories"),
    )


_ALIASES = {
    "tz": "timezone",
    "at": "time",
    "count": "top",
    "n": "top",
    "category": "categories",
    "cats": "categories",
    "exclude": "exclude_categories",
    "keyword": "keywords",
    "repeat": "repeat_days",
    "empty": "empty_day",
}
_SETTABLE = {
    "time", "timezone", "days", "top", "ranking", "categories", "exclude_categories",
    "keywords", "min_score", "repeat_days", "empty_day",
}  # fmt: skip


def _convert(key: str, raw: str) -> Any:
    """Turn one textual setting into its typed value."""
    if key == "days":
        return parse_weekdays(raw)
    try:
        if key in ("top", "repeat_days"):
            return int(raw)
        if key == "min_score":
            return None if raw.lower() in ("", "none", "off") else float(raw)
        if key in ("categories", "exclude_categories", "keywords"):
            items = (p.strip() for p in re.split(r"[,\s]+", raw))
            return tuple(p for p in items if p and p.lower() != "none")
    except ValueError:
        raise InvalidSettingError(f"{key}: {raw!r} is not a number") from None
    return raw.strip()


def parse_settings(text: str) -> dict[str, Any]:
    """Parse 'time=09:00 tz=Europe/Berlin days=mon-fri top=5 categories=cs.LG,cs.CL'."""
    changes: dict[str, Any] = {}
    for token in re.findall(r'(\w+)=("[^"]*"|\S*)', text):
        key, raw = _ALIASES.get(token[0].lower(), token[0].lower()), token[1].strip('"')
        if key not in _SETTABLE:
            raise InvalidSettingError(
                f"unknown setting {token[0]!r}; known: {', '.join(sorted(_SETTABLE))}"
            )
        changes[key] = _convert(key, raw)
    leftover = re.sub(r'(\w+)=("[^"]*"|\S*)', "", text).strip()
    if leftover:
        raise InvalidSettingError(
            f"expected key=value pairs such as time=09:00 tz=Europe/Berlin, got {leftover!r}"
        )
    return changes


_JSON_FIELDS = ("days", "categories", "exclude_categories", "keywords")


def _to_row(sub: Subscription, now: datetime) -> dict[str, Any]:
    """Flatten a subscription for its table."""
    row = asdict(sub)
    for key in _JSON_FIELDS:
        row[key] = json.dumps(list(row[key]))
    row["paused"] = int(sub.paused)
    row["created_at"] = to_iso(sub.created_at or now)
    row["updated_at"] = to_iso(now)
    return row


def _from_row(row: Mapping[str, Any]) -> Subscription:
    """Rebuild a subscription from its row."""
    values = {f.name: row[f.name] for f in fields(Subscription) if f.name in row}
    for key in _JSON_FIELDS:
        values[key] = tuple(json.loads(values[key]))
    values["paused"] = bool(values["paused"])
    values["created_at"] = parse_time(row["created_at"])
    return Subscription(**values)


class Subscriptions:
    """The subscriptions table: subscribe, update, pause, list."""

    def __init__(self, store: Store) -> None:
        """Use the store, creating the table on first use."""
        self.store = store
        store.migrate(migrations)

    def get(self, channel: str) -> Subscription | None:
        """The channel's subscription, or None."""
        row = self.store.query_one("SELECT * FROM subscriptions WHERE channel = ?", [channel])
        return _from_row(row) if row else None

    def all(self) -> list[Subscription]:
        """Every subscription, by channel."""
        rows = self.store.query("SELECT * FROM subscriptions ORDER BY channel")
        return [_from_row(r) for r in rows]

    def save(self, sub: Subscription, now: datetime) -> Subscription:
        """Validate and insert or replace a subscription."""
        sub = validate(sub)
        row = _to_row(sub, now)  # every column, so replacing the row loses nothing
        columns, names = ", ".join(row), ", ".join(f":{column}" for column in row)
        with self.store.transaction() as tx:
            tx.execute(f"INSERT OR REPLACE INTO subscriptions ({columns}) VALUES ({names})", row)
        return sub

    def update(self, channel: str, changes: Mapping[str, Any], now: datetime) -> Subscription:
        """Apply setting changes to an existing subscription."""
        current = self.get(channel)
        if current is None:
            raise LookupError(f"{channel} has no digest subscription; subscribe first")
        return self.save(replace(current, **changes), now)

    def remove(self, channel: str) -> bool:
        """Delete a subscription; False when there was none."""
        with self.store.transaction() as tx:
            return tx.execute("DELETE FROM subscriptions WHERE channel = ?", [channel]) > 0

    def pause(self, channel: str, reason: str, now: datetime) -> None:
        """Pause a subscription with the reason (a permanent delivery error, or a request)."""
        self.update(channel, {"paused": True, "paused_reason": reason}, now)

    def resume(self, channel: str, now: datetime) -> Subscription:
        """Resume a paused subscription."""
        return self.update(channel, {"paused": False, "paused_reason": ""}, now)
