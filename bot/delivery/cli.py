"""CLI commands: subscribe, unsubscribe, channels, post, status, run."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.app import open_store
from bot.argtypes import add_filters, day, finite, port, whole
from bot.config import Settings
from bot.delivery.defaults import default_subscription
from bot.delivery.health import SourceStatus
from bot.delivery.lease import SCHEDULER, Leases
from bot.delivery.ledger import Kind, Ledger, ledger_day
from bot.delivery.platform_state import PlatformState, chat_platforms
from bot.delivery.status import channel_status, source_lines
from bot.errors import EXIT_PARTIAL, ConfigError, HotpapersError, PlatformError, UsageError
from bot.limits import MAX_CHANNEL_WEIGHT, MAX_COUNT, MAX_REPEAT_DAYS
from bot.subscriptions import (
    LAYOUTS,
    Subscription,
    Subscriptions,
    parse_weekday,
    parse_weekdays,
    validate,
)
from bot.taxonomy import unfollowed_note
from bot.timeutil import utcnow
from bot.validators import check_channel, check_folder

__all__ = ["add_commands", "cmd_channels", "cmd_post", "cmd_run", "cmd_status", "cmd_subscribe",
           "cmd_unsubscribe"]  # fmt: skip

if TYPE_CHECKING:  # post and run import the delivery stack (aiohttp, adapters) themselves
    from bot.delivery.deliver import Outcome, Preview
    from bot.store import Store

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

log = logging.getLogger("hotpapers")
CHANNEL_HELP = "discord:<channel id>, slack:<channel id> or markdown:<folder>"


def _entering(channel: str) -> str:
    """A channel name given on the command line: the platform's id shape, a usable folder."""
    return check_folder(check_channel(channel))


def _known(channel: str) -> UsageError:
    """The error for a channel with no subscription: its shape is wrong, or it is not subscribed."""
    check_channel(channel)
    return UsageError(f"{channel} has no subscription (see `hotpapers channels`)")


