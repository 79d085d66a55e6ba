"""The one store every benchmark measures: production-shaped engagement, built through ingest.

Shape (issue 14): papers announced over DAYS days (PAPERS / DAYS a day: 2,000 a day for
100,000 papers); ten posts per paper on average, each picking a day with recency weight
exp(-age / 7 d) and a paper of that day by Zipf (s = 1), so the hottest paper has thousands of
posts and about half the papers none; likes Pareto(1.2) with reposts a fraction of them; every
post observed twice on the 20-minute fetch grid (first soon after it is written, again 6 to 48
hours later); Hugging Face upvote series for a few percent of each day's papers, observed every
6 hours for three days. Papers, posts and signals go through `Store.ingest` in time order, one
transaction per chunk, as `hotpapers fetch` writes them.

Stores are seeded and cached under bench/.cache/ (gitignored), keyed by their parameters and
the builder's version, so the 100k and 300k stores are built once; a cached store built by an
older `bot` is brought up to date by the store's own migrations when opened, as a user's is.
Benches that write (cold series, fan-out) work on a copy: `working_copy`.

    .venv/bin/python -m bench.corpus --papers 100000 [--rebuild]   # build or report
"""

from __future__ import annotations

import argparse
import bisect
import fcntl
import itertools
import math
import os
import random
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.models import Paper, Signal, SocialPost  # noqa: E402
from bot.store import Store  # noqa: E402

__all__ = ["NOW", "TODAY", "Shape", "evict", "open_store", "real_store", "refresh", "working_copy"]

CACHE = ROOT / "bench" / ".cache"
TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # noon: today's papers have half a day of talk
FETCH = timedelta(minutes=20)  # observations land on the fetch grid, as `hotpapers run` fetches
SOURCES = (("x", 0.35), ("bluesky", 0.35), ("reddit", 0.15), ("hackernews", 0.15))
CATEGORIES = ("cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "cs.RO", "cs.CR", "math.OC",
              "quant-ph", "eess.SP", "physics.comp-ph", "q-bio.NC")  # fmt: skip
_PROSE = (
    "learning model models neural network networks transformer attention diffusion language "
    "large scaling benchmark dataset training inference efficient robust adversarial graph "
    "reinforcement policy agent agents reward optimization gradient stochastic convex bound "
    "generalization representation contrastive self-supervised retrieval reasoning alignment "
    "preference fine-tuning instruction vision image video speech multimodal embedding token "
    "sparse mixture experts quantization distillation pruning memory latency hardware kernel "
    "causal inference bayesian uncertainty calibration probabilistic sampling markov chain "
    "theorem proof analysis empirical study evaluation metric human feedback safety privacy "
    "federated differential robot control planning navigation manipulation simulation physics "
    "quantum circuit protein molecule drug discovery genomics clinical medical imaging audio "
    "we propose show that our method outperforms state-of-the-art baselines across tasks and "
    "demonstrate significant improvements in accuracy while reducing compute cost by half"
)
WORDS = tuple(_PROSE.split(" "))
CHUNK = 40_000  # observations per ingest call (one transaction each)
BUILDER = "v1"  # bump when what build() writes changes, so cached stores are rebuilt


@dataclass(frozen=True)
class Shape:
    """The parameters a store is built from (and cached under)."""

    papers: int = 100_000
    days: int = 50
    posts_per_paper: int = 10
    hf_share: float = 0.025  # of each day's papers, listed on Hugging Face's daily papers
    seed: int = 14

    @property
    def posts(self) -> int:
        """How many posts link the papers."""
        return self.papers * self.posts_per_paper

    @property
    def per_day(self) -> int:
        """Papers announced each day."""
        return self.papers // self.days

    def key(self) -> str:
        """The cache file name: every parameter, and the builder's own version."""
        return (
            f"store-p{self.papers}-d{self.days}-x{self.posts_per_paper}"
            f"-h{self.hf_share}-s{self.seed}-{BUILDER}.db"
        )


def _day(age: int) -> date:
    return TODAY - timedelta(days=age)


def _birth(age: int) -> datetime:
    """Midnight UTC of the announcement day (what ranking ages papers from)."""
    return datetime.combine(_day(age), datetime.min.time(), UTC)


def arxiv_id(age: int, index: int, per_day: int) -> str:
    """A valid new-style id, unique per (age, index): 90,000 papers per id-month, newest 2611."""
    serial = age * per_day + index
    month = 2026 * 12 + 10 - serial // 90_000
    return f"{month // 12 % 100:02d}{month % 12 + 1:02d}.{serial % 90_000 + 10_000:05d}"


def _ids(shape: Shape) -> list[list[str]]:
    """Paper ids by age, then by position in the day's listing."""
    return [
        [arxiv_id(age, i, shape.per_day) for i in range(shape.per_day)] for age in range(shape.days)
    ]


