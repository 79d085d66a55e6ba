"""The Markdown channel: a folder of dated blog posts, written atomically, one file per day."""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from bot.channels import DeliveryError, OutboundMessage
from bot.config import MarkdownConfig
from bot.digest.markdown import post_filename, render_markdown
from bot.files import write_atomically
from bot.models import SOURCE_LABELS, Digest, Layout

__all__ = ["MarkdownChannel", "marker"]

Render = Callable[[Digest, MarkdownConfig], str]
_EMPTY_NOTE = "No paper drew enough attention to make the list today.\n"
# Errors no retry can fix: the folder is not ours to write, or a file is in its place.
_PERMANENT = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.EEXIST}


def marker(key: str) -> str:
    """The comment that ties a post to its delivery key (invisible when the blog renders it)."""
    return f"<!-- hotpapers:{key} -->"


def _label(source: str) -> str:
    """A source's display name."""
    return "arXiv" if source == "arxiv" else SOURCE_LABELS.get(source, source)


def _with_notes(text: str, digest: Digest) -> str:
    """Add the empty-day note and the missing-sources note after the front matter."""
    notes = ""
    if digest.missing_sources:
        names = ", ".join(_label(s) for s in digest.missing_sources)
        notes += f"\n*Made without data from: {names} (unavailable at the time).*\n"
    if not digest.papers:
        notes += "\n" + _EMPTY_NOTE
    if not notes:
        return text
    head, sep, body = text.partition("\n---\n")
    return f"{head}{sep}{notes}{body}" if sep else text + notes


def _write_atomically(path: Path, content: str) -> None:
    """Write a post whole or not at all, creating its folder on the first post."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, content)


class MarkdownChannel:
    """Implements the Channel protocol for `markdown:<folder>` subscriptions."""

    platform: ClassVar[str] = "markdown"

    def __init__(self, config: MarkdownConfig, render: Render = render_markdown) -> None:
        """Render posts with the blog format from config."""
        self.config = config
        self._render = render

    def render(self, digest: Digest, layout: Layout = "grouped") -> list[OutboundMessage]:
        """One post per digest: its file name and text (a folder has only one layout)."""
        name = post_filename(digest)
        text = _with_notes(self._render(digest, self.config), digest)
        ids = tuple(p.paper.arxiv_id for p in digest.papers)
        summary = f"{name}: {len(ids)} papers"
        return [OutboundMessage({"filename": name, "markdown": text}, summary, ids)]

    async def send(self, target: str, message: OutboundMessage, *, key: str) -> str:
        """Write the post into the folder `target`; return its path."""
        return await asyncio.to_thread(self._write, Path(target), message, key)

    def _write(self, folder: Path, message: OutboundMessage, key: str) -> str:
        """Write one post unless someone else's file of that name is already there."""
        path = folder / str(message.payload["filename"])
        try:
            existing = path.read_text(encoding="utf-8") if path.exists() else None
            if existing is not None and marker(key) not in existing:
                raise DeliveryError(
                    f"{path} exists and was not written by this digest; move it away and resume",
                    permanent=True,
                )
            text = str(message.payload["markdown"]).rstrip("\n") + f"\n\n{marker(key)}\n"
            _write_atomically(path, text)
        except OSError as error:
            reason = f"cannot write {path}: {error.strerror or error}"
            raise DeliveryError(reason, permanent=error.errno in _PERMANENT) from error
        return str(path)

    async def find_sent(self, target: str, key: str) -> str | None:
        """The post carrying this key, if one was written (a crash after the rename)."""
        return await asyncio.to_thread(self._find, Path(target), key)

    def remember(self, target: str, message_id: str, message: OutboundMessage) -> None:
        """Nothing to record: nobody reacts to a blog post."""

    def _find(self, folder: Path, key: str) -> str | None:
        """Look through the folder's posts, newest first, for the key's marker."""
        tag = marker(key)
        for path in sorted(folder.glob("hot-papers-*.md"), reverse=True):
            try:
                if tag in path.read_text(encoding="utf-8"):
                    return str(path)
            except OSError:
                continue
        return None

    def health(self) -> dict[str, object]:
        """What /healthz shows: the default folder and whether it is writable."""
        folder = self.config.folder
        writable = os.access(folder if folder.exists() else folder.parent or Path("."), os.W_OK)
        return {"platform": self.platform, "folder": str(folder), "writable": writable}
