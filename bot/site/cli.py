"""`hotpapers site build DIR`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app import build_service, open_store
from bot.config import Settings

__all__ = ["add_commands", "cmd_site_build"]

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def cmd_site_build(args: argparse.Namespace, settings: Settings) -> int:
    """Write the site (hot list, every posted day, their papers, feed, JSON) as static files."""
    from bot.site.build import build_site
    from bot.site.pages import Site

    store = open_store(settings)
    try:
        service = build_service(settings, store)
        report = build_site(Site(store, service, settings.config, static=True), args.dir)
    finally:
        store.close()
    name, size = report.largest
    print(
        f"Wrote {report.files} files ({report.total_bytes / 1e6:.1f} MB) to {args.dir};"
        f" largest page {name} ({size / 1000:.0f} kB)."
    )
    return 0


def add_commands(sub: Subparsers) -> None:
    """Add `site build` to the `hotpapers` parser."""
    site = sub.add_parser("site", help="the web site: build it as static files",
                          description="The Hot Papers site (see docs/site.md).")  # fmt: skip
    commands = site.add_subparsers(dest="site_command", required=True, metavar="SUBCOMMAND")
    build = commands.add_parser("build", help="write the site into a folder",
                                description=cmd_site_build.__doc__)  # fmt: skip
    build.add_argument("dir", type=Path, help="folder to write (new, empty, or an earlier build)")
    build.set_defaults(handler=cmd_site_build)