def _papers(shape: Shape, rng: random.Random) -> Iterator[list[Paper]]:
    """Each day's papers, oldest day first."""
    for age in reversed(range(shape.days)):
        day, published = _day(age), _birth(age) - timedelta(hours=20)
        batch = []
        for i in range(shape.per_day):
            cats = tuple(rng.sample(CATEGORIES, rng.randint(1, 3)))
            title = " ".join(rng.choices(WORDS, k=rng.randint(6, 14))).capitalize()
            abstract = " ".join(rng.choices(WORDS, k=rng.randint(120, 220))).capitalize() + "."
            authors = tuple(f"Author {rng.randrange(50_000)}" for _ in range(rng.randint(2, 8)))
            batch.append(
                Paper(
                    arxiv_id(age, i, shape.per_day),
                    title,
                    authors,
                    abstract,
                    cats,
                    published=published,
                    announced=day,
                )
            )
        yield batch


def _grid(moment: datetime) -> datetime:
    """The first fetch at or after a moment."""
    seconds = math.ceil((moment - NOW).total_seconds() / FETCH.total_seconds())
    return NOW + seconds * FETCH


@dataclass(frozen=True, slots=True)
class _Post:
    """A post's lifetime: its paper, when it was written, and its two observations."""

    n: int
    source: str
    arxiv_id: str
    created: datetime
    first: datetime
    second: datetime
    reposts: int
    likes: int
    share: float  # of its final counts seen at the first observation


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _posts(shape: Shape, ids: list[list[str]], rng: random.Random) -> list[_Post]:
    """Every post, with Zipf fame within a day and exp(-age/7 d) recency across days."""
    days = _cumulative([math.exp(-age / 7) for age in range(shape.days)])
    ranks = _cumulative([1 / r for r in range(1, shape.per_day + 1)])
    # Fame is not listing order: each day's Zipf rank r names a shuffled paper.
    order = [rng.sample(range(shape.per_day), shape.per_day) for _ in range(shape.days)]
    sources = _cumulative([w for _, w in SOURCES])
    latest = NOW - FETCH
    posts = []
    for n in range(shape.posts):
        age = bisect.bisect(days, rng.random() * days[-1])
        rank = bisect.bisect(ranks, rng.random() * ranks[-1])
        source = SOURCES[bisect.bisect(sources, rng.random() * sources[-1])][0]
        birth = _birth(age)
        created = birth + timedelta(hours=rng.expovariate(1 / 14))
        if created > latest:  # today's papers: talk spreads over the hours since midnight
            created = birth + (latest - birth) * rng.random()
        first = min(_grid(created + timedelta(minutes=rng.uniform(0, 90))), NOW - FETCH)
        second = min(_grid(first + timedelta(hours=rng.uniform(6, 48))), NOW)
        likes = int(3 * rng.paretovariate(1.2)) - 3
        reposts = int(likes * rng.uniform(0.05, 0.4))
        paper = ids[age][order[age][rank]]
        posts.append(
            _Post(
                n,
                source,
                paper,
                created,
                first,
                max(second, first + FETCH),
                reposts,
                likes,
                rng.uniform(0.3, 0.8),
            )
        )
    return posts


def _observations(posts: list[_Post]) -> Iterator[tuple[datetime, SocialPost]]:
    """Both observations of every post, oldest first (as successive fetches see them)."""
    events: list[tuple[datetime, int, bool]] = []
    for i, p in enumerate(posts):
        events.append((p.first, i, False))
        events.append((p.second, i, True))
    events.sort()
    for at, i, final in events:
        p = posts[i]
        share = 1.0 if final else p.share
        yield at, SocialPost(
            p.source, f"{p.source}-{p.n}", f"https://example.org/{p.source}/{p.n}",
            (p.arxiv_id,), at, author=f"user{p.n % 20_011}", author_name=f"User {p.n % 20_011}",
            text=f"Worth reading: arxiv.org/abs/{p.arxiv_id} #{p.source} {p.n}",
            created_at=p.created, reposts=int(p.reposts * share), likes=int(p.likes * share),
        )  # fmt: skip


def _signals(shape: Shape, ids: list[list[str]], rng: random.Random) -> list[Signal]:
    """Hugging Face upvote series: every 6 hours for three days after the announcement."""
    listed = max(1, int(shape.per_day * shape.hf_share))
    signals = []
    for age in range(shape.days):
        for arxiv in rng.sample(ids[age], listed):
            final = int(5 * rng.paretovariate(1.2))
            url = f"https://huggingface.co/papers/{arxiv}"
            for step in range(1, 13):
                at = _birth(age) + timedelta(hours=6 * step)
                if at > NOW:
                    break
                value = float(int(final * (1 - math.exp(-6 * step / 12))))
                signals.append(Signal("huggingface", arxiv, "upvotes", value, at, url))
    signals.sort(key=lambda s: s.observed_at)
    return signals


