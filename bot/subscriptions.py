"""Per-channel digest subscriptions: the model, its validation and its SQLite table."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Literal, TypeVar

from bot.errors import UsageError
from bot.limits import MAX_CHANNEL_WEIGHT, MAX_COUNT, MAX_REPEAT_DAYS, MAX_SETTINGS_CHARS
from bot.models import Layout, Selection
from bot.store import Store
from bot.store.migrations import Database, Migrations
from bot.timeutil import parse_time, to_iso
from bot.validators import (
    check_categories,
    check_category_filters,
    check_channel,
    check_finite,
    check_keywords,
    check_time,
    check_timezone,
    shown,
)

__all__ = [
    "LAYOUTS",
    "WEEKDAYS",
    "InvalidSettingError",
    "Subscription",
    "Subscriptions",
    "convert_settings",
    "parse_settings",
    "parse_weekday",
    "parse_weekdays",
    "settings_pairs",
    "validate",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# arXiv announces Sunday to Thursday evenings (US Eastern), so new lists appear Mon-Fri mornings.
DEFAULT_DAYS = ("mon", "tue", "wed", "thu", "fri")
# How a digest is posted: papers grouped ten a message, or a header then one message per paper
# (so that any reaction on a paper's own message counts for it; see bot/channel_signal.py).
LAYOUTS: tuple[Layout, ...] = ("grouped", "per-paper")
T = TypeVar("T")

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


@migrations()
def m002_created_by(db: Database) -> None:
    """Who set the digest up (a platform user id), to tell them when it breaks."""
    db.execute("ALTER TABLE subscriptions ADD COLUMN created_by TEXT NOT NULL DEFAULT ''")


@migrations()
def m003_channel_settings(db: Database) -> None:
    """The channel's own signal weight, the digest's layout and the weekly digest's day."""
    db.execute("ALTER TABLE subscriptions ADD COLUMN channel_weight REAL NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE subscriptions ADD COLUMN layout TEXT NOT NULL DEFAULT 'grouped'")
    db.execute("ALTER TABLE subscriptions ADD COLUMN weekly TEXT NOT NULL DEFAULT ''")


class InvalidSettingError(UsageError):
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
    # What one person reacting to a paper in this channel adds to its score here (0: nothing).
    channel_weight: float = 0.0
    layout: Layout = "grouped"
    weekly: str = ""  # the weekday of the weekly digest ('' for none)
    workspace: str = ""
    paused: bool = False
    paused_reason: str = ""
    created_by: str = ""  # the platform user id of whoever subscribed the channel ('' unknown)
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
        if self.min_score is not None:
            text += f", min score {self.min_score:g}"
        if self.channel_weight:
            text += f", channel weight {self.channel_weight:g}"
        if self.layout != "grouped":
            text += f", {self.layout} layout"
        if self.weekly:
            text += f", weekly on {self.weekly}"
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
                f"days: {shown(part)} is not a weekday range like mon-fri or mon,wed,fri"
            ) from None
        span = (last - first) % 7
        chosen.update((first + i) % 7 for i in range(span + 1))
        if len(chosen) == len(WEEKDAYS):
            break  # every day already: the rest cannot add any
    if not chosen:
        raise InvalidSettingError("days: give at least one weekday, e.g. mon-fri")
    return tuple(WEEKDAYS[i] for i in sorted(chosen))


def parse_weekday(text: str) -> str:
    """'fri', 'Friday' to 'fri'; 'off', 'none' or '' to '' (no weekly digest)."""
    spec = text.strip().lower()
    if spec in _NONE:
        return ""
    if spec[:3] in WEEKDAYS and (len(spec) == 3 or _DAY_NAMES[spec[:3]] == spec):
        return spec[:3]
    raise InvalidSettingError(f"weekly: {shown(text)} is not a weekday like fri (or off)")


_DAY_NAMES = dict(zip(WEEKDAYS, ("monday", "tuesday", "wednesday", "thursday", "friday",
                                 "saturday", "sunday"), strict=True))  # fmt: skip


def _checked(check: Callable[[], T]) -> T:
    """Run a shared validator, turning its UsageError into this module's InvalidSettingError."""
    try:
        return check()
    except InvalidSettingError:
        raise
    except UsageError as error:
        raise InvalidSettingError(str(error)) from None


