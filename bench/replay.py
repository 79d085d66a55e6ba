"""Replay a store's time series through the hot ranking and report what it would have shown.

    .venv/bin/python -m bench.replay --scenario     # the synthetic fortnight (bench/scenario.py)
    .venv/bin/python -m bench.replay hotpapers.db --surge 2405.01234=2026-11-11T13:00:00Z \\
        --channel discord:123456789012345678=60 --at 09:00 --top 10

Prints the report (bot/replay.py: per day the top N, churn, trending again, each channel's own
top; per known late surge the hours and refreshes to the top N) as Markdown on stdout, and how
long the replay took on stderr. The scenario's report is kept in bench/replay-scenario.md; a
test checks it is current (regenerate it with --scenario --out bench/replay-scenario.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

from bench import scenario
from bot.config import Config
from bot.replay import Report, replay
from bot.store import Store
from bot.timeutil import parse_time

__all__ = ["scenario_report"]

SCENARIO_REPORT = Path(__file__).with_name("replay-scenario.md")
_HEAD = """# Replay of the synthetic scenario

`python -m bench.replay --scenario` (bench/scenario.py: a fortnight of fetches every two hours
with early spikes, a slow burner, two late surges of old papers and a channel that reacts to a
niche paper; default ranking settings, each channel at `channel_weight` 60).

"""


def scenario_report() -> tuple[Report, str]:
    """The scenario's replay and its report as kept in bench/replay-scenario.md."""
    store = scenario.build(Store())
    try:
        report = replay(store, Config(), surges=scenario.LATE_SURGES, channels=scenario.CHANNELS)
    finally:
        store.close()
    return report, _HEAD + report.markdown()


def _pair(text: str) -> tuple[str, str]:
    """KEY=VALUE."""
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key, value


def main() -> None:
    """Parse arguments, replay, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", nargs="?", type=Path, help="a hotpapers database file")
    parser.add_argument("--scenario", action="store_true", help="replay the synthetic scenario")
    parser.add_argument("--out", type=Path, help="write the report here instead of stdout")
    parser.add_argument(
        "--surge",
        type=_pair,
        action="append",
        default=[],
        help="ARXIV_ID=ISO time a known late surge started (repeatable)",
    )
    parser.add_argument(
        "--channel",
        type=_pair,
        action="append",
        default=[],
        help="CHANNEL=WEIGHT whose own top N to report too (repeatable)",
    )
    parser.add_argument("--at", default="09:00", help="the daily digest time, UTC (HH:MM)")
    parser.add_argument("--top", type=int, default=10, help="how many papers a day")
    parser.add_argument("--since", help="ISO time: refreshes before it are only ingested")
    args = parser.parse_args()  # fmt: skip
    started = time.perf_counter()
    if args.scenario:
        report, text = scenario_report()
    elif args.store is None:
        parser.error("give a store file, or --scenario")
    else:
        source = Store(args.store)
        report = replay(
            source, Config(), digest_at=datetime.strptime(args.at, "%H:%M").time(),
            surges={a: parse_time(t) for a, t in args.surge},
            channels={c: float(w) for c, w in args.channel}, top=args.top,
            since=parse_time(args.since) if args.since else None,
        )  # fmt: skip
        source.close()
        text = report.markdown()
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    elapsed = time.perf_counter() - started
    print(f"{report.refreshes} refreshes, {len(report.days)} days in {elapsed:.1f} s",
          file=sys.stderr)  # fmt: skip


if __name__ == "__main__":
    main()
