"""Headless Chromium (Debian's package) driven over the DevTools protocol, for end-to-end tests.

A small client on aiohttp's websocket, which the project already depends on: the tests need a
handful of commands (navigate, evaluate, screenshot, viewport, media), not a browser library that
downloads browsers of its own. Console messages, uncaught exceptions, CSP violations, failed
loads and JavaScript dialogs are all recorded, so a test can assert that none happened.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

EXECUTABLE = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
    "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
)  # fmt: skip


class BrowserError(RuntimeError):
    """Chromium did not start, or answered a command with an error."""


@dataclass
class Tab:
    """One page (a CDP target session) and everything it reported."""

    browser: Browser
    session: str
    problems: list[str] = field(default_factory=list)  # console errors, exceptions, CSP...
    dialogs: list[str] = field(default_factory=list)  # alert/confirm/prompt: script ran
    loaded: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        return await self.browser.send(method, params, session=self.session)

    def event(self, method: str, params: dict[str, Any]) -> None:
        """Record what a test may assert on."""
        if method == "Page.loadEventFired":
            self.loaded.set()
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "")
            self.problems.append(f"exception: {text}")
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.problems.append(f"console.{params['type']}: {args}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            entry = params["entry"]
            self.problems.append(f"{entry['source']} {entry['level']}: {entry['text']}")
        elif method == "Page.javascriptDialogOpening":
            self.dialogs.append(params.get("message", ""))
            task = asyncio.create_task(self.send("Page.handleJavaScriptDialog", accept=False))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def goto(self, url: str) -> None:
        """Load a page and wait (up to 30 s) for its load event."""
        self.loaded.clear()
        result = await self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise BrowserError(f"{url}: {result['errorText']}")
        async with asyncio.timeout(30):
            await self.loaded.wait()

    async def eval(self, expression: str) -> Any:
        """Evaluate JavaScript in the page (awaiting a promise) and return its JSON value."""
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def viewport(self, width: int, height: int, *, mobile: bool = False) -> None:
        """Emulate a screen (a phone with mobile=True)."""
        await self.send(
            "Emulation.setDeviceMetricsOverride", width=width, height=height,
            deviceScaleFactor=1, mobile=mobile,
        )  # fmt: skip

    async def color_scheme(self, scheme: str) -> None:
        """Emulate prefers-color-scheme: 'light' or 'dark'."""
        await self.send(
            "Emulation.setEmulatedMedia",
            features=[{"name": "prefers-color-scheme", "value": scheme}],
        )

    async def javascript(self, enabled: bool) -> None:
        """Turn script execution on or off (for the next navigation)."""
        await self.send("Emulation.setScriptExecutionDisabled", value=not enabled)

    async def screenshot(self) -> bytes:
        """A PNG of the viewport."""
        result = await self.send("Page.captureScreenshot", format="png")
        return base64.b64decode(result["data"])


class Browser:
    """A Chromium process and its DevTools websocket."""

    def __init__(self, process: asyncio.subprocess.Process, profile: Path) -> None:
        self.process = process
        self.profile = profile
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.tabs: dict[str, Tab] = {}
        self.http: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """Wait (up to 30 s) for Chromium's DevTools port, then open the browser websocket."""
        port_file = self.profile / "DevToolsActivePort"
        try:
            async with asyncio.timeout(30):
                while not port_file.exists() or not port_file.read_text().strip():
                    if self.process.returncode is not None:
                        raise BrowserError(f"chromium exited with {self.process.returncode}")
                    await asyncio.sleep(0.05)
        except TimeoutError:
            raise BrowserError("chromium did not open its DevTools port") from None
        port, path = port_file.read_text().split("\n")[:2]
        self.http = aiohttp.ClientSession()
        self.ws = await self.http.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0)
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        """Route answers to their commands and events to their tabs."""
        assert self.ws is not None
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if "id" in data:
                future = self.pending.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)
            elif data.get("sessionId") in self.tabs:
                self.tabs[data["sessionId"]].event(data["method"], data.get("params", {}))
        for future in self.pending.values():
            if not future.done():
                future.set_exception(BrowserError("the DevTools connection closed"))

    async def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None
    ) -> dict[str, Any]:
        """Send one command and wait for its answer."""
        assert self.ws is not None
        ident = next(self.ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[ident] = future
        await self.ws.send_str(json.dumps(message))
        answer = await asyncio.wait_for(future, 60)
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    async def new_tab(self) -> Tab:
        """A fresh page with console, log and dialog reporting on."""
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        tab = Tab(self, attached["sessionId"])
        self.tabs[tab.session] = tab
        for domain in ("Page", "Runtime", "Log"):
            await tab.send(f"{domain}.enable")
        return tab

    async def close(self) -> None:
        """Close the websocket and the browser process."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.send("Browser.close"), 5)
        if self.ws is not None:
            await self.ws.close()
        if self.http is not None:
            await self.http.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        if self.process.returncode is None:
            self.process.terminate()
        try:
            async with asyncio.timeout(10):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        # Its renderer and helper processes share the group it leads: end them too, so none
        # still writes into the profile folder while it is removed.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium for the duration of a block, its profile removed afterwards."""
    if EXECUTABLE is None:
        raise BrowserError("chromium is not installed")
    profile = Path(tempfile.mkdtemp(prefix="hotpapers-chromium-"))
    try:
        process = await asyncio.create_subprocess_exec(
            EXECUTABLE, *FLAGS, f"--user-data-dir={profile}", "about:blank",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        browser = Browser(process, profile)
        try:
            await browser.connect()
            yield browser
        finally:
            await browser.close()
    finally:
        for _ in range(50):  # a process just killed may still be closing files in it
            if _removed(profile):
                break
            await asyncio.sleep(0.1)


def _removed(folder: Path) -> bool:
    """Try to delete a folder tree; True once it is gone."""
    shutil.rmtree(folder, ignore_errors=True)
    return not folder.exists()
