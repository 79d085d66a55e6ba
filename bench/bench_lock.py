"""Benchmark: `hotpapers run` while another process holds the database's write lock.

Issue 15's case, end to end with real processes: a store with the example snapshot and one
Markdown channel whose digest falls due in the middle of the hold; `hotpapers run` leads; then
another process takes SQLite's write lock (BEGIN IMMEDIATE, as a backup tool or a `sqlite3`
shell left in a transaction would) for --hold seconds (120). Throughout, `/healthz` is asked
every 0.2 s and each answer timed. Reported: that the runner stayed up, /healthz latency
(median, p99, max) during and after the hold, when it turned 503 and back to 200, and when the
due digest was posted after the hold (exactly one post file), and whether the log holds a
traceback.

Run: .venv/bin/python -m bench.bench_lock [--hold 120]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.corpus import ROOT
from bench.measure import series
from tests.delivery.processes import HOLDER

EXAMPLE = ROOT / "examples" / "hot-papers-2021-06-25.json"
HOTPAPERS = [sys.executable, "-m", "bot"]


@dataclass
class Probe:
    """One /healthz answer: when it was asked (seconds into the bench), status, latency."""

    at: float
    status: int
    seconds: float
    problems: list[str] = field(default_factory=list)


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_for(folder: Path, port: int) -> dict[str, str]:
    """The bench's environment: its own store, port and config, no chat tokens, no proxies."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HOTPAPERS_", "DISCORD_", "SLACK_"))}  # fmt: skip
    config = folder / "hotpapers.toml"
    # Sources offline fail fast; refreshes are rare so the log is the hold's story alone.
    config.write_text("[markdown]\nfolder = 'posts'\n")
    env.update(
        HOTPAPERS_DB=str(folder / "hotpapers.db"), PORT=str(port),
        HOTPAPERS_CONFIG=str(config), PYTHONDONTWRITEBYTECODE="1",
    )  # fmt: skip
    return env


def cli(env: dict[str, str], *args: str) -> None:
    """Run one hotpapers command to completion (it must succeed)."""
    subprocess.run([*HOTPAPERS, *args], env=env, cwd=ROOT, check=True, capture_output=True)


def probe(port: int, started: float) -> Probe:
    """Ask /healthz once and time the answer."""
    at = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except OSError:
        return Probe(at - started, 0, time.perf_counter() - at)
    seconds = time.perf_counter() - at
    problems = json.loads(body).get("problems", []) if body else []
    return Probe(at - started, status, seconds, problems)


def due_minute(after: timedelta) -> datetime:
    """The first whole minute at least `after` from now (UTC)."""
    moment = datetime.now(UTC) + after
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)


def run_bench(hold: float) -> int:
    """Start the runner, hold the store, probe, release, report; 0 when every bar is met."""
    with tempfile.TemporaryDirectory(prefix="bench-lock-") as tmp:
        folder = Path(tmp)
        port = free_port()
        env = env_for(folder, port)
        cli(env, "import", str(EXAMPLE))
        posts = folder / "posts"
        posts.mkdir()
        # Due about a third into the hold, so it falls due while the store is held.
        due = due_minute(timedelta(seconds=15 + hold / 3))
        cli(env, "subscribe", f"markdown:{posts}", "--time", due.strftime("%H:%M"),
            "--tz", "UTC", "--days", "daily", "--empty", "note")  # fmt: skip
        log = (folder / "run.log").open("wb")
        runner = subprocess.Popen([*HOTPAPERS, "run"], env=env, cwd=folder, stdout=log,
                                  stderr=subprocess.STDOUT)  # fmt: skip
        started = time.perf_counter()
        try:
            return _measure(runner, port, folder, posts, hold, due, started)
        finally:
            runner.send_signal(signal.SIGTERM)
            code = runner.wait(timeout=60)
            log.close()
            text = (folder / "run.log").read_text(errors="replace")
            print(f"runner exit status after SIGTERM: {code};"
                  f" traceback in its log: {'Traceback' in text}")  # fmt: skip
            if "Traceback" in text:  # the first one, with the lines before it
                start = text.index("Traceback")
                print(text[max(0, start - 600) : start + 3000])


