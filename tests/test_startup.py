"""A command imports only what it runs: the CLI starts fast (bench/bench_start.py times it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "hot-papers-2021-06-25.json"
# Modules a command that neither fetches nor talks to a chat platform has no use for.
HEAVY = ("httpx", "aiohttp", "discord", "slack_bolt", "slack_sdk", "apscheduler", "rich")
# Nor for an event loop, or sqlite-utils (only an older migrations table is handed to it).
HEAVY_TOO = ("asyncio", "sqlite_utils")
PROBE = """
import json, sys
from bot.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def imported(tmp_path: Path, *argv: str) -> set[str]:
    """The modules loaded by running `hotpapers argv` in a fresh interpreter."""
    env = {"HOTPAPERS_DB": str(tmp_path / "h.db"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    result = json.loads(out.strip().splitlines()[-1])
    assert result["code"] == 0
    return {m.split(".")[0] for m in result["modules"]}


def test_importing_the_cli_imports_no_feature() -> None:
    code = "import sys, bot.cli; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()  # fmt: skip
    loaded = {m.split(".")[0] for m in out}
    assert loaded & {*HEAVY, *HEAVY_TOO, "pydantic"} == set()
    assert not {m for m in out if m.startswith(("bot.store", "bot.service", "bot.delivery"))}


def test_a_digest_of_a_snapshot_imports_no_http_scheduler_or_chat_platform(
    tmp_path: Path,
) -> None:
    # Nor sqlite-utils: the store migrates the in-memory store it ranks the snapshot in.
    assert imported(tmp_path, "digest", "--snapshot", str(EXAMPLE)) & {*HEAVY, *HEAVY_TOO} == set()


@pytest.mark.parametrize("command", ["channels", "status"])
def test_delivery_commands_that_only_read_import_no_http_scheduler_or_chat_platform(
    tmp_path: Path, command: str
) -> None:
    # status says when each channel's next digest is due without APScheduler's triggers.
    assert not imported(tmp_path, command) & set(HEAVY)


@pytest.mark.parametrize("argv", [("digest", "--date", "2021-06-25"), ("channels",), ("status",)])
def test_commands_on_an_up_to_date_store_import_no_event_loop_or_sqlite_utils(
    tmp_path: Path, argv: tuple[str, ...]
) -> None:
    imported(tmp_path, "import", str(EXAMPLE))  # creates the store
    imported(tmp_path, *argv)  # and the tables of the features the command reads
    assert imported(tmp_path, *argv) & {*HEAVY, *HEAVY_TOO} == set()
