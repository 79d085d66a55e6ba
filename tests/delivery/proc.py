"""A real `hotpapers run` / `hotpapers post` process for fault-injection tests.

It is the runner and the post command as shipped, with two test-only differences: channels post
to the local fake platform over HTTP, and the clock starts at --now (then runs in real time).
Usage: python -m tests.delivery.proc run|post --db DB --fake URL --now ISO [--channel C --day D]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.adapters.markdown import MarkdownChannel
from bot.app import build_app, build_deliverer, build_runner
from bot.config import Config, Env, Settings
from bot.delivery.manual import post_once
from bot.delivery.runner import run
from bot.timeutil import Clock
from tests.delivery.fakechannel import HttpChannel, SlackHttpChannel


def shifted_clock(start: datetime) -> Clock:
    """A clock that reads `start` now and then advances in real time."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


async def main(args: argparse.Namespace) -> int:
    # Config() reads HOTPAPERS_* variables (e.g. HOTPAPERS_DELIVERY__LEASE_SECONDS) itself.
    settings = Settings(config=Config(), env=Env(hotpapers_db=Path(args.db)))
    app = build_app(settings, clock=shifted_clock(datetime.fromisoformat(args.now)))
    discord, slack = HttpChannel(args.fake, args.per_message), SlackHttpChannel(args.fake)
    channels = {"discord": discord, "slack": slack,
                "markdown": MarkdownChannel(settings.config.markdown)}  # fmt: skip
    try:
        if args.command == "run":
            await run(build_runner(app, channels=channels), host="127.0.0.1", port=args.port)
            return 0
        sub = app.subscriptions.get(args.channel)
        assert sub is not None, args.channel
        day = date.fromisoformat(args.day) if args.day else None
        outcome = await post_once(build_deliverer(app, channels), sub, day, app.clock)
        print(json.dumps(asdict(outcome), default=str), flush=True)
        return 0
    finally:
        await discord.close()
        await slack.close()
        await app.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=("run", "post"))
    parser.add_argument("--db", required=True)
    parser.add_argument("--fake", required=True)
    parser.add_argument("--now", required=True)
    parser.add_argument("--port", type=int)
    parser.add_argument("--per-message", type=int, default=2)
    parser.add_argument("--channel")
    parser.add_argument("--day")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(process)d %(name)s: %(message)s")  # fmt: skip
    sys.exit(asyncio.run(main(parser.parse_args())))