def validate(sub: Subscription) -> Subscription:
    """Check every field and return the normalised subscription, or raise InvalidSettingError.

    The channel must have its platform's shape (bot.validators.check_channel), here as well as
    where it enters, so nothing else is ever stored. A Markdown folder's writability is checked
    where the channel enters (bot.validators.check_folder), not on every save: a folder that went
    away must not stop its subscription from being paused or removed.
    """
    sub = replace(sub, channel=_checked(lambda: check_channel(sub.channel)))
    if not 1 <= sub.top <= MAX_COUNT:
        raise InvalidSettingError(f"top: {sub.top} must be between 1 and {MAX_COUNT}")
    if sub.ranking not in ("hot", "seed"):
        raise InvalidSettingError(f"ranking: {shown(sub.ranking)} must be hot or seed")
    if sub.empty_day not in ("skip", "note"):
        raise InvalidSettingError(f"empty_day: {shown(sub.empty_day)} must be skip or note")
    if not 0 <= sub.repeat_days <= MAX_REPEAT_DAYS:
        raise InvalidSettingError(
            f"repeat_days: {sub.repeat_days} must be between 0 and {MAX_REPEAT_DAYS}"
        )
    if not sub.days or any(day not in WEEKDAYS for day in sub.days):
        raise InvalidSettingError("days: give weekdays such as mon-fri")
    if sub.min_score is not None:
        _checked(lambda: check_finite(sub.min_score or 0.0, key="min_score"))
    _check_channel_settings(sub)
    categories = _checked(lambda: check_categories(sub.categories, key="categories"))
    excluded = _checked(lambda: check_categories(sub.exclude_categories, key="exclude_categories"))
    _checked(lambda: check_category_filters(categories, excluded))
    return replace(
        sub,
        time=_checked(lambda: check_time(sub.time)),
        timezone=_checked(lambda: check_timezone(sub.timezone)),
        categories=categories,
        exclude_categories=excluded,
        keywords=_checked(lambda: check_keywords(sub.keywords)),
    )


def _check_channel_settings(sub: Subscription) -> None:
    """channel_weight, layout and weekly: in range, and only where they can mean something."""
    weight = _checked(lambda: check_finite(sub.channel_weight, key="channel_weight"))
    if not 0 <= weight <= MAX_CHANNEL_WEIGHT:
        raise InvalidSettingError(
            f"channel_weight: {weight:g} must be between 0 and {MAX_CHANNEL_WEIGHT:g}"
        )
    if sub.layout not in LAYOUTS:
        raise InvalidSettingError(f"layout: {shown(sub.layout)} must be grouped or per-paper")
    if sub.weekly and sub.weekly not in WEEKDAYS:
        raise InvalidSettingError(f"weekly: {shown(sub.weekly)} is not a weekday like fri")
    if weight and sub.ranking != "hot":
        raise InvalidSettingError(
            "channel_weight: only the hot ranking counts this channel's reactions;"
            " use ranking=hot, or channel_weight=0 with the seed ranking"
        )
    if sub.platform == "markdown":
        for name, value in (("channel_weight", weight), ("layout", sub.layout != "grouped"),
                            ("weekly", sub.weekly)):  # fmt: skip
            if value:
                raise InvalidSettingError(
                    f"{name}: a Markdown folder has no reactions or messages to lay out;"
                    " it is for Discord and Slack channels"
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
    "weekly_day": "weekly",
    "week": "weekly",
}
_SETTABLE = {
    "time", "timezone", "days", "top", "ranking", "categories", "exclude_categories",
    "keywords", "min_score", "repeat_days", "empty_day", "channel_weight", "layout", "weekly",
}  # fmt: skip
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")  # ASCII digits: int() also reads other scripts' digits
_NONE = ("", "none", "off")


def _integer(key: str, raw: object) -> int:
    """A whole number given as an int or as ASCII digits."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = str(raw).strip()
    if not _INTEGER.fullmatch(text):
        raise InvalidSettingError(f"{key}: {shown(text)} is not a whole number")
    return int(text)


def _score(raw: object) -> float | None:
    """A finite minimum score, or None for none."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return _checked(lambda: check_finite(float(raw), key="min_score"))
    text = str(raw).strip()
    if text.lower() in _NONE:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidSettingError(f"min_score: {shown(text)} is not a number") from None
    return _checked(lambda: check_finite(value, key="min_score"))


