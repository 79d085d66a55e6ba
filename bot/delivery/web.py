"""The runner's web server: GET /healthz, plus whatever routes adapters mount."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

__all__ = ["HealthReport", "health_app", "start_web"]

HealthReport = Callable[[], tuple[bool, dict[str, Any]]]


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
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = port
    for address in runner.addresses:
        if isinstance(address, tuple):
            bound = int(address[1])
            break
    return runner, bound
