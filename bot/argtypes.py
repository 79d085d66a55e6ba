"""The command line's parser and argument types, shared by every subcommand: one message each."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, NoReturn
from urllib.parse import urlsplit

from bot.errors import UsageError
from bot.untrusted import is_web_url

__all__ = ["Parser", "add_filters", "day", "finite", "port", "public_url", "whole"]


# What a negative number looks like to the parser: argparse's own pattern knows only -5 and -.5,
# so `--min-score -1e3` or `-inf` was taken for an unknown option ("expected one argument").
_NEGATIVE_NUMBER = re.compile(
    r"^-(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE
)


_PROG = "_hotpapers_prog"  # where the parsing command's name rides on the namespace


class Parser(argparse.ArgumentParser):
    """argparse with mistakes raised as UsageError, so main prints them as its one line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """argparse's parser, reading any negative number as a value (no option looks like one)."""
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message: str) -> NoReturn:
        """Raise instead of printing usage and exiting."""
        raise UsageError(f"{message} (see `{self.prog} --help`)")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """argparse's, noting the innermost (sub)command that parsed, for the error's help hint."""
        parsed, extras = super().parse_known_args(args, namespace)
        if not hasattr(parsed, _PROG):  # the innermost parser returns first
            setattr(parsed, _PROG, self.prog)
        return parsed, extras

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """argparse's; words no command takes point at that command's help, not the top one."""
        parsed, extras = self.parse_known_args(args, namespace)
        prog = getattr(parsed, _PROG, self.prog)
        delattr(parsed, _PROG)
        if extras:
            raise UsageError(f"unrecognized arguments: {' '.join(extras)} (see `{prog} --help`)")
        return parsed


def day(text: str) -> date:
    """YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not a date: use YYYY-MM-DD, e.g. 2021-06-25"
        ) from None


def public_url(text: str) -> str:
    """An https address others reach this bot at, e.g. https://bot.example.org (no trailing /)."""
    parts = urlsplit(text) if is_web_url(text) else None
    if parts is None or parts.scheme.lower() != "https" or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(
            f"{text[:60]!r} is not an https address like https://bot.example.org"
            " (Slack sends events to https URLs only)"
        )
    return text.rstrip("/")


def finite(text: str) -> float:
    """A real number (not nan, not infinite)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number like 10 or 2.5")
    return value


def whole(low: int, high: int) -> Callable[[str], int]:
    """A whole number from low to high."""

    def parse(text: str) -> int:
        if not _digits(text) or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(
                f"{text[:40]!r} is not a whole number from {low} to {high}"
            )
        return int(text)

    parse.__name__ = f"whole number {low}-{high}"
    return parse


def _digits(text: str) -> bool:
    """Whether text is an optionally signed run of at most 9 ASCII digits."""
    body = text.strip().removeprefix("-").removeprefix("+")
    return 0 < len(body) <= 9 and body.isascii() and body.isdigit()


def add_filters(parser: argparse.ArgumentParser) -> None:
    """The paper filters `digest` and `subscribe` share: categories, keywords, a minimum score."""
    parser.add_argument(
        "--category", action="append", default=[],
        help="only papers in this arXiv category or archive, e.g. cs.LG (repeatable, or a,b)",
    )  # fmt: skip
    parser.add_argument(
        "--exclude", action="append", default=[],
        help="leave out this arXiv category (repeatable, or a,b)",
    )  # fmt: skip
    parser.add_argument(
        "--keyword", action="append", default=[],
        help="only papers mentioning this word in title or abstract (repeatable)",
    )  # fmt: skip
    parser.add_argument("--min-score", type=finite, help="leave out papers scoring less")


port = whole(0, 65535)
port.__doc__ = "A TCP port, 0 to 65535 (0: any free port)."
