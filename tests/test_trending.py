"""Trending again: a surge of any paper counts with the surge's age, by a rule, on every surface."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.adapters.discord.embeds import digest_messages
from bot.adapters.slack.blocks import render_digest
from bot.config import Config, HotRanking, MarkdownConfig
from bot.digest import render_json, render_markdown, render_text
from bot.models import Digest, Surge, Tally
from bot.rank import Scored, score_hot, surge_score, with_surges
from bot.service import HotPapersService
from bot.site.frozen import dump_digest, load_digest
from bot.store import Store
from bot.trending import GROWING, SURGE_STARTS, TrendingReads
from tests.factories import NOW, paper, post, ranked, signal

HOT = HotRanking()
OLD = datetime(2024, 3, 2, tzinfo=UTC)  # announced long before the window
STARTED = NOW - timedelta(hours=36)  # one half-life ago


def hn(level: float, growth: float) -> Tally:
    """Hacker News points for paper 2403.00001: level now, and how much it rose in the window."""
    return Tally("2403.00001", "hackernews", level, growth)


@pytest.mark.parametrize(
    ("tallies", "why"),
    [
        ([hn(40, 40)], "gain 40 is under surge_min_gain 50"),
        ([hn(1300, 300)], "gain 300 is under half of the 1000 it had before"),
        ([hn(500, 0)], "no growth at all"),
        ([Tally("2403.00001", "x", 900, 900)], "900 likes on X weigh 45"),
    ],
)
def test_growth_that_does_not_pass_the_rule_is_no_surge(tallies: list[Tally], why: str) -> None:
    assert surge_score("2403.00001", tallies, OLD, STARTED, HOT, NOW) is None, why


def test_a_surge_scores_its_growth_aged_from_its_start_and_its_breakdown_adds_up() -> None:
    tallies = [hn(900, 600), Tally("2403.00001", "x", 4000, 2000, likes=4000)]
    surge = surge_score("2403.00001", tallies, OLD, STARTED, HOT, NOW)
    assert surge is not None
    assert surge.breakdown == {"hackernews": 300.0, "x": 50.0}  # (600 + 0.05 x 2000) / 2
    assert surge.score == sum(surge.breakdown.values()) == 350.0
    assert surge.surge == Surge(OLD, STARTED, 700.0, 24.0)
    assert surge.surge.label == "trending again: first announced 2 Mar 2024, +700 in the last 24 h"
    off = HOT.model_copy(update={"trending_again": False})
    assert surge_score("2403.00001", tallies, OLD, STARTED, off, NOW) is None


def test_a_paper_scores_the_larger_of_its_two_heats_and_is_labelled_only_when_the_surge_wins() -> (
    None
):
    fresh = NOW - timedelta(hours=6)
    tallies = [hn(900, 600), Tally("2611.00001", "hackernews", 800, 700)]
    born = {"2403.00001": OLD, "2611.00001": fresh}
    starts = {"2403.00001": STARTED, "2611.00001": fresh}
    new, old = score_hot(tallies, born, HOT, NOW, starts)
    assert new.arxiv_id == "2611.00001" and new.surge is None  # a new paper's own heat is larger
    assert old.arxiv_id == "2403.00001" and old.surge is not None and old.score == 300.0
    assert [s.arxiv_id for s in score_hot(tallies, born, HOT, NOW)] == ["2611.00001"]


def test_with_surges_keeps_the_larger_score_of_each_paper_in_order() -> None:
    ranked_ = [Scored("a", 90.0, {}, {}, {}), Scored("b", 50.0, {}, {}, {})]
    surges = [Scored("b", 70.0, {"x": 70.0}, {}, {}), Scored("c", 95.0, {"x": 95.0}, {}, {}),
              Scored("a", 10.0, {"x": 10.0}, {}, {})]  # fmt: skip
    merged = with_surges(ranked_, surges)
    assert [(s.arxiv_id, s.score) for s in merged] == [("c", 95.0), ("a", 90.0), ("b", 70.0)]


def stocked() -> Store:
    """This week's papers, a famous old one still talked about, and an old one going viral."""
    store = Store()
    store.ingest(
        papers=[
            paper("2611.00001"),
            paper("2611.00002"),
            paper("1706.03762", announced=date(2017, 6, 13), published=OLD),  # famous, steady
            paper("2403.00001", announced=date(2024, 3, 2), published=OLD),  # about to surge
        ],
        posts=[
            post("1", ("2611.00001",), source="hackernews", reposts=0, likes=300),
            post("2", ("2611.00002",), source="hackernews", reposts=0, likes=120),
            post(
                "old",
                ("1706.03762",),
                source="hackernews",
                reposts=0,
                likes=5000,
                created_at=NOW - timedelta(days=300),
                observed_at=NOW - timedelta(days=2),
            ),
        ],
        signals=[signal("2403.00001", 10, observed_at=NOW - timedelta(days=2))],
        seen_at=NOW - timedelta(days=2),
    )
    store.ingest(
        posts=[
            post(
                "old",
                ("1706.03762",),
                source="hackernews",
                reposts=0,
                likes=5100,
                created_at=NOW - timedelta(days=300),
            ),  # +100 on 5000: a trickle
            post(
                "viral",
                ("2403.00001",),
                source="hackernews",
                reposts=0,
                likes=800,
                created_at=NOW - timedelta(hours=5),
            ),
            post(
                "thread",
                ("2403.00001",),
                source="x",
                reposts=200,
                likes=1800,
                created_at=NOW - timedelta(hours=2),
            ),
        ],
        signals=[signal("2403.00001", 50, observed_at=NOW - timedelta(hours=3))],
        seen_at=NOW,
    )
    return store