def _wait_leader(port: int, started: float) -> None:
    """Until /healthz says 200: the runner is up (and, alone on its store, leads)."""
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        with_body = probe(port, started)
        if with_body.status == 200:
            return
        time.sleep(0.2)
    raise SystemExit("the runner did not come up within 60 s")


def _measure(
    runner: subprocess.Popen[bytes], port: int, folder: Path, posts: Path, hold: float,
    due: datetime, started: float,
) -> int:  # fmt: skip
    """The hold and the recovery, probed every 0.2 s."""
    _wait_leader(port, started)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder / "hotpapers.db")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # fmt: skip
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline() == b"holding\n"
    held_at = time.perf_counter()
    print(f"store held for {hold:.0f} s from {datetime.now(UTC):%H:%M:%S};"
          f" the digest is due at {due:%H:%M:%S}")  # fmt: skip
    during: list[Probe] = []
    while time.perf_counter() - held_at < hold:
        during.append(probe(port, started))
        if runner.poll() is not None:
            break
        time.sleep(0.2)
    holder.stdin.write(b"go\n")
    holder.stdin.close()
    holder.wait()
    released = time.perf_counter()
    after: list[Probe] = []
    posted_after: float | None = None
    while time.perf_counter() - released < 90 and runner.poll() is None:
        after.append(probe(port, started))
        if posted_after is None and any(posts.glob("*.md")):
            posted_after = time.perf_counter() - released
        if posted_after is not None and after[-1].status == 200:
            break
        time.sleep(0.2)
    return _report(
        runner, during, after, held_at - started, released - started, posted_after, posts
    )


def _report(
    runner: subprocess.Popen[bytes], during: list[Probe], after: list[Probe], held_at: float,
    released: float, posted_after: float | None, posts: Path,
) -> int:  # fmt: skip
    """Print the figures; 0 when the runner stayed up, answered fast and posted once."""
    alive = runner.poll() is None
    first_503 = next((p for p in during if p.status == 503), None)
    codes = {
        code: sum(1 for p in during if p.status == code) for code in {p.status for p in during}
    }
    print(f"runner up throughout: {alive}")
    print(series("/healthz during the hold", [p.seconds for p in during],
                 f"answers by status {dict(sorted(codes.items()))}"))  # fmt: skip
    if first_503 is not None:
        print(f"first 503 {first_503.at - held_at:.1f} s into the hold: {first_503.problems}")
    print(series("/healthz after the release", [p.seconds for p in after]))
    back = next((p.at for p in after if p.status == 200), None)
    if back is not None:
        print(f"200 again {back - released:.1f} s after the release")
    files = sorted(posts.glob("*.md"))
    print(f"digest posted {posted_after:.1f} s after the release" if posted_after is not None
          else "digest not posted within 90 s of the release")  # fmt: skip
    print(f"post files: {len(files)} {[f.name for f in files]}")
    worst = sorted(during + after, key=lambda p: -p.seconds)[:3]
    print(
        "slowest answers: "
        + ", ".join(
            f"{p.seconds * 1000:.0f} ms at {p.at - held_at:.1f} s into the hold" for p in worst
        )
    )
    slowest = max((p.seconds for p in during + after), default=0.0)
    ok = alive and slowest < 0.1 and posted_after is not None and len(files) == 1
    print("bars met" if ok else "bars NOT met")
    return 0 if ok else 1


def main() -> None:
    """Parse the hold's length and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", type=float, default=120.0, help="seconds to hold the lock")
    raise SystemExit(run_bench(parser.parse_args().hold))


if __name__ == "__main__":
    main()
