"""The container image's recipe: what it leaves out, and settings hotpapers accepts."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from bot.config import load_settings

ROOT = Path(__file__).resolve().parents[1]


def _ignored(path: str) -> bool:
    """Whether .dockerignore keeps a path out of the build context (its last match decides).

    As Docker reads it: a pattern matches the path or one of its leading folders, from the
    context's root; `**/` lets it start at any depth.
    """
    parts = path.split("/")
    heads = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    anywhere = {"/".join(parts[m : n + 1]) for m in range(len(parts)) for n in range(m, len(parts))}
    ignored = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated, pattern = pattern.startswith("!"), pattern.removeprefix("!")
        deep = pattern.startswith("**/")
        candidates = anywhere if deep else heads
        if any(fnmatch.fnmatch(c, pattern.removeprefix("**/")) for c in candidates):
            ignored = not negated
    return ignored


def test_the_image_leaves_out_the_virtualenv_the_store_secrets_and_caches() -> None:
    left_out = (
        ".venv/bin/python", "hotpapers.db", "hotpapers.db-wal", ".env", ".env.local",
        "bot/__pycache__/cli.cpython-311.pyc", ".git/HEAD", "posts/hot-papers.md",
    )  # fmt: skip
    for path in left_out:
        assert _ignored(path), path
    for path in ("bot/cli.py", "pyproject.toml", "README.md", "config/hotpapers.toml",
                 "config/.env.example", "examples/hot-papers-2021-06-25.json"):  # fmt: skip
        assert not _ignored(path), path


def test_the_images_environment_is_settings_hotpapers_accepts(tmp_path: Path) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    env = dict(re.findall(r"(HOTPAPERS_\w+|PORT)=(\S+)", dockerfile))
    assert set(env) == {"HOTPAPERS_DB", "HOTPAPERS_MARKDOWN__FOLDER", "PORT"}
    # The image makes /data/posts; here a folder of the test's stands in for /data.
    (tmp_path / "posts").mkdir()
    here = {name: value.replace("/data", str(tmp_path)) for name, value in env.items()}
    settings = load_settings(ROOT / "config/hotpapers.toml", environ=here)
    assert settings.config.markdown.folder == tmp_path / "posts"
    assert settings.env.hotpapers_db == tmp_path / "hotpapers.db"
    assert 'CMD ["hotpapers", "run"]' in dockerfile and "USER hotpapers" in dockerfile
