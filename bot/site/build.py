"""`hotpapers site build DIR`: the site as static files, for GitHub Pages or any web server."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.errors import HotpapersError, UsageError
from bot.site.pages import PageNotFoundError, Site

__all__ = ["MARKER", "BuildReport", "build_site"]

log = logging.getLogger(__name__)
MARKER = ".hotpapers-site"  # lists the files of the last build, so the next removes stale ones


@dataclass(frozen=True)
class BuildReport:
    """What a build wrote."""

    files: int
    total_bytes: int
    largest: tuple[str, int]  # (file, bytes) of the biggest page (HTML, feed or hot.json)


def _file_for(path: str) -> str:
    """'days/2026-11-26/' -> 'days/2026-11-26/index.html'; 'feed.atom' stays."""
    return f"{path}index.html" if path == "" or path.endswith("/") else path


def _write(folder: Path, name: str, body: bytes) -> None:
    """Write a file atomically: a reader (or a crash) never sees half of it."""
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _previous(folder: Path) -> set[str]:
    """The files the last build wrote; refuse a folder holding anything else.

    Hidden entries (.git, .nojekyll) are left alone, so DIR can be a gh-pages checkout.
    """
    if not folder.exists():
        return set()
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder")
    marker = folder / MARKER
    if marker.exists():
        return set(marker.read_text(encoding="utf-8").split("\n")) - {""}
    if any(not entry.name.startswith(".") for entry in folder.iterdir()):
        raise UsageError(
            f"{folder} is not empty and was not written by `hotpapers site build`;"
            " choose an empty or new folder"
        )
    return set()


def _remove_stale(folder: Path, stale: set[str]) -> None:
    """Delete files an earlier build wrote that this one did not, and folders left empty."""
    for name in sorted(stale, reverse=True):
        target = folder / name
        if ".." in Path(name).parts or not target.is_file():
            continue
        target.unlink()
        parent = target.parent
        while parent != folder and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def build_site(site: Site, folder: Path) -> BuildReport:
    """Write every page of the site under folder; UsageError if folder holds others' files."""
    previous = _previous(folder)
    written: dict[str, int] = {}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for path in site.paths():
            try:
                page = site.render(path)
            except PageNotFoundError:
                log.warning("site build: %s has no page (linked but not stored?)", path)
                continue
            name = _file_for(path)
            _write(folder, name, page.body)
            written[name] = len(page.body)
        extra = {
            "search/search.json": site.search_json(),
            "404.html": site.not_found("", root=site.site.base_url).body,
            ".nojekyll": b"",
        }
        for name, body in extra.items():
            _write(folder, name, body)
            written[name] = len(body)
        _remove_stale(folder, previous - set(written))
        _write(folder, MARKER, "\n".join(sorted(written)).encode("utf-8") + b"\n")
    except OSError as error:
        raise HotpapersError(f"cannot write the site into {folder}: {error}") from None
    pages = {k: v for k, v in written.items() if k.endswith((".html", ".atom")) or k == "hot.json"}
    largest = max(pages.items(), key=lambda kv: kv[1])
    return BuildReport(len(written), sum(written.values()), largest)
