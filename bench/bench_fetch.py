"""Benchmark `hotpapers fetch` against a local fake of arXiv, Hugging Face and Hacker News.

A day of 2,000 announced papers, 500 Hugging Face items and 1,000 Algolia hits is served on
127.0.0.1 by a separate process that enforces arXiv's spacing (a request arriving too soon gets
503 and counts as a violation). The spacing is scaled down from arXiv's 3 s (to 0.5 s by default)
to keep the run short. The figure that matters is the wall time over the politeness floor,
(arXiv requests - 1) x spacing; fixed costs weigh 6x more at 0.5 s than at arXiv's real 3 s.

The fetch runs in a fresh Python process, as `hotpapers fetch` would: the wall time includes
interpreter start-up and imports. Target: ratio <= 1.15.

The fetch writes into a copy of bench/corpus.py's store (--store 100000 or 300000 papers
already stored; 0 for an empty one), as a deployed bot's fetch does.

Run: .venv/bin/python bench/bench_fetch.py [--spacing 0.5] [--papers 2000] [--hf 500] [--hn 1000]
         [--store 100000]
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _child(ports: dict[str, int], spacing: float, db: Path) -> None:
    """In the fresh process: run the fetch command's handler and report its own figures."""
    started = time.monotonic()
    import resource

    from bench.fake_sources import DAY
    from bot.config import Config, Env, Settings, SourcesConfig
    from bot.sources.cli import run_fetch

    arxiv = f"http://127.0.0.1:{ports['arxiv']}"
    env = Env(
        hotpapers_db=db,
        arxiv_rss_url=f"{arxiv}/rss/",
        arxiv_api_url=f"{arxiv}/api/query",
        arxiv_oai_url=f"{arxiv}/oai",
        hf_api_url=f"http://127.0.0.1:{ports['huggingface']}/api",
        hn_api_url=f"http://127.0.0.1:{ports['hackernews']}/api/v1",
    )
    sources = SourcesConfig(
        enabled=("arxiv", "huggingface", "hackernews"),
        categories=("cs.LG", "cs.AI"),
        arxiv_delay_seconds=spacing,
        huggingface_lookback_days=14,
    )
    settings = Settings(config=Config(sources=sources), env=env)
    imported = time.monotonic()
    out = io.StringIO()
    code = run_fetch(argparse.Namespace(date=DAY, sources=None), settings, out)
    done = time.monotonic()
    figures = {
        "code": code,
        "imports": imported - started,
        "handler": done - imported,
        "handler_start": imported,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "report": out.getvalue(),
    }
    print(json.dumps(figures))


def _stats(port: int) -> dict[str, object]:
    """The arXiv fake's request count, spacing violations and gaps."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as answer:
        return dict(json.loads(answer.read()))


def _counts(db: Path) -> dict[str, int]:
    """Rows stored by the run."""
    from bot.store import Store

    store = Store(db)
    try:
        return store.counts()
    finally:
        store.close()


def _run(options: argparse.Namespace) -> int:
    """Start the fakes, run one fetch in a fresh process, print the figures."""
    from bench.fake_sources import serve

    ours, theirs = multiprocessing.Pipe()
    fake = multiprocessing.Process(
        target=serve, args=(theirs, options.papers, options.hf, options.hn, options.spacing)
    )
    fake.start()
    ports = ours.recv()
    try:
        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "bench.db"
            if options.store:  # fetch into a production-sized store, as a deployed bot does
                from bench.corpus import real_store, working_copy

                db = working_copy(real_store(options.store), Path(folder))
            command = [sys.executable, __file__, "--child", json.dumps(ports), str(options.spacing)]
            started = time.monotonic()
            child = subprocess.run(
                [*command, str(db)], capture_output=True, text=True, check=False, cwd=ROOT
            )
            wall = time.monotonic() - started
            if child.returncode != 0 or not child.stdout.strip():
                print(child.stderr, file=sys.stderr)
                return 1
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            counts = _counts(db)
        stats = _stats(ports["arxiv"])
    finally:
        ours.send("stop")
        fake.join(timeout=10)
    requests = int(str(stats["requests"]))
    floor = (requests - 1) * options.spacing
    gaps = [float(g) for g in stats["gaps"]]  # type: ignore[attr-defined]
    print(figures["report"], end="")
    scale = f"arXiv's 3 s scaled down {3 / options.spacing:g}x"
    print(f"arXiv spacing        {options.spacing} s ({scale})")
    print(f"arXiv requests       {requests} (1 feed + API batches of 100 + lookup)")
    print(f"spacing violations   {stats['violations']} (gaps {min(gaps):.3f} to {max(gaps):.3f} s)")
    print(f"politeness floor     {floor:.2f} s")
    print(f"wall time, process   {wall:.2f} s  ratio {wall / floor:.3f} (target <= 1.15)")
    handler = float(figures["handler"])
    print(f"wall time, handler   {handler:.2f} s  ratio {handler / floor:.3f} (without start-up)")
    print(f"start-up + imports   {wall - handler:.2f} s (imports alone {figures['imports']:.2f} s)")
    print(f"after last arXiv req {started + wall - float(str(stats['last'])):.2f} s")
    print(
        f"first arXiv request  {float(str(stats['first'])) - figures['handler_start']:.2f} s "
        "after the handler started"
    )
    print(f"stored               {counts}")
    print(f"peak RSS (fetch)     {figures['peak_rss_kib'] / 1024:.0f} MiB")
    ok = figures["code"] == 0 and wall / floor <= 1.15 and not stats["violations"]
    return 0 if ok else 1


def main() -> int:
    """Parse options; run the benchmark (or, with --child, the fetch itself)."""
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(json.loads(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--spacing", type=float, default=0.5, help="arXiv spacing, seconds")
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--hf", type=int, default=500)
    parser.add_argument("--hn", type=int, default=1000)
    parser.add_argument(
        "--store",
        type=int,
        default=100_000,
        help="papers already stored (bench/corpus.py); 0: none",
    )
    return _run(parser.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
