"""Benchmark: how fast the command line starts, and what each command imports.

Each figure is the median of N fresh processes (wall time, and the CPU time the process used,
which a loaded machine inflates less): `import bot.cli`; `hotpapers digest --snapshot
examples/hot-papers-2021-06-25.json` end to end; and process start to first output of `digest`,
`channels` and `status` on a small store (the example snapshot imported). `-X importtime` then
names the heaviest modules each command imported, so a regression says where it came from.
bot/ is byte-compiled first, as installing it does.

Targets (issue 14): import bot.cli < 0.15 s; digest, channels, status < 0.3 s to first output;
digest --snapshot < 0.5 s end to end.

Run: .venv/bin/python -m bench.bench_start [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import ROOT
from bench.measure import ms

EXAMPLE = ROOT / "examples" / "hot-papers-2021-06-25.json"
HOTPAPERS = [sys.executable, "-m", "bot"]


def _env(db: Path) -> dict[str, str]:
    """An environment with the bench store and nothing from the developer's shell config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTPAPERS_", "DISCORD_",
                                                                   "SLACK_"))}  # fmt: skip
    env.update(HOTPAPERS_DB=str(db), PYTHONDONTWRITEBYTECODE="1")
    return env


def first_output(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(seconds to the first byte on stdout or stderr, seconds to exit, CPU seconds used)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)  # fmt: skip
    assert proc.stdout is not None
    proc.stdout.read(1)
    first = time.perf_counter() - start
    proc.stdout.read()
    code = proc.wait()
    done = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert code == 0, f"{cmd} exited {code}"
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return first, done, cpu


def median_of(runs: int, cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Medians of (first output, exit, CPU) over runs (after one warm-up for the OS cache)."""
    first_output(cmd, env)
    samples = [first_output(cmd, env) for _ in range(runs)]
    return tuple(statistics.median(s[i] for s in samples) for i in range(3))  # type: ignore[return-value]


def heaviest(cmd: list[str], env: dict[str, str], count: int = 8) -> str:
    """The top-level modules with the largest cumulative import time (-X importtime)."""
    out = subprocess.run([sys.executable, "-X", "importtime", *cmd[1:]], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stderr  # fmt: skip
    rows = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if cumulative.strip().isdigit() and not name.startswith("   "):  # top level only
            rows.append((int(cumulative), name.strip()))
    rows.sort(reverse=True)
    return ", ".join(f"{name} {us / 1000:.0f} ms" for us, name in rows[:count])


def main() -> None:
    """Time each command in fresh processes and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    # An installed hotpapers (pip install ., the Docker image) starts from bytecode pip compiled
    # at install time; a checkout run with PYTHONDONTWRITEBYTECODE (set below, and in many
    # shells) would compile every module of bot/ from source in each process instead.
    subprocess.run([sys.executable, "-m", "compileall", "-q", "bot"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "small.db"
        env = _env(db)
        subprocess.run([*HOTPAPERS, "import", str(EXAMPLE)], cwd=ROOT, env=env, check=True,
                       capture_output=True)  # fmt: skip
        subprocess.run([*HOTPAPERS, "subscribe", "markdown:bench"], cwd=ROOT, env=env,
                       check=False, capture_output=True)  # fmt: skip
        cases = {
            "python -c pass (interpreter alone)": [sys.executable, "-c", "pass"],
            "import bot.cli": [sys.executable, "-c", "import bot.cli"],
            "digest --snapshot (end to end)": [*HOTPAPERS, "digest", "--snapshot", str(EXAMPLE)],
            "digest --date 2021-06-25 (small store)": [
                *HOTPAPERS,
                "digest",
                "--date",
                "2021-06-25",
            ],
            "channels (small store)": [*HOTPAPERS, "channels"],
            "status (small store)": [*HOTPAPERS, "status"],
        }
        print(f"median of {args.runs} fresh processes; load average {os.getloadavg()[0]:.1f}")
        for name, cmd in cases.items():
            first, done, cpu = median_of(args.runs, cmd, env)
            print(f"{name}: first output {ms(first)}, exit {ms(done)}, CPU {ms(cpu)}")
        for name in ("digest --snapshot (end to end)", "status (small store)"):
            print(f"  heaviest imports of {name}: {heaviest(cases[name], env)}")


if __name__ == "__main__":
    main()
