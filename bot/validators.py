"""Checks for values users type, shared by the CLI, the config file and chat: one message each.

Each returns the normalised value or raises UsageError naming the setting and what to type.
"""

from __future__ import annotations

import difflib
import functools
import math
import os
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.errors import UsageError
from bot.limits import MAX_ITEMS, MAX_KEYWORD_CHARS
from bot.taxonomy import covered_by, parse_categories

__all__ = [
    "check_categories",
    "check_category_filters",
    "check_channel",
    "check_finite",
    "check_folder",
    "check_keywords",
    "check_names",
    "check_time",
    "check_timezone",
    "shown",
    "split_list",
    "unknown_name",
]

_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
# Zones that name no place: a placeholder, the host's own setting, and the tz database's
# internal rules and leap-second variants.
_NOT_PLACES = ("Factory", "localtime", "posixrules")
_NOT_PLACE_PREFIXES = ("posix/", "right/")
_DISCORD_ID = re.compile(r"[0-9]{17,20}")
# Slack conversation ids: C (public), G (private or group DM), D (direct message).
_SLACK_ID = re.compile(r"[CGD][A-Z0-9]{8,12}")
_SHOWN_CHARS = 60


def shown(text: str) -> str:
    """User text quoted for a message: repr (so control characters show), cut to a line."""
    if len(text) > _SHOWN_CHARS:
        return repr(text[:_SHOWN_CHARS]) + f"… ({len(text):,} characters)"
    return repr(text)


def check_time(value: str, *, key: str = "time") -> str:
    """A local time HH:MM (9:30 is 09:30)."""
    match = _TIME.fullmatch(value.strip())
    if match is None:
        raise UsageError(f"{key}: {shown(value)} is not a time like 09:00")
    return f"{int(match[1]):02d}:{match[2]}"


@functools.cache
def _zones() -> dict[str, str]:
    """Every IANA zone that names a place, by its case-folded name."""
    return {
        name.casefold(): name
        for name in zoneinfo.available_timezones()
        if name not in _NOT_PLACES and not name.startswith(_NOT_PLACE_PREFIXES)
    }


def _is_zone(name: str) -> bool:
    """Whether name is one of _zones() exactly as spelled, without listing every zone.

    available_timezones() walks the whole zone tree (a tenth of a small command's start); it
    lists the TZif files under the zone paths and in tzdata, which is what ZoneInfo loads.
    """
    if name in _NOT_PLACES or name.startswith(_NOT_PLACE_PREFIXES):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        return False
    return True


def check_timezone(value: str, *, key: str = "timezone") -> str:
    """An IANA timezone such as Europe/Berlin, in its own spelling (europe/berlin works too)."""
    exact = value.strip()
    if _is_zone(exact):
        return exact
    name = _zones().get(exact.casefold())
    if name is None:
        raise UsageError(f"{key}: {shown(value)} is not an IANA timezone like Europe/Berlin")
    return name


def check_finite(value: float, *, key: str) -> float:
    """A real number: not nan and not infinite."""
    if not math.isfinite(value):
        raise UsageError(f"{key}: {value} is not a number (give one like 10 or 2.5)")
    return value


def split_list(values: Iterable[str]) -> list[str]:
    """Items from values that may each be a comma list, without blanks."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _bounded(items: list[str], key: str) -> list[str]:
    """The items, unless there are more than a list may hold."""
    if len(items) > MAX_ITEMS:
        raise UsageError(f"{key}: {len(items):,} items; at most {MAX_ITEMS} are allowed")
    return items


def check_categories(values: Iterable[str], *, key: str = "categories") -> tuple[str, ...]:
    """arXiv categories (comma lists split, case folded, unknown ones refused with suggestions)."""
    return parse_categories(_bounded(split_list(values), key), key=key)


def check_category_filters(
    include: Iterable[str],
    exclude: Iterable[str],
    *,
    key: str = "categories",
    excluded_key: str = "exclude_categories",
) -> None:
    """No category asked for is also left out: a paper in it could never be listed."""
    exclude = tuple(exclude)
    for category in include:
        by = covered_by(category, exclude)
        if by is not None:
            which = "" if by == category else f" (as part of {by})"
            raise UsageError(
                f"{key}: {category} is also in {excluded_key}{which}, so no paper in it could"
                " ever be listed; keep it in one of the two"
            )


def check_keywords(values: Iterable[str], *, key: str = "keywords") -> tuple[str, ...]:
    """Keywords: bounded in number and length, blanks dropped, duplicates once."""
    found: list[str] = []
    for word in _bounded(split_list(values), key):
        if len(word) > MAX_KEYWORD_CHARS:
            raise UsageError(f"{key}: {shown(word)} is longer than {MAX_KEYWORD_CHARS} characters")
        if word.casefold() not in (w.casefold() for w in found):
            found.append(word)
    return tuple(found)


def unknown_name(name: str, known: Sequence[str], what: str) -> str:
    """Why a name is refused: the closest known names, then all of them."""
    close = difflib.get_close_matches(name.strip().casefold(), known, n=2)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return f"{shown(name)} is not a {what} ({hint}{what}s: {', '.join(known)})"


def check_names(
    values: Iterable[str], known: Sequence[str], *, key: str, what: str
) -> tuple[str, ...]:
    """Names from a fixed set (comma lists split, case folded, repeats once), else one error."""
    found: list[str] = []
    for name in split_list(values):
        if name.casefold() not in known:
            raise UsageError(f"{key}: {unknown_name(name, known, what)}")
        if name.casefold() not in found:
            found.append(name.casefold())
    return tuple(found)


def check_channel(channel: str) -> str:
    """A channel in its platform's shape: discord:<snowflake>, slack:<C/G/D id>, markdown:<dir>."""
    platform, sep, target = channel.strip().partition(":")
    if platform == "discord" and _DISCORD_ID.fullmatch(target):
        return f"discord:{target}"
    if platform == "slack" and _SLACK_ID.fullmatch(target):
        return f"slack:{target}"
    if platform == "markdown" and target.strip():
        return f"markdown:{target}"
    if sep and platform == "discord":
        why = "a Discord channel id is 17 to 20 digits (Developer Mode: Copy Channel ID)"
    elif sep and platform == "slack":
        why = "a Slack channel id looks like C0123456789 (channel details, at the bottom)"
    elif sep and platform == "markdown":
        why = "give the folder, e.g. markdown:posts"
    else:
        why = "use discord:<channel id>, slack:<channel id> or markdown:<folder>"
    raise UsageError(f"channel: {shown(channel)}: {why}")


def check_folder(channel: str) -> str:
    """A markdown:<folder> channel's folder: a writable folder, or one its writable parent can hold.

    Checked where a Markdown channel enters (subscribe, post), so a file or an unwritable place
    is refused at once rather than failing at the first post.
    """
    if not channel.startswith("markdown:"):
        return channel
    folder = Path(channel.removeprefix("markdown:"))
    if folder.exists():
        if not folder.is_dir():
            raise UsageError(f"{channel}: {folder} is a file, not a folder for posts")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"{channel}: cannot write in {folder} (permission denied)")
        return channel
    parent = folder.parent
    if not parent.is_dir():
        raise UsageError(f"{channel}: neither {folder} nor its parent {parent} is a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{channel}: cannot create {folder} in {parent} (permission denied)")
    return channel
