"""The `hotpapers` command line: digest, export, import, plus each feature's commands."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.errors import CommandError
from bot.models import Selection

# A command imports only what it runs (bench/bench_start.py measures it): the store, ranking,
# renderers, HTTP and the chat platforms are imported by the handlers that use them.
if TYPE_CHECKING:
    from bot.config import Settings
    from bot.models import Digest
    from bot.service import HotPapersService

__all__ = ["main"]

log = logging.getLogger("hotpapers")
Handler = Callable[[argparse.Namespace, "Settings"], int]


def _day(text: str) -> date:
    """argparse type for YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2021-06-25") from None


def _selection(args: argparse.Namespace, service: HotPapersService, ranking: str) -> Selection:
    """The configured default selection with the command line's overrides."""
    base = service.default_selection("seed" if ranking == "seed" else "hot")
    return Selection(
        top=args.top if args.top is not None else base.top,
        include_categories=tuple(args.category) or base.include_categories,
        exclude_categories=tuple(args.exclude) or base.exclude_categories,
        keywords=tuple(args.keyword) or base.keywords,
        min_score=args.min_score if args.min_score is not None else base.min_score,
    )


def render(digest: Digest, fmt: str, settings: Settings) -> str:
    """Render a digest in one of the CLI's formats."""
    from bot.digest import render_json, render_markdown, render_text

    if fmt == "markdown":
        return render_markdown(digest, settings.config.markdown)
    if fmt == "json":
        return render_json(digest)
    return render_text(digest)


def _snapshot_service(path: Path, settings: Settings) -> HotPapersService:
    """A service over an in-memory store holding just the snapshot: the real store is untouched."""
    from bot.app import open_store
    from bot.service import HotPapersService, utcnow
    from bot.snapshot import load_snapshot

    snap = load_snapshot(path)
    store = open_store(settings, ":memory:")
    seen = max((p.observed_at for p in snap.posts), default=None)
    store.ingest(snap.papers, snap.posts, snap.signals, seen_at=seen or utcnow())
    return HotPapersService(store, settings.config, whole_store=True)


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    """Print a ranked digest to standard output."""
    ranking = args.ranking or settings.config.ranking.default
    if args.snapshot:
        service = _snapshot_service(args.snapshot, settings)
    else:
        from bot.app import failing_sources, open_store
        from bot.freshness import ensure_fresh
        from bot.service import HotPapersService, utcnow

        store = open_store(settings)
        ensure_fresh(store, settings, utcnow(), args.date)
        service = HotPapersService(store, settings.config, failing_sources=failing_sources(store))
    digest = service.digest(
        day=args.date or service.today(),
        ranking=ranking,
        selection=_selection(args, service, ranking),
    )
    sys.stdout.write(render(digest, args.format, settings))
    log.info("digest: %d papers (%s ranking)", len(digest.papers), ranking)
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the whole store to a snapshot file."""
    from bot.app import open_store
    from bot.snapshot import dump_snapshot

    store = open_store(settings)
    text = dump_snapshot(store.iter_papers(), store.iter_post_observations(), store.iter_signals())
    tmp = args.file.with_name(args.file.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.file)  # never leave a half-written snapshot behind
    log.info("exported %s to %s", store.counts(), args.file)
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Load a snapshot file into the store, all or nothing."""
    from bot.app import open_store
    from bot.service import utcnow
    from bot.snapshot import load_snapshot

    snap = load_snapshot(args.file)
    store = open_store(settings)
    store.ingest(snap.papers, snap.posts, snap.signals, seen_at=utcnow())
    log.info(
        "imported %d papers, %d post observations, %d signals into %s",
        len(snap.papers), len(snap.posts), len(snap.signals), settings.env.hotpapers_db,
    )  # fmt: skip
    return 0


def _add_digest(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The digest subcommand and its filters."""
    p = sub.add_parser("digest", help="print a ranked digest", description=cmd_digest.__doc__)
    p.add_argument("--top", type=int, help="how many papers (default: config; seed lists all)")
    p.add_argument("--ranking", choices=("hot", "seed"), help="ranking (default: config, hot)")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument("--date", type=_day, help="digest day, YYYY-MM-DD (default: today, UTC)")
    p.add_argument("--snapshot", type=Path, help="rank this snapshot file instead of the store")
    p.add_argument("--category", action="append", default=[], help="include (repeatable)")
    p.add_argument("--exclude", action="append", default=[], help="exclude a category")
    p.add_argument("--keyword", action="append", default=[], help="title/abstract keyword")
    p.add_argument("--min-score", type=float, help="leave out papers scoring less")
    p.set_defaults(handler=cmd_digest)


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The command line, with the feature commands argv may need (all of them for --help)."""
    parser = argparse.ArgumentParser(
        prog="hotpapers",
        description="A daily digest of the arXiv papers people are talking about.",
    )
    parser.add_argument("--version", action="version", version=f"hotpapers {__version__}")
    parser.add_argument("--config", type=Path, help="TOML file (default: config/hotpapers.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_digest(sub)
    p = sub.add_parser("export", help="write the store to a snapshot JSON file")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=cmd_export)
    p = sub.add_parser("import", help="load a snapshot JSON file into the store")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=cmd_import)
    for add_commands in _feature_commands(argv):
        add_commands(sub)
    return parser


# Which feature package adds which commands: a command line imports only the one it names.
_FEATURES = {
    "bot.sources.cli": ("fetch", "sources"),
    "bot.delivery.cli": ("subscribe", "unsubscribe", "channels", "post", "status", "run"),
    "bot.adapters.discord.cli": ("discord-sync", "discord-invite"),
    "bot.adapters.slack.manifest": ("slack",),
}
_CORE = ("digest", "export", "import")
_GLOBAL_WITH_VALUE = ("--config",)


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand argv names (the first word that is not a global option), if any."""
    words = iter(argv)
    for word in words:
        if word in _GLOBAL_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _feature_commands(
    argv: Sequence[str],
) -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]]:
    """The add_commands of the feature package argv's command belongs to (all for --help).

    Feature packages import their whole stack (HTTP, aiohttp, discord.py and slack-bolt take
    about a second together), so `digest` imports none and `status` only delivery's.
    """
    command = _command(argv)
    if command in _CORE:
        return []
    wanted = [m for m, names in _FEATURES.items() if command in names] or list(_FEATURES)
    return [importlib.import_module(module).add_commands for module in wanted]


def _user_errors() -> tuple[type[Exception], ...]:
    """The failures main() prints as one line.

    Only a module already imported can have raised its error, so none is imported to check.
    """
    kinds: list[type[Exception]] = [CommandError]
    for module, name in (("bot.config", "ConfigError"), ("bot.snapshot", "SnapshotError"),
                         ("bot.freshness", "OfflineError")):  # fmt: skip
        if module in sys.modules:
            kinds.append(getattr(sys.modules[module], name))
    return tuple(kinds)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; user errors print one line and exit non-zero, never a traceback."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,  # the CLI owns logging: stdout is for the digest alone
    )
    handler: Handler = args.handler
    try:
        from bot.config import load_settings

        settings = load_settings(args.config)
        logging.getLogger().setLevel(logging.DEBUG if args.verbose else settings.env.log_level)
        return handler(args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if not isinstance(error, _user_errors()):
            raise
        print(f"hotpapers: error: {error}", file=sys.stderr)
        return 1
