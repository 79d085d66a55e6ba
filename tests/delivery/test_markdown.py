"""The Markdown channel: dated posts written atomically, found again by their key."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from bot.adapters.markdown import MarkdownChannel, marker
from bot.app import App
from bot.channels import DeliveryError
from bot.models import Digest, Selection
from tests.delivery.support import TODAY


def read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def digest(app: App, top: int = 3) -> Digest:
    return app.service.digest(day=TODAY, ranking="hot", selection=Selection(top=top))


async def test_a_digest_becomes_one_dated_post_in_the_blog_format(app: App, tmp_path: Path) -> None:
    channel = MarkdownChannel(app.settings.config.markdown)
    [message] = channel.render(digest(app))
    assert message.payload["filename"] == "hot-papers-2026-11-26.md"
    assert message.payload["markdown"].startswith("---\ntitle: Hot Papers 2026-11-26\n")
    assert len(message.arxiv_ids) == 3
    path = await channel.send(str(tmp_path / "blog"), message, key="hp-1")
    text = read(path)
    assert Path(path).name == "hot-papers-2026-11-26.md"
    assert text.startswith(message.payload["markdown"].rstrip("\n"))
    assert text.endswith(marker("hp-1") + "\n")
    names = [(p.name, p.stat().st_mode & 0o777) for p in (tmp_path / "blog").iterdir()]
    umask = os.umask(0o022)
    os.umask(umask)
    # Any new file's mode (0644 under umask 022): a web server can read it.
    assert names == [("hot-papers-2026-11-26.md", 0o666 & ~umask)]


async def test_find_sent_recognises_a_post_by_its_key_only(app: App, tmp_path: Path) -> None:
    channel = MarkdownChannel(app.settings.config.markdown)
    [message] = channel.render(digest(app))
    folder = str(tmp_path)
    assert await channel.find_sent(folder, "hp-1") is None
    path = await channel.send(folder, message, key="hp-1")
    assert await channel.find_sent(folder, "hp-1") == path
    assert await channel.find_sent(folder, "hp-2") is None
    assert await channel.send(folder, message, key="hp-1") == path  # rewriting our own is fine


async def test_empty_days_and_missing_sources_get_a_note_after_the_front_matter(
    app: App,
) -> None:
    channel = MarkdownChannel(app.settings.config.markdown)
    empty = replace(digest(app), papers=(), missing_sources=("arxiv", "hackernews"))
    [message] = channel.render(empty)
    text = message.payload["markdown"]
    front, body = text.split("\n---\n", 1)
    assert front.startswith("---\ntitle:")
    assert "Made without data from: arXiv, HN" in body
    assert "No paper drew enough attention" in body


async def test_someone_elses_file_is_never_overwritten(app: App, tmp_path: Path) -> None:
    channel = MarkdownChannel(app.settings.config.markdown)
    [message] = channel.render(digest(app))
    (tmp_path / "hot-papers-2026-11-26.md").write_text("my own notes\n", encoding="utf-8")
    with pytest.raises(DeliveryError) as caught:
        await channel.send(str(tmp_path), message, key="hp-1")
    assert caught.value.permanent
    assert read(str(tmp_path / "hot-papers-2026-11-26.md")) == "my own notes\n"


async def test_a_folder_that_is_a_file_is_a_permanent_error(app: App, tmp_path: Path) -> None:
    channel = MarkdownChannel(app.settings.config.markdown)
    [message] = channel.render(digest(app))
    (tmp_path / "blog").write_text("not a folder", encoding="utf-8")
    with pytest.raises(DeliveryError) as caught:
        await channel.send(str(tmp_path / "blog"), message, key="hp-1")
    assert caught.value.permanent and "cannot write" in caught.value.reason


def test_the_markdown_channel_does_not_import_a_chat_platform() -> None:
    import subprocess
    import sys

    code = (
        "import sys, bot.adapters.markdown, bot.delivery.cli;"
        "print(sorted(m for m in sys.modules if m.split('.')[0]"
        " in ('discord', 'slack_bolt', 'slack_sdk')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
