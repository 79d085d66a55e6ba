"""The `hotpapers` command line: digest, export, import, plus each feature's commands."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from bot import __version__
from bot.argtypes import Parser, add_filters, day, whole
from bot.errors import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, HotpapersError, UsageError
from bot.limits import MAX_DIGEST_TOP
from bot.models import Selection
from bot.taxonomy import unfollowed_note
from bot.validators import check_categories, check_category_filters, check_keywords

# A command imports only what it runs (bench/bench_start.py measures it): the store, ranking,
# renderers, HTTP and the chat platforms are imported by the handlers that use them.
if TYPE_CHECKING:
    from bot.config import Settings
    from bot.models import Digest
    from bot.service import HotPapersService

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["build_parser", "main"]

log = logging.getLogger("hotpapers")
Handler = Callable[[argparse.Namespace, "Settings"], int]
EXIT_INTERRUPTED = 130
EXIT_CODES = f"""\
exit status:
  {EXIT_OK}    done
  {EXIT_FAILURE}    failed (one line on stderr says why; nothing was half-done)
  {EXIT_USAGE}    usage or configuration error: the command line, the config file or the environment
  {EXIT_PARTIAL}    done, but some sources failed (fetch, and digest when it fetched)
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)
"""


@dataclass(frozen=True)
class _Filters:
    """The command line's filters, checked before anything is fetched (empty: the default)."""

    include: tuple[str, ...]
    exclude: tuple[str, ...]
    keywords: tuple[str, ...]


def _filters(args: argparse.Namespace, settings: Settings) -> _Filters:
    """Check --category, --exclude and --keyword, alone and against the configured defaults."""
    digest = settings.config.digest
    include = check_categories(args.category, key="--category")
    exclude = check_categories(args.exclude, key="--exclude")
    check_category_filters(
        include or digest.categories,
        exclude or digest.exclude_categories,
        key="--category" if include else "[digest] categories",
        excluded_key="--exclude" if exclude else "[digest] exclude_categories",
    )
    return _Filters(include, exclude, check_keywords(args.keyword, key="--keyword"))