def service(store: Store, **hot: object) -> HotPapersService:
    config = Config.model_validate({"ranking": {"hot": hot}})
    return HotPapersService(store, config, clock=lambda: NOW, trending=TrendingReads(store))


def test_an_old_paper_that_surges_enters_the_hot_list_labelled_and_a_steady_one_does_not() -> None:
    digest = service(stocked()).top(5)
    ids = [p.paper.arxiv_id for p in digest.papers]
    assert ids[0] == "2403.00001" and "1706.03762" not in ids
    (surging,) = [p for p in digest.papers if p.surge is not None]
    assert surging.surge is not None and surging.surge.born == OLD
    assert surging.surge.started == NOW - timedelta(hours=5)  # the hour the HN post was written
    assert surging.surge.gain == 800 + 0.05 * 2000 + 40  # HN, X and HF's rise 10 -> 50
    assert surging.score == pytest.approx(sum(surging.breakdown.values()))
    assert set(surging.breakdown) == {"hackernews", "x", "huggingface"}
    assert "+940 in the last 24 h" in surging.surge.label


def test_trending_again_can_be_turned_off_or_made_stricter() -> None:
    assert "2403.00001" not in [p.paper.arxiv_id for p in service(stocked(),
        trending_again=False).top(5).papers]  # fmt: skip
    strict = service(stocked(), surge_min_gain=1000).top(5)
    assert "2403.00001" not in [p.paper.arxiv_id for p in strict.papers]


def test_surge_thresholds_are_checked_where_they_enter() -> None:
    with pytest.raises(ValueError, match="surge_min_gain"):
        Config.model_validate({"ranking": {"hot": {"surge_min_gain": -1}}})
    with pytest.raises(ValueError, match="surge_min_ratio"):
        Config.model_validate({"ranking": {"hot": {"surge_min_ratio": float("nan")}}})


def test_the_growing_papers_and_their_starts_are_index_range_reads_never_scans() -> None:
    store = stocked()
    TrendingReads(store)
    params = {"cutoff": 0, "cutoff_iso": "x", "metrics": '["upvotes"]', "ids": '["a", "b"]',
              "min_gain": 50}  # fmt: skip
    for sql in (GROWING.replace("{weight}", "1"), SURGE_STARTS):
        plan = [r["detail"] for r in store.query(f"EXPLAIN QUERY PLAN {sql}", params)]
        # Only the window's rows are scanned again (r, the union of the range reads).
        scans = [d for d in plan if d.startswith("SCAN") and "VIRTUAL" not in d and d != "SCAN r"]
        assert scans == [], plan
        assert not any(t in d for d in plan for t in ("post_links", " posts", "papers"))
    plan = store.query(f"EXPLAIN QUERY PLAN {GROWING.replace('{weight}', '1')}", params)
    growing = " ".join(r["detail"] for r in plan)
    for index in ("paper_gains_recent", "paper_fresh_recent", "signals_latest_recent"):
        assert index in growing


def _surging_digest() -> Digest:
    item = ranked(paper("2403.00001", announced=date(2024, 3, 2)), (post(reposts=9, likes=9),))
    surge = Surge(OLD, NOW - timedelta(hours=3), 480.0, 24.0)
    return Digest(date(2026, 11, 26), "hot", NOW, (replace(item, surge=surge),))


LABEL = "first announced 2 Mar 2024, +480 in the last 24 h"


def test_the_label_is_on_every_surface() -> None:
    digest = _surging_digest()
    assert f"trending again: {LABEL}" in render_text(digest)
    assert f"- trending again: {LABEL}" in render_markdown(digest, MarkdownConfig())
    doc = json.loads(render_json(digest))["papers"][0]["trending_again"]
    assert (doc["first_announced"], doc["gain"], doc["window_hours"]) == (
        "2024-03-02T00:00:00Z", 480.0, 24.0,
    )  # fmt: skip
    (message,) = digest_messages(digest)
    fields = {f["name"]: f["value"] for f in message.payload["embeds"][0]["fields"]}
    assert fields["🔁 Trending again"] == LABEL
    (slack,) = render_digest(digest)
    assert f":repeat: *Trending again* · {LABEL}" in str(slack.payload["blocks"])
    assert load_digest(dump_digest(digest)) == digest  # the site's frozen copy keeps it
    plain = replace(digest, papers=(replace(digest.papers[0], surge=None),))
    assert "trending again" not in render_text(plain) + render_markdown(plain, MarkdownConfig())
    assert json.loads(render_json(plain))["papers"][0]["trending_again"] is None
