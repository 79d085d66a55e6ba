"""One exception tree for the product: every failure a user can meet is a HotpapersError.

Each edge (the CLI, the chat adapters, the web server) catches HotpapersError once and shows
its message as one line; the kind decides the CLI's exit status (see docs/cli.md).
"""

from __future__ import annotations

import os

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "ConfigError",
    "HotpapersError",
    "NetworkError",
    "PlatformError",
    "StoreError",
    "UsageError",
    "network_reason",
]

EXIT_OK = 0
EXIT_FAILURE = 1  # something failed; nothing was changed that should not have been
EXIT_USAGE = 2  # the command line, the config file or the environment is wrong
EXIT_PARTIAL = 3  # done, but some sources failed (fetch, and digest when it fetched)


class HotpapersError(Exception):
    """The root: a failure with a one-line message that says what went wrong and what to do."""

    exit_code = EXIT_FAILURE


class UsageError(HotpapersError, ValueError):
    """Input that cannot be used as given: an option, a chat argument, a setting's value."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """The config file or an environment variable is wrong (the message names which)."""


class StoreError(HotpapersError):
    """The SQLite store cannot be opened, read or written (locked, read-only, not ours, full)."""


class NetworkError(HotpapersError):
    """An outside host could not be reached or answered with something unusable."""


class PlatformError(HotpapersError):
    """Discord or Slack refused or failed a request (a token, a permission, an outage)."""


def network_reason(error: BaseException) -> str:
    """Why a connection failed, in a few words: 'connection refused', 'timed out'."""
    cause: BaseException | None = getattr(error, "os_error", None) or error
    errno = getattr(cause, "errno", None)
    if isinstance(errno, int) and errno > 0:
        return os.strerror(errno).lower()
    if isinstance(error, TimeoutError):
        return "timed out"
    return str(error) or type(error).__name__