def _selection(
    args: argparse.Namespace, filters: _Filters, service: HotPapersService, ranking: str
) -> Selection:
    """The configured default selection with the command line's overrides."""
    base = service.default_selection("seed" if ranking == "seed" else "hot")
    return Selection(
        top=args.top if args.top is not None else base.top,
        include_categories=filters.include or base.include_categories,
        exclude_categories=filters.exclude or base.exclude_categories,
        keywords=filters.keywords or base.keywords,
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
    from bot.app import build_service, open_store
    from bot.snapshot import load_snapshot
    from bot.timeutil import utcnow

    snap = load_snapshot(path)
    store = open_store(settings, ":memory:")
    seen = max((p.observed_at for p in snap.posts), default=None)
    store.ingest(snap.papers, snap.posts, snap.signals, seen_at=seen or utcnow())
    return build_service(settings, store, snapshot=True)


def _explain_empty(selection: Selection, settings: Settings) -> None:
    """Say why a filtered digest is empty when a category is outside what the sources follow."""
    note = unfollowed_note(selection.include_categories, settings.config.sources.categories)
    if note:
        log.warning("no paper qualifies: %s", note)


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    """Print a ranked digest to standard output (fetching first when nothing fresh is stored)."""
    ranking = args.ranking or settings.config.ranking.default
    filters = _filters(args, settings)  # a mistake is said before anything is fetched
    partial = False
    if args.snapshot:
        service = _snapshot_service(args.snapshot, settings)
    else:
        from bot.app import build_service, open_store
        from bot.freshness import ensure_fresh
        from bot.timeutil import utcnow

        store = open_store(settings)
        partial = ensure_fresh(store, settings, utcnow(), args.date)
        service = build_service(settings, store)
    selection = _selection(args, filters, service, ranking)
    digest = service.digest(day=args.date or service.today(), ranking=ranking, selection=selection)
    sys.stdout.write(render(digest, args.format, settings))
    if not digest.papers:
        _explain_empty(selection, settings)
    log.info("digest: %d papers (%s ranking)", len(digest.papers), ranking)
    return EXIT_PARTIAL if partial else EXIT_OK


def _write_export(path: Path, text: str) -> None:
    """Write the snapshot whole or not at all; '-' is standard output."""
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; name the file to write, e.g. {path}/hotpapers.json")
    if not path.parent.is_dir():
        raise UsageError(f"{path}: the folder {path.parent} does not exist; create it first")
    from bot.files import write_atomically

    try:
        write_atomically(path, text)
    except OSError as error:
        raise HotpapersError(f"cannot write {path}: {error.strerror or error}") from None


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the whole store to a snapshot file ('-': standard output)."""
    from bot.app import open_store
    from bot.snapshot import dump_snapshot

    store = open_store(settings)
    try:
        text = dump_snapshot(
            store.iter_papers(), store.iter_post_observations(), store.iter_signals()
        )
        _write_export(args.file, text)
        counts = store.counts()
        log.info(
            "exported %d papers, %d post observations, %d signals to %s",
            counts["papers"], counts["post_observations"], counts["signals"],
            "standard output" if str(args.file) == "-" else args.file,
        )  # fmt: skip
    finally:
        store.close()
    return EXIT_OK


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Load a snapshot file ('-': standard input) into the store, all or nothing."""
    from bot.app import open_store
    from bot.snapshot import load_snapshot
    from bot.timeutil import utcnow

    snap = load_snapshot(args.file)
    store = open_store(settings)
    try:
        store.ingest(snap.papers, snap.posts, snap.signals, seen_at=utcnow())
    finally:
        store.close()
    log.info(
        "imported %d papers, %d post observations, %d signals into %s",
        len(snap.papers), len(snap.posts), len(snap.signals), settings.env.hotpapers_db,
    )  # fmt: skip
    return EXIT_OK


def _add_digest(sub: Subparsers) -> None:
    """The digest subcommand and its filters."""
    p = sub.add_parser("digest", help="print a ranked digest", description=cmd_digest.__doc__)
    p.add_argument(
        "--top", type=whole(1, MAX_DIGEST_TOP),
        help=f"how many papers, 1-{MAX_DIGEST_TOP} (default: config; seed lists all)",
    )  # fmt: skip
    p.add_argument("--ranking", choices=("hot", "seed"), help="ranking (default: config, hot)")
    p.add_argument(
        "--format", choices=("text", "markdown", "json"), default="text",
        help="output format (default: text)",
    )  # fmt: skip
    p.add_argument("--date", type=day, help="digest day, YYYY-MM-DD (default: today, UTC)")
    p.add_argument("--snapshot", type=Path, help="rank this snapshot file instead of the store")
    add_filters(p)
    p.set_defaults(handler=cmd_digest)


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The command line, with the feature commands argv may need (all of them for --help)."""
    parser = Parser(
        prog="hotpapers",
        description="A daily digest of the arXiv papers people are talking about.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hotpapers {__version__}")
    parser.add_argument("--config", type=Path, help="TOML file (default: config/hotpapers.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub = cast("Subparsers", commands)
    _add_digest(sub)
    p = sub.add_parser(
        "export", help="write the store to a snapshot JSON file", description=cmd_export.__doc__
    )
    p.add_argument("file", type=Path, help="the file to write, or - for standard output")
    p.set_defaults(handler=cmd_export)
    p = sub.add_parser(
        "import", help="load a snapshot JSON file into the store", description=cmd_import.__doc__
    )
    p.add_argument("file", type=Path, help="the file to read, or - for standard input")
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
    "bot.site.cli": ("site",),
}
_CORE = ("digest", "export", "import")
_GLOBAL_WITH_VALUE = ("--config",)


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand argv names: its first word that is neither an option nor an option's value."""
    words = iter(argv)
    for word in words:
        if word in _GLOBAL_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _feature_commands(argv: Sequence[str]) -> list[Callable[[Subparsers], None]]:
    """The add_commands of the feature package argv's command belongs to (all for --help).

    Feature packages import their whole stack (HTTP, aiohttp, discord.py and slack-bolt take
    about a second together), so `digest` imports none and `status` only delivery's.
    """
    command = command_of(argv)
    if command in _CORE:
        return []
    wanted = [m for m, names in _FEATURES.items() if command in names] or list(_FEATURES)
    return [importlib.import_module(module).add_commands for module in wanted]


def _error_line(message: object) -> str:
    """An error message as one line: newlines folded, control characters shown escaped.

    Not bot.untrusted.one_line, which drops control characters from text we display: here the
    user must see exactly what was wrong (a stray \t in a value), without a terminal acting on it.
    """
    text = " ".join(str(message).split("\n"))
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def _fail(message: object, code: int) -> int:
    """Print the one error line; return the exit code."""
    print(f"hotpapers: error: {_error_line(message)}", file=sys.stderr)
    return code


def _run(argv: list[str]) -> int:
    """Parse, load the settings, run the subcommand."""
    from bot.config import load_settings

    args = build_parser(argv).parse_args(argv)
    settings = load_settings(args.config)
    logging.getLogger().setLevel(logging.DEBUG if args.verbose else settings.env.level)
    handler: Handler = args.handler
    return handler(args, settings)


def _unexpected(error: Exception) -> int:
    """An error no edge expected: the store's, or a bug (-v logs its traceback)."""
    log.debug("unexpected failure", exc_info=True)
    sqlite3 = sys.modules.get("sqlite3")  # only a module already imported can have raised
    if sqlite3 is not None and isinstance(error, sqlite3.Error):
        return _fail(f"the store failed: {error}", EXIT_FAILURE)
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return _fail(f"{where}{error.strerror or error}", EXIT_FAILURE)
    if isinstance(error, MemoryError):  # a huge input, not a bug
        return _fail("out of memory: the input is too large for this machine", EXIT_FAILURE)
    return _fail(
        f"unexpected {type(error).__name__}: {error} (a bug: please report it with the"
        " output of the same command run with -v)",
        EXIT_FAILURE,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI: every failure is one line on stderr and a documented exit code, never a
    traceback (-v adds the traceback of an unexpected error to the log)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    logging.basicConfig(
        level=logging.DEBUG if "-v" in argv or "--verbose" in argv else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,  # the CLI owns logging: stdout is for the digest alone
    )
    try:
        return _run(argv)
    except HotpapersError as error:
        return _fail(error, error.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader of our output went away (`hotpapers export - | head`): nothing to say to it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    except Exception as error:
        return _unexpected(error)
