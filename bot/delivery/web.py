"""The runner's web server: GET /healthz, plus whatever routes adapters mount."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from bot.errors import NetworkError, network_reason
from bot.throttle import Throttle

__all__ = ["HealthReport", "health_app", "start_web"]

HealthReport = Callable[[], tuple[bool, dict[str, Any]]]
log = logging.getLogger("hotpapers.web")


class ServerLog(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's server log, except that a request it cannot parse (bad header, bad length,
    line too long, a broken body left unread) is one short rate-limited line instead of a
    traceback quoting the request."""

    def __init__(self, logger: logging.Logger, throttle: Throttle | None = None) -> None:
        """Log through logger; throttle decides which malformed-request lines get through."""
        super().__init__(logger)
        self.throttle = throttle or Throttle()

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        """A request that failed to parse: one line; anything else: the full traceback."""
        error = kwargs.get("exc_info")
        if not isinstance(error, HttpProcessingError | RequestPayloadError):
            super().exception(msg, *args, **kwargs)
            return
        dropped = self.throttle.allow()
        if dropped is not None:
            more = f" ({dropped} more not logged)" if dropped else ""
            self.warning(
                "malformed HTTP request from %s refused (HTTP %s, %s)%s",
                args[0] if args else "?",  # aiohttp passes request.remote
                getattr(error, "code", 400),
                type(error).__name__,
                more,
            )


def health_app(report: HealthReport) -> web.Application:
    """An aiohttp application answering GET /healthz with the report as JSON."""

    async def healthz(request: web.Request) -> web.Response:
        """200 while the process works (a standby works), 503 when it does not."""
        ok, body = report()
        return web.json_response(body, status=200 if ok else 503)

    web_app = web.Application()
    web_app.router.add_get("/healthz", healthz)
    return web_app


async def start_web(web_app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve the application; return its runner and the port bound (port 0 picks one)."""
    # Nothing we serve takes compressed bodies (Slack signs plain bytes): never inflate one.
    runner = web.AppRunner(web_app, access_log=None, logger=ServerLog(log), auto_decompress=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        raise NetworkError(
            f"cannot listen on {host}:{port} ({network_reason(error)});"
            " choose another with --port or PORT"
        ) from None
    bound = port
    for address in runner.addresses:
        if isinstance(address, tuple):
            bound = int(address[1])
            break
    return runner, bound