def _changes(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line (the others keep their current value)."""
    given: dict[str, Any] = {
        "time": args.time, "timezone": args.tz, "top": args.top, "ranking": args.ranking,
        "empty_day": args.empty, "min_score": args.min_score, "repeat_days": args.repeat_days,
        "workspace": args.workspace, "channel_weight": args.channel_weight, "layout": args.layout,
    }  # fmt: skip
    changes = {key: value for key, value in given.items() if value is not None}
    if args.days is not None:
        changes["days"] = parse_weekdays(args.days)
    if args.weekly is not None:
        changes["weekly"] = parse_weekday(args.weekly)
    for key, values in (("categories", args.category), ("exclude_categories", args.exclude),
                        ("keywords", args.keyword)):  # fmt: skip
        if values:
            changes[key] = tuple(values)
    return changes


def cmd_subscribe(args: argparse.Namespace, settings: Settings) -> int:
    """Subscribe a channel, or change its settings (this also resumes a paused one)."""
    channel = _entering(args.channel)
    changes = _changes(args)
    store = open_store(settings)
    try:
        subs = Subscriptions(store)
        now = utcnow()
        base = subs.get(channel) or default_subscription(channel, settings.config)
        sub = subs.save(replace(base, paused=False, paused_reason="", **changes), now)
        print(f"Subscribed: {sub.describe()}")
        _warn_unfollowed(sub, settings)
        print(channel_status(sub, Ledger(store, utcnow), now, waiting_for=_waiting(sub, settings)))
    finally:
        store.close()
    return 0


def _warn_unfollowed(sub: Subscription, settings: Settings) -> None:
    """Say so when a category asked for is outside every listing fetched: it will rarely match."""
    note = unfollowed_note(sub.categories, settings.config.sources.categories)
    if note:
        log.warning("%s: %s (add it there to follow its listing)", sub.channel, note)


def cmd_unsubscribe(args: argparse.Namespace, settings: Settings) -> int:
    """Stop a channel's digest."""
    store = open_store(settings)
    try:
        if not Subscriptions(store).remove(args.channel):
            raise _known(args.channel)
    finally:
        store.close()
    print(f"Unsubscribed {args.channel}.")
    return 0


def cmd_channels(args: argparse.Namespace, settings: Settings) -> int:
    """List the subscribed channels and their settings."""
    store = open_store(settings)
    try:
        subs = Subscriptions(store).all()
    finally:
        store.close()
    if not subs:
        print("No subscriptions. Add one: hotpapers subscribe discord:<channel id> --time 09:00")
    for sub in subs:
        print(sub.describe())
    return 0


def _waiting(sub: Subscription, settings: Settings) -> str:
    """Why `hotpapers run` would not schedule a subscription ('' when it would)."""
    return PlatformState(chat_platforms(settings.env)).waiting_for(sub.platform)


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print the runner, each channel's last and next digest, and the sources' health."""
    store = open_store(settings)
    try:
        now = utcnow()
        subs = Subscriptions(store).all()
        if args.channel:
            subs = [s for s in subs if s.channel == args.channel]
            if not subs:
                raise _known(args.channel)
        holder = Leases(store).holder(SCHEDULER)
        print(f"Runner: {'running as ' + holder if holder else 'not running'}")
        ledger = Ledger(store, utcnow)
        for sub in subs:
            print(f"\n{sub.describe()}")
            text = channel_status(sub, ledger, now, waiting_for=_waiting(sub, settings))
            print("\n".join(f"  {line}" for line in text.splitlines()))
        lines = source_lines(SourceStatus(store), now)
        print("\nSources:" if lines else "\nSources: never fetched")
        print("\n".join(f"  {line}" for line in lines))
    finally:
        store.close()
    return 0


def _postable(settings: Settings, store: Store, channel: str, kind: Kind = "daily") -> Subscription:
    """The subscription to post (the defaults for a one-off), if it can be posted at all."""
    check_channel(channel)
    platform = channel.partition(":")[0]
    if kind == "weekly" and platform == "markdown":
        raise UsageError("--weekly: a weekly digest is for Discord and Slack channels")
    why = PlatformState(chat_platforms(settings.env)).waiting_for(platform)
    if why:
        raise ConfigError(f"cannot post to {channel}: no {platform} adapter: {why}")
    sub = Subscriptions(store).get(channel)
    if sub is None:  # a one-off post to a channel with no subscription uses the defaults
        sub = validate(default_subscription(_entering(channel), settings.config))
    if sub.paused:
        raise UsageError(
            f"{channel} is paused ({sub.paused_reason or 'by request'});"
            f" `hotpapers subscribe {channel}` resumes it"
        )
    return sub


async def _post(
    settings: Settings, store: Store, sub: Subscription, day: date | None, wait: float, *,
    dry_run: bool, kind: Kind,
) -> Outcome | Preview:  # fmt: skip
    """Build the app and the one adapter needed, post (or preview), close everything."""
    from bot.app import build_app, build_deliverer, build_platforms
    from bot.delivery.manual import post_once, preview_once

    app = build_app(settings, store=store)
    try:
        platforms = build_platforms(app, only=[sub.platform])
        try:
            why = platforms.waiting_for(sub.platform)
            if why:
                raise PlatformError(f"cannot post to {sub.channel}: {why}")
            deliverer = build_deliverer(app, platforms.channels)
            if dry_run:
                return await preview_once(deliverer, sub, day, app.clock, kind)
            return await post_once(deliverer, sub, day, app.clock, wait_seconds=wait, kind=kind)
        finally:
            await platforms.close()
    finally:
        await app.aclose()


def cmd_post(args: argparse.Namespace, settings: Settings) -> int:
    """Post a channel's digest now, through the ledger: never twice, even beside `run`.

    --weekly posts the channel's weekly digest instead: the week up to the digest time, once
    per ISO week (a week already posted, on any weekday, is not posted again). Like `digest`,
    it fetches first when the store holds nothing fresh. --dry-run prints the messages it
    would post (Markdown as the file's text, Discord and Slack as the JSON of each message)
    and records nothing.
    """
    from bot.delivery.deliver import Preview
    from bot.freshness import ensure_fresh

    check_channel(args.channel)  # before opening, building or fetching anything
    kind: Kind = "weekly" if args.weekly else "daily"
    store = open_store(settings)
    try:
        sub = _postable(settings, store, args.channel, kind)
        partial = ensure_fresh(store, settings, utcnow(), args.date)
    except BaseException:
        store.close()
        raise
    import asyncio  # here: only post and run need an event loop

    outcome = asyncio.run(
        _post(settings, store, sub, args.date, args.wait, dry_run=args.dry_run, kind=kind)
    )
    if isinstance(outcome, Preview):
        _print_preview(outcome, kind)
        return EXIT_PARTIAL if partial else 0
    text = f"{outcome.channel} {_when(outcome.day, kind)}: {outcome.detail or outcome.status}"
    if outcome.status in ("sent", "done", "skipped"):
        verb = {"sent": "Posted", "done": "Already done", "skipped": "Skipped"}[outcome.status]
        print(f"{verb}: {text}")
        return EXIT_PARTIAL if partial else 0
    if outcome.status == "failed":
        raise PlatformError(f"{text}; the subscription is paused")
    if outcome.status == "busy":
        raise HotpapersError(f"{text}; try again when it is done")
    raise PlatformError(f"{text}; `hotpapers run` will retry it")


def _when(day: date, kind: Kind) -> str:
    """A digest's day, or a weekly one's week: '2026-11-26', 'weekly, week of 2026-11-23'."""
    return f"weekly, week of {ledger_day(day, kind)}" if kind == "weekly" else f"{day}"


def _print_preview(preview: Preview, kind: Kind = "daily") -> None:
    """The messages on stdout, exactly as they would be posted; what it would do on stderr."""
    print(f"{preview.channel} {_when(preview.day, kind)}: {preview.note}", file=sys.stderr)
    for message in preview.messages:
        if "markdown" in message.payload:
            sys.stdout.write(str(message.payload["markdown"]))
        else:
            print(json.dumps(message.payload, indent=2, ensure_ascii=False))


async def _run(settings: Settings, port: int | None) -> None:
    """Build the app, run until stopped, close."""
    from bot.app import build_app, build_runner, sources_fetch
    from bot.delivery.runner import run

    app = build_app(settings)
    try:
        await run(build_runner(app, fetch=sources_fetch(app)), port=port)
    finally:
        await app.aclose()


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the bot: scheduler, fetches, adapters and /healthz, until SIGTERM or Ctrl-C."""
    import asyncio

    asyncio.run(_run(settings, args.port))
    return 0


def _parser(sub: Subparsers, name: str, handler: Callable[..., int], help_: str) -> Any:
    """Add a subcommand whose description is its handler's docstring."""
    parser = sub.add_parser(name, help=help_, description=handler.__doc__)
    parser.set_defaults(handler=handler)
    return parser


def _subscribe_options(p: argparse.ArgumentParser) -> None:
    """subscribe's settings."""
    p.add_argument("channel", help=CHANNEL_HELP)
    # Settings not given keep their value; a new subscription starts from the defaults named.
    p.add_argument(
        "--time", help="local time of the digest, HH:MM (new: 09:00; Markdown: [markdown] time)"
    )
    p.add_argument(
        "--tz", help="IANA timezone such as Europe/Berlin (new: UTC; Markdown: [markdown] timezone)"
    )
    p.add_argument("--days", help="mon-fri (new), daily, or e.g. mon,wed,fri")
    p.add_argument(
        "--top",
        type=whole(1, MAX_COUNT),
        help=f"how many papers, 1-{MAX_COUNT} (new: [digest] top)",
    )
    add_filters(p)
    p.add_argument("--ranking", choices=("hot", "seed"), help="ranking (default: config, hot)")
    p.add_argument("--empty", choices=("skip", "note"), help="on a day with no papers")
    p.add_argument(
        "--repeat-days", type=whole(0, MAX_REPEAT_DAYS),
        help=f"days before a paper may be shown again, 0-{MAX_REPEAT_DAYS}",
    )  # fmt: skip
    p.add_argument(
        "--channel-weight", type=finite, metavar="WEIGHT",
        help="what each person reacting to a paper here adds to its score,"
        f" 0-{MAX_CHANNEL_WEIGHT:g} (default 0: reactions do not count)",
    )  # fmt: skip
    p.add_argument(
        "--layout", choices=LAYOUTS,
        help="grouped (ten papers a message, default) or per-paper (a header, then one message"
        " per paper)",
    )  # fmt: skip
    p.add_argument(
        "--weekly", metavar="DAY",
        help="also post the week's best on this weekday, e.g. fri (off: no weekly digest)",
    )  # fmt: skip
    p.add_argument("--workspace", help="Slack workspace (team) id")


def add_commands(sub: Subparsers) -> None:
    """Add the delivery commands to the `hotpapers` parser."""
    _subscribe_options(_parser(sub, "subscribe", cmd_subscribe, "subscribe a channel"))
    p = _parser(sub, "unsubscribe", cmd_unsubscribe, "stop a channel's digest")
    p.add_argument("channel", help=CHANNEL_HELP)
    _parser(sub, "channels", cmd_channels, "list subscribed channels")
    p = _parser(sub, "post", cmd_post, "post a channel's digest now (exactly once)")
    p.add_argument("--channel", required=True, help=CHANNEL_HELP)
    p.add_argument("--date", type=day, help="digest day, YYYY-MM-DD (default: today there)")
    p.add_argument(
        "--weekly", action="store_true",
        help="post the weekly digest (the week up to that day) unless its week's is out",
    )  # fmt: skip
    p.add_argument(
        "--wait", type=finite, default=60.0,
        help="seconds to wait while another process posts it (default: 60)",
    )  # fmt: skip
    p.add_argument(
        "--dry-run", action="store_true",
        help="print what would be posted (the channel's settings applied); record nothing",
    )  # fmt: skip
    p = _parser(sub, "status", cmd_status, "last and next digest per channel, source health")
    p.add_argument("--channel", help="only this channel")
    p = _parser(sub, "run", cmd_run, "run the bot (scheduler, adapters, /healthz)")
    p.add_argument(
        "--port", type=port, help="web server port, 0-65535 (default: $PORT; none if unset)"
    )
