"""Hugging Face Daily Papers: upvotes, comments and code stars as paper-level signals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from bot.models import Signal
from bot.sources.base import Batch, FetchContext, FetchResult, Source
from bot.sources.http import expect_ok
from bot.sources.payload import Node, arxiv_id_of, decode_json, keep_good

__all__ = ["SOURCE", "fetch", "parse"]

NAME = "huggingface"
# The API pages its answers; 100 is the largest page it serves.
PAGE_SIZE = 100
_MAX_PAGES = 20  # bounded: a server that never sends a short page cannot keep us paging


def _item_signals(item: Node, observed_at: datetime) -> list[Signal]:
    """Upvotes and comments (HF page), and GitHub stars (the repository) for one item."""
    paper = item["paper"]
    raw_id = paper["id"].string()
    parsed = arxiv_id_of(raw_id)
    if parsed is None:
        raise paper["id"].fail(f"not an arXiv id: {raw_id[:40]!r}")
    arxiv_id = parsed.id
    page = f"https://huggingface.co/papers/{arxiv_id}"
    signals = [
        Signal(NAME, arxiv_id, "upvotes", paper.count("upvotes"), observed_at, page),
        Signal(NAME, arxiv_id, "comments", item.count("numComments"), observed_at, page),
    ]
    owner = paper if paper.opt_str("githubRepo") else item
    if owner.opt_str("githubRepo"):
        repo = owner["githubRepo"].web_url()  # a link we will show: http(s) or the item goes
        holder = paper if paper.has("githubStars") else item
        stars = holder.count("githubStars")
        signals.append(Signal(NAME, arxiv_id, "github_stars", stars, observed_at, repo))
    return signals


def _keep_best(signals: Iterable[Signal]) -> tuple[Signal, ...]:
    """One signal per paper and metric: a paper featured on several days keeps its highest."""
    best: dict[tuple[str, str], Signal] = {}
    for signal in signals:
        key = (signal.arxiv_id, signal.metric)
        if key not in best or signal.value > best[key].value:
            best[key] = signal
    return tuple(best.values())


def _page(payload: bytes | str, observed_at: datetime) -> tuple[Batch, int]:
    """The signals of one answer (a malformed item is dropped) and how many items it held."""
    items = list(decode_json(payload, NAME).items())
    found, dropped = keep_good(items, lambda item: _item_signals(item, observed_at))
    signals = tuple(signal for group in found for signal in group)
    return Batch(signals=signals, dropped=dropped), len(items)


def parse(payload: bytes | str, observed_at: datetime) -> Batch:
    """Parse a daily_papers answer (an array of items) into signals."""
    batch, _ = _page(payload, observed_at)
    return Batch(signals=_keep_best(batch.signals), dropped=batch.dropped)


async def _day(ctx: FetchContext, day: date) -> Batch:
    """Every page of one day's daily papers."""
    url = ctx.settings.env.hf_api_url.rstrip("/") + "/daily_papers"
    batch = Batch()
    for page in range(_MAX_PAGES):
        params = {"date": day.isoformat(), "limit": str(PAGE_SIZE), "p": str(page)}
        response = expect_ok(await ctx.http.get(url, source=NAME, params=params), NAME)
        found, count = _page(response.content, ctx.now)
        batch += found
        if count < PAGE_SIZE:
            break
    return batch


async def fetch(ctx: FetchContext) -> FetchResult:
    """Daily papers of the day and the days before it: papers appear up to 14 days late."""
    last = ctx.day or ctx.now.date()
    lookback = ctx.settings.config.sources.huggingface_lookback_days
    days = [last - timedelta(days=n) for n in range(lookback + 1)]
    batch = Batch()
    for index, day in enumerate(days):
        ctx.step(f"daily papers of {day}", index, len(days))
        batch += await _day(ctx, day)
    best = _keep_best(batch.signals)
    note = f"{len({s.arxiv_id for s in best})} papers over {len(days)} days"
    return FetchResult(Batch(signals=best, dropped=batch.dropped), {}, note)


SOURCE = Source(NAME, "Hugging Face Daily Papers: upvotes, comments, GitHub stars", fetch)
