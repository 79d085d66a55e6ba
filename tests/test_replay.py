"""The replay of the synthetic fortnight: late surges in one refresh, spikes fade, niches stay.

bench/scenario.py builds the fortnight (fetches every two hours); bot/replay.py plays it back.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from bench import scenario
from bench.replay import SCENARIO_REPORT, scenario_report
from bot.config import Config
from bot.replay import DayReport, Report, replay
from bot.store import Store


@pytest.fixture(scope="module")
def played() -> tuple[Report, str]:
    return scenario_report()


def day(report: Report, when: date) -> DayReport:
    (found,) = [d for d in report.days if d.day == when]
    return found


def test_each_late_surge_enters_the_top_10_at_the_first_refresh_after_it_starts(
    played: tuple[Report, str],
) -> None:
    report, _ = played
    assert {s.arxiv_id for s in report.surges} == set(scenario.LATE_SURGES)
    for surge in report.surges:
        assert surge.refreshes == 1, surge
        assert surge.hours is not None and surge.hours <= 2  # fetches are two hours apart
    old = day(report, date(2026, 11, 12))  # the day after the 2024 paper's surge
    assert old.top[0] == scenario.OLD_SURGE and scenario.OLD_SURGE in old.trending
    before = day(report, date(2026, 11, 11))  # its digest came before the surge
    assert scenario.OLD_SURGE not in before.top


def test_an_early_spike_with_no_follow_up_leads_its_day_then_fades_out(
    played: tuple[Report, str],
) -> None:
    report, _ = played
    for spike, first in zip(scenario.EARLY_SPIKES, (date(2026, 11, 3), date(2026, 11, 9)),
                            strict=True):  # fmt: skip
        ranks = []
        for offset in range(5):
            shown = day(report, first + timedelta(days=offset)).top
            ranks.append(shown.index(spike) if spike in shown else None)
        assert ranks[0] == 0, ranks  # first on its day
        assert ranks[-1] is None, ranks  # out of the top 10 within four days
        kept = [r for r in ranks if r is not None]
        assert kept == sorted(kept), ranks  # never climbing back: it only fades


def test_the_reacting_channels_niche_paper_rises_in_that_channel_only(
    played: tuple[Report, str],
) -> None:
    report, _ = played
    in_lab = [d.day for d in report.days if scenario.NICHE in d.channels[scenario.LAB]]
    assert in_lab and in_lab[0] == date(2026, 11, 10)  # the day after the reactions
    assert all(scenario.NICHE not in d.channels[scenario.GENERAL] for d in report.days)
    assert all(scenario.NICHE not in d.top for d in report.days)
    assert all(d.channels[scenario.GENERAL] == d.top for d in report.days)  # no reactions there


def test_churn_counts_the_papers_new_to_the_top_since_the_day_before(
    played: tuple[Report, str],
) -> None:
    report, _ = played
    first, *rest = report.days
    assert first.churn is None
    for before, after in zip(report.days, rest, strict=False):
        assert after.churn == len(set(after.top) - set(before.top))


def test_the_kept_report_is_the_scenarios_current_one(played: tuple[Report, str]) -> None:
    _, text = played
    assert SCENARIO_REPORT.read_text(encoding="utf-8") == text, (
        "regenerate: python -m bench.replay --scenario --out bench/replay-scenario.md"
    )


def test_refreshes_before_since_are_ingested_without_ranking() -> None:
    store = scenario.build(Store())
    since = datetime(2026, 11, 10, tzinfo=scenario.START.tzinfo)
    report = replay(store, Config(), since=since, digest_at=time(9))
    assert report.days[0].day == date(2026, 11, 10)
    assert report.refreshes == 12 * 6  # six days (10 to 15 November) of fetches every two hours
    assert report.days[0].churn is None and len(report.days[0].top) == 10
