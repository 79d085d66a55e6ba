"""The command line: digests from snapshots, export/import, and one-line errors."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.errors import UsageError
from tests.digest.blogposts import parse_post

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples/hot-papers-2021-06-25.json"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own database and the repository's default config."""
    monkeypatch.setenv("HOTPAPERS_DB", str(tmp_path / "hotpapers.db"))
    monkeypatch.setenv("HOTPAPERS_CONFIG", str(ROOT / "config/hotpapers.toml"))


def test_seed_digest_of_the_example_reproduces_the_2021_post(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["digest", "--snapshot", str(EXAMPLE), "--ranking", "seed", "--format", "markdown",
                 "--date", "2021-06-25"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    post = parse_post(out)  # laid out exactly as the blog's posts, or PostFormatError
    assert post.started == post.papers[0].stamp  # a snapshot's post dates from its first paper
    counts = re.findall(r"^- retweets: (\d+), favorites: (\d+)", out, re.MULTILINE)
    assert counts[0] == ("6903", "93") and counts[-1] == ("21", "48") and len(counts) == 16


def test_standard_output_carries_the_digest_alone(capsys: pytest.CaptureFixture[str]) -> None:
    main(["digest", "--snapshot", str(EXAMPLE), "--ranking", "seed", "--format", "json"])
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert [p["rank"] for p in doc["papers"]] == list(range(1, 17))
    assert "digest: 16 papers" in captured.err


def test_digest_with_snapshot_does_not_touch_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["digest", "--snapshot", str(EXAMPLE), "--ranking", "seed"])
    assert not (tmp_path / "hotpapers.db").exists()


def test_filters_apply_to_the_snapshot_digest(capsys: pytest.CaptureFixture[str]) -> None:
    main(["digest", "--snapshot", str(EXAMPLE), "--ranking", "seed", "--format", "json",
          "--category", "cs.CV", "--top", "3"])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert [p["arxiv_id"] for p in doc["papers"]] == ["2106.13228", "2106.13043", "2106.13215"]


def test_import_then_export_round_trips_and_import_twice_changes_nothing(tmp_path: Path) -> None:
    assert main(["import", str(EXAMPLE)]) == 0
    assert main(["import", str(EXAMPLE)]) == 0
    out = tmp_path / "out.json"
    assert main(["export", str(out)]) == 0
    exported = json.loads(out.read_text())
    original = json.loads(EXAMPLE.read_text())
    assert len(exported["papers"]) == 16 and len(exported["posts"]) == len(original["posts"])


def test_a_bad_snapshot_is_one_line_on_stderr_and_a_nonzero_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"papers": [{"arxiv_id": "2106.12627"}]}')
    assert main(["import", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"hotpapers: error: {bad}: papers[0] (arxiv_id '2106.12627').title: Field required"
    ]


def test_import_is_all_or_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(EXAMPLE.read_text())
    doc["posts"][-1]["likes"] = -1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    assert main(["import", str(bad)]) == 2
    main(["export", str(tmp_path / "after.json")])
    assert json.loads((tmp_path / "after.json").read_text())["papers"] == []


def _commands(
    parser: argparse.ArgumentParser, prefix: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser, str | None]]:
    """Every (sub)command under parser: its name, its parser, and its one-line help."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{prefix}{name}", sub, helps.get(name)
                yield from _commands(sub, f"{prefix}{name} ")


def test_every_command_and_option_has_help() -> None:
    commands = list(_commands(build_parser()))
    assert {name for name, _, _ in commands} >= {
        "digest", "export", "import", "fetch", "sources", "subscribe", "unsubscribe", "channels",
        "post", "status", "run", "discord-sync", "discord-invite", "slack manifest", "slack check",
    }  # fmt: skip
    missing = [name for name, sub, help_ in commands if not help_ or not sub.description]
    missing += [
        f"{name} {action.option_strings or action.dest}"
        for name, sub, _ in commands
        for action in sub._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
        and not action.help
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("value", "score"), [("-1", -1.0), ("-.5", -0.5), ("-1e3", -1000.0), ("-2.5E-1", -0.25)]
)
def test_a_negative_number_is_a_value_not_an_option(value: str, score: float) -> None:
    args = build_parser().parse_args(["digest", "--min-score", value])
    assert args.min_score == score


@pytest.mark.parametrize("value", ["-inf", "-Infinity", "-nan"])
def test_a_negative_infinity_is_refused_as_a_number_not_taken_for_an_option(value: str) -> None:
    with pytest.raises(UsageError, match=f"'{value}' is not a number like 10 or 2.5"):
        build_parser().parse_args(["subscribe", "discord:10000000000000001", "--min-score", value])


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["status", "discord:10000000000000001"], "`hotpapers status --help`"),
        (["slack", "manifest", "extra"], "`hotpapers slack manifest --help`"),
        (["channels", "--top", "3"], "`hotpapers channels --help`"),
    ],
)
def test_words_a_command_does_not_take_point_at_that_commands_help(
    argv: list[str], hint: str
) -> None:
    with pytest.raises(UsageError, match="unrecognized arguments") as caught:
        build_parser(argv).parse_args(argv)
    assert str(caught.value).endswith(f"(see {hint})")


def test_parsed_arguments_carry_nothing_of_the_parsers_own() -> None:
    args = build_parser(["channels"]).parse_args(["channels"])
    assert not [name for name in vars(args) if name.startswith("_")]


def test_running_out_of_memory_is_one_line_not_a_bug_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def exhausted(path: Path, *, stdin: object = None) -> None:
        raise MemoryError

    monkeypatch.setattr("bot.snapshot.load_snapshot", exhausted)
    assert main(["digest", "--snapshot", "huge.json"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == ["hotpapers: error: out of memory: the input is too large for this machine"]


def test_help_shows_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "exit status:" in out and "3    done, but some sources failed" in out


def test_bad_config_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[ranking]\ndefault = 'coolest'\n")
    assert main(["--config", str(cfg), "digest", "--snapshot", str(EXAMPLE)]) == 2
    err = capsys.readouterr().err
    assert "ranking.default" in err and "Traceback" not in err


def test_digest_offline_with_an_empty_store_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARXIV_RSS_URL", "http://127.0.0.1:9/rss/")  # nothing listens there
    assert main(["digest"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hotpapers: error: cannot reach 127.0.0.1")


def test_platform_free_commands_do_not_load_the_chat_libraries() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from bot.cli import main; "
        f"main(['digest', '--snapshot', {str(EXAMPLE)!r}, '--top', '1']); "
        "print('discord' in sys.modules, 'slack_bolt' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip().endswith("False False")