def _weight(raw: object) -> float:
    """A channel weight: a finite number (range checked with the subscription); none/off is 0."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return _checked(lambda: check_finite(float(raw), key="channel_weight"))
    text = str(raw).strip()
    if text.lower() in _NONE:
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise InvalidSettingError(f"channel_weight: {shown(text)} is not a number") from None
    return _checked(lambda: check_finite(value, key="channel_weight"))


def _items(raw: object) -> list[str]:
    """A list setting's items: comma or space separated; 'none' clears the list."""
    values = raw if isinstance(raw, list | tuple) else [str(raw)]
    items = [part for value in values for part in _LIST_SPLIT.split(str(value)) if part]
    return [] if [i.lower() for i in items] == ["none"] else items


_LIST_SPLIT = re.compile(r"[,\s]+")


def _convert(key: str, raw: object) -> Any:
    """Turn one setting as typed (text, or a typed chat option) into its checked value."""
    if key == "days":
        return parse_weekdays(str(raw))
    if key in ("top", "repeat_days"):
        return _integer(key, raw)
    if key == "min_score":
        return _score(raw)
    if key == "channel_weight":
        return _weight(raw)
    if key == "weekly":
        return parse_weekday(str(raw))
    if key == "layout":
        return str(raw).strip().lower().replace("_", "-")
    if key in ("categories", "exclude_categories"):
        return _checked(lambda: check_categories(_items(raw), key=key))
    if key == "keywords":
        return _checked(lambda: check_keywords(_items(raw)))
    if key == "time":
        return _checked(lambda: check_time(str(raw)))
    if key == "timezone":
        return _checked(lambda: check_timezone(str(raw)))
    return str(raw).strip().lower()  # ranking, empty_day: checked with the whole subscription


def _key(name: str) -> str:
    """The setting a name (or its alias) stands for; unknown names are refused."""
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _SETTABLE:
        raise InvalidSettingError(
            f"unknown setting {shown(name)}; known: {', '.join(sorted(_SETTABLE))}"
        )
    return key


def convert_settings(values: Mapping[str, object]) -> dict[str, Any]:
    """Typed, checked settings from names (aliases allowed) and values as given."""
    return {_key(name): _convert(_key(name), raw) for name, raw in values.items()}


def _tokens(text: str) -> list[str]:
    """Split on spaces outside double quotes, dropping the quotes: one pass, linear time."""
    tokens: list[str] = []
    current: list[str] = []
    quoted = started = False
    for char in text:
        if char == '"':
            quoted, started = not quoted, True
        elif char.isspace() and not quoted:
            if started:
                tokens.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
    if quoted:
        raise InvalidSettingError('a quote (") is not closed')
    if started:
        tokens.append("".join(current))
    return tokens


def settings_pairs(text: str) -> dict[str, str]:
    """'time=09:00 tz="Europe/Berlin"' to {'time': '09:00', 'tz': 'Europe/Berlin'}, unchecked."""
    if len(text) > MAX_SETTINGS_CHARS:
        raise InvalidSettingError(
            f"settings are at most {MAX_SETTINGS_CHARS:,} characters, not {len(text):,}"
        )
    pairs: dict[str, str] = {}
    for token in _tokens(text):
        name, sep, value = token.partition("=")
        if not sep or not _NAME.fullmatch(name):
            raise InvalidSettingError(
                f"expected key=value pairs such as time=09:00 tz=Europe/Berlin, got {shown(token)}"
            )
        pairs[name] = value
    return pairs


_NAME = re.compile(r"[A-Za-z_]{1,30}")


def parse_settings(text: str) -> dict[str, Any]:
    """Parse 'time=09:00 tz=Europe/Berlin days=mon-fri top=5 categories=cs.LG,cs.CL'."""
    return convert_settings(settings_pairs(text))


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
        """Pause a subscription with the reason (a permanent delivery error, or a request).

        Only the pause is written, nothing re-checked: a row stored by an older, looser
        version (say a channel id of the wrong shape) must still be pausable, or its delivery
        would fail again every day.
        """
        with self.store.transaction() as tx:
            changed = tx.execute(
                "UPDATE subscriptions SET paused = 1, paused_reason = ?, updated_at = ?"
                " WHERE channel = ?",
                [reason, to_iso(now), channel],
            )
        if not changed:
            raise LookupError(f"{channel} has no digest subscription; subscribe first")

    def resume(self, channel: str, now: datetime) -> Subscription:
        """Resume a paused subscription."""
        return self.update(channel, {"paused": False, "paused_reason": ""}, now)