def build(shape: Shape, path: Path, *, log: bool = True) -> None:
    """Build a store of this shape at path (through Store.ingest, in time order)."""
    rng = random.Random(shape.seed)
    started = time.perf_counter()
    store = Store(path)
    # A build touches every index at random: a 1 GiB page cache keeps them in memory. (The
    # store's own 64 MiB suits its reads; this changes nothing that is stored.)
    store.query("PRAGMA cache_size = -1048576")
    try:
        for papers in _papers(shape, rng):
            store.ingest(papers, seen_at=_birth(0))
        ids = _ids(shape)
        posts = _posts(shape, ids, rng)
        signals = _signals(shape, ids, rng)
        if log:
            print(f"  {shape.posts:,} posts generated in {time.perf_counter() - started:.0f} s",
                  file=sys.stderr)  # fmt: skip
        pending_signals = iter(signals)
        signal = next(pending_signals, None)
        chunk: list[SocialPost] = []
        done = 0
        for at, post in _observations(posts):
            chunk.append(post)
            if len(chunk) >= CHUNK:
                due = []
                while signal is not None and signal.observed_at <= at:
                    due.append(signal)
                    signal = next(pending_signals, None)
                store.ingest(posts=chunk, signals=due, seen_at=at)
                done += len(chunk)
                chunk = []
                if log and done % (CHUNK * 25) == 0:
                    print(f"  {done:,} observations in {time.perf_counter() - started:.0f} s",
                          file=sys.stderr)  # fmt: skip
        rest = [signal, *pending_signals] if signal is not None else []
        store.ingest(posts=chunk, signals=rest, seen_at=NOW)
    finally:
        store.close()
    # One self-contained file (no -wal beside it), so it can be renamed and copied as it is.
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()


def real_store(papers: int = 100_000, *, rebuild: bool = False, log: bool = True) -> Path:
    """The cached store of this many papers, built first if missing (or asked to)."""
    shape = Shape(papers=papers)
    path = CACHE / shape.key()
    if path.exists() and not rebuild:
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    # One builder at a time: benches started side by side wait for the store, not rebuild it
    # over each other's half-written file.
    with (CACHE / f"store-p{papers}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists() and not rebuild:
            return path
        _build_cached(shape, path, log=log)
    return path


def _build_cached(shape: Shape, path: Path, *, log: bool) -> None:
    """Build a shape's store beside its cache path, then put it in place."""
    for stale in CACHE.glob(f"store-p{shape.papers}-*"):
        stale.unlink()
    partial = path.with_suffix(".building")
    if log:
        print(f"building {path.name} ({shape.posts:,} posts)...", file=sys.stderr)
    started = time.perf_counter()
    build(shape, partial, log=log)
    partial.replace(path)  # an interrupted build never leaves a store that looks finished
    if log:
        size = path.stat().st_size / 2**20
        print(f"built in {time.perf_counter() - started:.0f} s ({size:.0f} MiB)", file=sys.stderr)


def working_copy(source: Path, folder: Path) -> Path:
    """A private copy of a cached store, for benches that write."""
    target = folder / "bench.db"
    shutil.copyfile(source, target)
    return target


def evict(path: Path) -> None:
    """Drop a database's pages from the OS cache, as after a reboot or under memory pressure."""
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists():
            fd = os.open(name, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def refresh(store: Store, n: int = 1000) -> None:
    """What a refresh fetch writes: n new observations of today's papers' posts, 100 upvotes."""
    rows = store.query(
        "SELECT l.arxiv_id, l.source, l.post_id, p.likes, p.reposts FROM post_links l"
        " JOIN posts p USING (source, post_id) JOIN papers USING (arxiv_id)"
        " WHERE papers.day = ? LIMIT ?",
        (TODAY.isoformat(), n),
    )
    at = NOW + timedelta(minutes=n % 7)
    posts = [
        SocialPost(r["source"], r["post_id"], f"https://example.org/{r['post_id']}",
                   (r["arxiv_id"],), at, likes=r["likes"] + 1, reposts=r["reposts"])
        for r in rows
    ]  # fmt: skip
    ids = sorted({r["arxiv_id"] for r in rows})[:100]
    signals = [Signal("huggingface", a, "upvotes", 10.0 + n % 5, at) for a in ids]
    store.ingest(posts=posts, signals=signals, seen_at=at)


def open_store(papers: int) -> Store:
    """Open the cached store of this many papers (building it if needed)."""
    return Store(real_store(papers))


def main() -> None:
    """Build (or report on) the cached store of a size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    path = real_store(args.papers, rebuild=args.rebuild)
    store = Store(path)
    print(f"{path}: {store.counts()}")
    store.close()


if __name__ == "__main__":
    main()
