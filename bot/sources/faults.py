"""Which transport failures may heal within a run, as pure functions of the exception."""

from __future__ import annotations

import errno
import os
import socket
import ssl
from enum import Enum

import httpx

__all__ = ["Fault", "classify", "describe_error"]


class Fault(Enum):
    """How a failed try is retried."""

    TRANSIENT = "transient"  # timeouts, resets, 5xx: retried with backoff
    UNREACHABLE = "unreachable"  # no such host, no route, refused: one retry, then the run skips it
    FINAL = "final"  # the same request would fail the same way: never retried


_UNREACHABLE_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL}
)


def _causes(error: BaseException) -> list[BaseException]:
    """The error and every error it was raised from, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def classify(error: httpx.TransportError) -> Fault:
    """Whether a transport error may heal if the request is tried again."""
    if isinstance(error, httpx.UnsupportedProtocol | httpx.ProxyError):
        return Fault.FINAL
    for cause in _causes(error):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return Fault.FINAL  # a certificate does not become valid within a run
        if isinstance(cause, socket.gaierror):
            return Fault.UNREACHABLE
        if isinstance(cause, OSError) and cause.errno in _UNREACHABLE_ERRNOS:
            return Fault.UNREACHABLE
    return Fault.TRANSIENT


def describe_error(error: BaseException) -> str:
    """A short description of a transport error: the words of its deepest cause."""
    for cause in reversed(_causes(error)):
        if isinstance(cause, socket.gaierror) and cause.strerror:
            return cause.strerror  # "Name or service not known"
        if isinstance(cause, OSError) and cause.errno and cause.errno > 0:
            return os.strerror(cause.errno)  # "Connection refused"
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
