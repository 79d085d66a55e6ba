"""How a source fails: each kind is a NetworkError with the source's name and a one-line reason."""

from __future__ import annotations

from bot.errors import NetworkError

__all__ = [
    "AuthError",
    "DeadlineError",
    "ParseError",
    "RedirectError",
    "SourceError",
    "TooLargeError",
    "UnreachableError",
]


class SourceError(NetworkError):
    """A source could not deliver; the message names the source and says why, in one line."""

    def __init__(self, source: str, reason: str) -> None:
        """Keep the source and the reason apart so reports can show either."""
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class ParseError(SourceError):
    """The payload was not what the source documents (truncated, wrong types, missing fields)."""


class AuthError(SourceError):
    """The credentials were refused."""


class UnreachableError(SourceError):
    """The host cannot be reached in this run (no such name, no route, connection refused)."""


class DeadlineError(SourceError):
    """A request or the source's whole run took longer than its configured deadline."""


class TooLargeError(SourceError):
    """A response was larger than the source's limit, before or after decompression."""


class RedirectError(SourceError):
    """A redirect led off the requested host (and the allow-list) or away from http(s)."""
