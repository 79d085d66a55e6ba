"""The real CLI, in a process of its own, over a battery of mistakes a user can make.

Every case must end with exactly one `hotpapers: error:` line on stderr, the documented exit
status (docs/cli.md), no traceback, and the store and every file in the folder as they were.
Cases run in processes forked from one warm interpreter (tests/forkserver.py); a few also run
as a cold `python -m bot`, to show the two agree.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord.sync import CommandSync
from bot.app import build_app
from bot.config import load_settings
from bot.delivery.lease import Leases
from bot.delivery.ledger import Ledger
from bot.snapshot import load_snapshot
from bot.store import Store
from tests.forkserver import ForkServer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples/hot-papers-2021-06-25.json"
DISCORD = "discord:123456789012345678"
MISSING = "discord:404404404404404404"
LONG = "x" * 100_000


def closed_port() -> int:
    """A local port nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


DEAD = f"http://127.0.0.1:{closed_port()}"


@dataclass(frozen=True)
class Case:
    """One mistake: the command line, extra environment, stdin file, status, and what it says."""

    id: str
    argv: tuple[str, ...]
    code: int
    says: str
    env: dict[str, str] = field(default_factory=dict)
    stdin: str | None = None


def case(id_: str, argv: str | list[str], code: int, says: str, **kw: Any) -> Case:
    """A Case; argv as one string is split on spaces."""
    words = argv.split() if isinstance(argv, str) else argv
    return Case(id_, tuple(words), code, says, **kw)


SNAPSHOT = ["digest", "--snapshot", "example.json"]
SUBSCRIBE = ["subscribe", DISCORD]
CASES = [
    # -- the command line ------------------------------------------------------------------
    case("no-command", [], 2, "the following arguments are required: COMMAND"),
    case("unknown-command", "frobnicate", 2, "invalid choice: 'frobnicate'"),
    case("unknown-option", "digest --colour red", 2, "unrecognized arguments: --colour red"),
    case("top-0", "digest --top 0", 2, "--top: '0' is not a whole number from 1 to 100"),
    case("top-negative", "digest --top -3", 2, "--top: '-3' is not a whole number from 1 to 100"),
    case("top-101", "digest --top 101", 2, "'101' is not a whole number from 1 to 100"),
    case("top-word", "digest --top five", 2, "'five' is not a whole number"),
    case("top-superscript", "digest --top ²", 2, "'²' is not a whole number"),
    case("top-arabic-digit", "digest --top ٣", 2, "'٣' is not a whole number"),
    case("date-slashes", "digest --date 2021/06/25", 2, "'2021/06/25' is not a date: use YYYY-MM-DD"),
    case("date-impossible", "digest --date 2021-02-30", 2, "'2021-02-30' is not a date: use YYYY-MM-DD"),
    case("fetch-date", "fetch --date yesterday", 2, "'yesterday' is not a date: use YYYY-MM-DD"),
    case("post-date", f"post --channel {DISCORD} --date 25.06.2021", 2, "is not a date: use YYYY-MM-DD"),
    case("ranking-choice", "digest --ranking coolest", 2, "invalid choice: 'coolest'"),
    case("format-choice", "digest --format pdf", 2, "invalid choice: 'pdf'"),
    case("min-score-nan", "digest --min-score nan", 2, "'nan' is not a number"),
    case("min-score-inf", "digest --min-score=-inf", 2, "'-inf' is not a number"),
    case("category-excluded", "digest --category cs.LG --exclude cs", 2, "--category: cs.LG is also in --exclude (as part of cs)"),
    case("sub-category-excluded", "subscribe markdown:posts --category cs.CV --exclude cs.CV", 2, "categories: cs.CV is also in exclude_categories"),
    case("extra-word", "status discord:123456789012345678", 2, "unrecognized arguments: discord:123456789012345678 (see `hotpapers status --help`)"),
    case("min-score-inf-apart", "digest --min-score -inf", 2, "'-inf' is not a number"),
    case("top-exponent", "digest --top -1e3", 2, "--top: '-1e3' is not a whole number from 1 to 100"),
    case("category-unknown", [*SNAPSHOT, "--category", "cs.XX"], 2, "'cs.XX' is not an arXiv category (did you mean"),
    case("category-typo", [*SNAPSHOT, "--category", "cs.lgg"], 2, "(did you mean cs.LG"),
    case("category-archive-typo", [*SNAPSHOT, "--category", "physic"], 2, "did you mean physics"),
    case("category-list", [*SNAPSHOT, "--category", "cs.LG,cs.XX"], 2, "'cs.XX' is not an arXiv category"),
    case("category-too-many", [*SNAPSHOT, "--category", ",".join(["cs.LG"] * 51)], 2, "51 items; at most 50"),
    case("exclude-unknown", [*SNAPSHOT, "--exclude", "nope"], 2, "--exclude: 'nope' is not an arXiv category"),
    case("keyword-long", [*SNAPSHOT, "--keyword", LONG], 2, "(100,000 characters) is longer than 100"),
    case("fetch-source", "fetch --source mastodon", 2, "invalid choice: 'mastodon'"),
    case("export-no-file", "export", 2, "the following arguments are required: file"),
    case("slack-no-subcommand", "slack", 2, "the following arguments are required: SUBCOMMAND"),
    case("config-eats-command", "--config run slack manifest", 2, "--config run: no such configuration file"),
    case("config-missing", "--config missing.toml channels", 2, "--config missing.toml: no such configuration file"),
    case("config-folder", "--config folder channels", 2, "is a folder, not a configuration file"),
    # -- snapshot files ----------------------------------------------------------------------
    case("snapshot-missing", "digest --snapshot missing.json", 2, "missing.json: no such file"),
    case("snapshot-folder", "digest --snapshot folder", 2, "folder: is a folder, not a snapshot file"),
    case("snapshot-device", "digest --snapshot /dev/zero", 2, "/dev/zero: is a device, not a snapshot file"),
    case("snapshot-not-json", "digest --snapshot notes.txt", 2, "notes.txt: not valid JSON"),
    case("snapshot-not-utf8", "digest --snapshot latin1.json", 2, "latin1.json: not UTF-8 text"),
    case("snapshot-array", "digest --snapshot array.json", 2, "expected an object with papers, posts and signals"),
    case("snapshot-version", "digest --snapshot version2.json", 2, "version2.json: snapshot format version 2 is not one this hotpapers reads (1)"),
    case("snapshot-nested", "digest --snapshot nested.json", 2, "nested.json: not valid JSON"),
    case("import-missing-field", "import bad-entry.json", 2, "papers[0] (arxiv_id '2106.12627').title: Field required"),
    case("import-negative-count", "import negative-likes.json", 2, "likes: Input should be greater than or equal to 0"),
    case("import-script-url", "import script-url.json", 2, "url: 'javascript:alert(1)' is not an http(s) URL"),
    case("import-bad-id", "import bad-id.json", 2, "papers[0] (arxiv_id 'not-an-id').arxiv_id: not an arXiv id"),
    case("import-stdin-garbage", "import -", 2, "-: not valid JSON", stdin="notes.txt"),
    case("import-folder", "import folder", 2, "folder: is a folder, not a snapshot file"),
    case("export-missing-folder", "export no/such/x.json", 2, "the folder no/such does not exist"),
    case("export-onto-folder", "export folder", 2, "folder: is a folder; name the file"),
    # -- channels and subscriptions ----------------------------------------------------------
    case("discord-id-letters", "subscribe discord:abc", 2, "a Discord channel id is 17 to 20 digits"),
    case("discord-id-short", "subscribe discord:1", 2, "a Discord channel id is 17 to 20 digits"),
    case("slack-id-name", "subscribe slack:#general", 2, "a Slack channel id looks like C0123456789"),
    case("platform-unknown", "subscribe telegram:123", 2, "use discord:<channel id>, slack:<channel id>"),
    case("markdown-file", "subscribe markdown:/etc/passwd", 2, "/etc/passwd is a file, not a folder"),
    case("markdown-deep", "subscribe markdown:no/such/deep", 2, "neither no/such/deep nor its parent"),
    case("tz-directory", [*SUBSCRIBE, "--tz", "America"], 2, "timezone: 'America' is not an IANA timezone"),
    case("tz-posixrules", [*SUBSCRIBE, "--tz", "posixrules"], 2, "'posixrules' is not an IANA timezone"),
    case("tz-factory", [*SUBSCRIBE, "--tz", "Factory"], 2, "'Factory' is not an IANA timezone"),
    case("tz-localtime", [*SUBSCRIBE, "--tz", "localtime"], 2, "'localtime' is not an IANA timezone"),
    case("tz-long", [*SUBSCRIBE, "--tz", LONG], 2, "(100,000 characters) is not an IANA timezone"),
    case("time-25", [*SUBSCRIBE, "--time", "25:00"], 2, "time: '25:00' is not a time like 09:00"),
    case("days-unknown", [*SUBSCRIBE, "--days", "someday"], 2, "days: 'someday' is not a weekday range"),
    case("sub-top-26", [*SUBSCRIBE, "--top", "26"], 2, "'26' is not a whole number from 1 to 25"),
    case("sub-category", [*SUBSCRIBE, "--category", "cs.XX"], 2, "categories: 'cs.XX' is not an arXiv category"),
    case("sub-categories-10k", [*SUBSCRIBE, "--category", ",".join(["cs.LG"] * 10_000)], 2, "10,000 items; at most 50"),
    case("sub-keyword-long", [*SUBSCRIBE, "--keyword", LONG], 2, "is longer than 100 characters"),
    case("sub-min-score-nan", [*SUBSCRIBE, "--min-score", "nan"], 2, "'nan' is not a number"),
    case("sub-repeat-366", [*SUBSCRIBE, "--repeat-days", "366"], 2, "'366' is not a whole number from 0 to 365"),
    case("unsubscribe-unknown", f"unsubscribe {MISSING}", 2, f"{MISSING} has no subscription"),
    case("unsubscribe-bad-id", "unsubscribe discord:abc", 2, "a Discord channel id is 17 to 20 digits"),
    case("status-unknown", f"status --channel {MISSING}", 2, f"{MISSING} has no subscription"),
    case("post-bad-id", "post --channel slack:general", 2, "a Slack channel id looks like"),
    case("post-no-token", f"post --channel {DISCORD}", 2, f"cannot post to {DISCORD}: no discord adapter"),
    case("post-markdown-file", "post --channel markdown:notes.txt", 2, "notes.txt is a file, not a folder"),
    case("run-port-range", "run --port 99999", 2, "'99999' is not a whole number from 0 to 65535"),
    case("run-port-word", "run --port http", 2, "'http' is not a whole number from 0 to 65535"),
    # -- the config file ---------------------------------------------------------------------
    case("toml-syntax", "--config c-syntax.toml channels", 2, "c-syntax.toml: not valid TOML"),
    case("toml-not-utf8", "--config c-latin1.toml channels", 2, "c-latin1.toml: not UTF-8 text"),
    case("toml-ranking", "--config c-ranking.toml channels", 2, "ranking.default: Input should be 'hot' or 'seed'"),
    case("toml-unknown-key", "--config c-topp.toml channels", 2, "digest.topp: no such key (did you mean top?)"),
    case("toml-weights-key", "--config c-weights.toml channels", 2, "'hackrnews' is not a source (did you mean hackernews?"),
    case("toml-timezone", "--config c-timezone.toml channels", 2, "markdown.timezone: 'Europe/Berln' is not an IANA timezone"),
    case("toml-time", "--config c-time.toml channels", 2, "markdown.time: '8am' is not a time like 09:00"),
    case("toml-category", "--config c-category.toml channels", 2, "digest.categories: 'cs.XX' is not an arXiv category"),
    case("toml-nan", "--config c-nan.toml channels", 2, "digest.min_score: Input should be a finite number"),
    case("toml-shards", "--config c-shards.toml channels", 2, "discord: shard_ids needs auto_shard = true"),
    case("toml-enabled", "--config c-enabled.toml channels", 2, "sources.enabled: 'arxv' is not a source (did you mean arxiv?"),
    case("env-markdown-file", "channels", 2, "HOTPAPERS_MARKDOWN__FOLDER: notes.txt is a file, not a folder for posts", env={"HOTPAPERS_MARKDOWN__FOLDER": "notes.txt"}),
    # -- the environment ---------------------------------------------------------------------
    case("env-misspelt", "channels", 2, "HOTPAPERS_DIGEST__CATEGORIE: no such setting (did you mean", env={"HOTPAPERS_DIGEST__CATEGORIE": "cs.LG"}),
    case("env-section", "channels", 2, "HOTPAPERS_RANKING: no such setting", env={"HOTPAPERS_RANKING": "seed"}),
    case("env-category", "channels", 2, "HOTPAPERS_DIGEST__CATEGORIES: 'cs.XX' is not an arXiv category", env={"HOTPAPERS_DIGEST__CATEGORIES": "cs.LG,cs.XX"}),
    case("env-json", "channels", 2, "HOTPAPERS_DIGEST__CATEGORIES: not a JSON list", env={"HOTPAPERS_DIGEST__CATEGORIES": '["cs.LG"'}),
    case("env-top", "channels", 2, "HOTPAPERS_DIGEST__TOP: Input should be greater than or equal to 1", env={"HOTPAPERS_DIGEST__TOP": "0"}),
    case("env-timezone", "channels", 2, "HOTPAPERS_MARKDOWN__TIMEZONE: 'America' is not an IANA timezone", env={"HOTPAPERS_MARKDOWN__TIMEZONE": "America"}),
    case("env-log-level", "channels", 2, "LOG_LEVEL: 'loud' is not a log level", env={"LOG_LEVEL": "loud"}),
    case("env-port", "channels", 2, "PORT: Input should be less than or equal to 65535", env={"PORT": "70000"}),
    case("env-url", "channels", 2, "ARXIV_RSS_URL: 'ftp://arxiv.org' is not a URL", env={"ARXIV_RSS_URL": "ftp://arxiv.org"}),
    case("env-config-missing", "channels", 2, "HOTPAPERS_CONFIG=gone.toml: no such configuration file", env={"HOTPAPERS_CONFIG": "gone.toml"}),
    case("db-no-folder", "channels", 2, "HOTPAPERS_DB: the folder no/such/dir does not exist", env={"HOTPAPERS_DB": "no/such/dir/x.db"}),
    case("db-folder", "channels", 2, "HOTPAPERS_DB: folder is a folder", env={"HOTPAPERS_DB": "folder"}),
    case("db-not-sqlite", "channels", 1, "notes.txt is not an SQLite database", env={"HOTPAPERS_DB": "notes.txt"}),
    case("db-foreign", "import example.json", 1, "foreign.db is an SQLite database but not a hotpapers store", env={"HOTPAPERS_DB": "foreign.db"}),
    case("db-truncated", "channels", 1, "truncated.db", env={"HOTPAPERS_DB": "truncated.db"}),
    # -- the outside world -------------------------------------------------------------------
    case("digest-offline-empty-store", "digest", 1, "cannot reach 127.0.0.1", env={"HOTPAPERS_DB": "empty.db"}),
    case("discord-no-token", "discord-sync", 2, "DISCORD_TOKEN is not set"),
    case("discord-unreachable", "discord-invite", 1, f"cannot reach {DEAD} (connection refused)", env={"DISCORD_TOKEN": "t0ken", "DISCORD_API_BASE": DEAD}),
    case("slack-no-token", "slack check", 2, "SLACK_BOT_TOKEN is not set"),
    case("slack-app-token-as-bot", "slack check", 2, "SLACK_BOT_TOKEN: not a Bot User OAuth Token", env={"SLACK_BOT_TOKEN": "xapp-1-A1-2-abc"}),
    case("slack-manifest-url", "slack manifest --url http://bot.example.org", 2, "argument --url: 'http://bot.example.org' is not an https address"),
    case("slack-unreachable", "slack check", 1, f"cannot reach {DEAD}/ (connection refused)", env={"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_API_URL": DEAD}),
]  # fmt: skip


def _files(folder: Path) -> dict[str, str]:
    """What a folder holds: each file's digest (WAL files vary with every open: left out)."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_dir():
            found[name] = "folder"
        elif not name.endswith(("-wal", "-shm")):
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _rows(path: Path) -> list[str]:
    """An SQLite file's schema and rows (its bytes may change when nothing in it did)."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    except sqlite3.DatabaseError as error:
        return [f"unreadable: {error}"]
    finally:
        conn.close()


def _assert_unchanged(work: Path, template: Path, before: dict[str, str]) -> None:
    """Every file as it was in the template; a store with the same rows counts as the same."""
    after = _files(work)
    assert sorted(after) == sorted(before), "files were added or removed"
    # A write may sit in the store's WAL file, which the byte digests leave out: read it back.
    pending = [n for n in after if _wal(work / n)]
    changed = [name for name in after if after[name] != before[name] or name in pending]
    differ = [n for n in changed if not n.endswith(".db") or _rows(work / n) != _rows(template / n)]
    assert differ == []


def _wal(path: Path) -> bool:
    """Whether a store has writes in its WAL file (not yet checkpointed into the file)."""
    wal = Path(f"{path}-wal")
    return wal.exists() and wal.stat().st_size > 0


def _write(folder: Path, name: str, content: str | bytes) -> None:
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())


def _fixtures(folder: Path) -> None:
    """The folder every case starts from: a used store, a config, good and bad files."""
    shutil.copy(ROOT / "config/hotpapers.toml", folder / "hotpapers.toml")
    shutil.copy(EXAMPLE, folder / "example.json")
    doc = json.loads(EXAMPLE.read_text())
    settings = load_settings(
        folder / "hotpapers.toml", environ={"HOTPAPERS_DB": str(folder / "h.db")}
    )
    app = build_app(settings)  # a store that has been used: every feature's tables exist
    Ledger(app.store, app.clock)
    Leases(app.store)
    CommandSync(app.store)
    snap = load_snapshot(folder / "example.json")
    app.store.ingest(snap.papers, snap.posts, snap.signals, seen_at=snap.posts[0].observed_at)
    asyncio.run(app.aclose())
    Store(folder / "empty.db").close()
    (folder / "folder").mkdir()
    (folder / "posts").mkdir()
    _write(folder, "notes.txt", "just some notes\n")
    _write(folder, "latin1.json", b'{"papers": [], "note": "caf\xe9"}')
    _write(folder, "array.json", "[]")
    _write(folder, "version2.json", json.dumps({**doc, "version": 2}))
    _write(folder, "nested.json", "[" * 100_000 + "]" * 100_000)
    _write(folder, "bad-entry.json", '{"papers": [{"arxiv_id": "2106.12627"}]}')
    _write(folder, "bad-id.json", '{"papers": [{"arxiv_id": "not-an-id", "title": "x"}]}')
    negative = json.loads(EXAMPLE.read_text())
    negative["posts"][-1]["likes"] = -1
    _write(folder, "negative-likes.json", json.dumps(negative))
    scripted = json.loads(EXAMPLE.read_text())
    scripted["posts"][-1]["url"] = "javascript:alert(1)"
    _write(folder, "script-url.json", json.dumps(scripted))
    foreign = sqlite3.connect(folder / "foreign.db")
    foreign.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)")
    foreign.commit()
    foreign.close()
    shutil.copy(folder / "h.db", folder / "truncated.db")
    with (folder / "truncated.db").open("r+b") as handle:
        handle.truncate((folder / "truncated.db").stat().st_size // 3)
    configs = {
        "c-syntax.toml": "[digest\n",
        "c-latin1.toml": b"[digest]\ntop = 3 # caf\xe9\n",
        "c-ranking.toml": "[ranking]\ndefault = 'coolest'\n",
        "c-topp.toml": "[digest]\ntopp = 3\n",
        "c-weights.toml": "[ranking.hot.weights]\nhackrnews = 1.0\n",
        "c-timezone.toml": "[markdown]\ntimezone = 'Europe/Berln'\n",
        "c-time.toml": "[markdown]\ntime = '8am'\n",
        "c-category.toml": "[digest]\ncategories = ['cs.LG', 'cs.XX']\n",
        "c-nan.toml": "[digest]\nmin_score = nan\n",
        "c-shards.toml": "[discord]\nshard_ids = [0]\n",
        "c-enabled.toml": "[sources]\nenabled = ['arxv']\n",
    }
    for name, content in configs.items():
        _write(folder, name, content)


def _environment() -> dict[str, str]:
    """A clean environment: our files, every outside host unreachable, nothing inherited."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ")}
    urls = ("ARXIV_RSS_URL", "ARXIV_API_URL", "ARXIV_OAI_URL", "HF_API_URL", "HN_API_URL",
            "BLUESKY_API_URL", "X_API_URL", "REDDIT_API_URL", "REDDIT_AUTH_URL")  # fmt: skip
    return {
        **keep,
        "HOTPAPERS_DB": "h.db",
        "HOTPAPERS_CONFIG": "hotpapers.toml",
        **{name: f"{DEAD}/" for name in urls},
    }


@dataclass
class Runner:
    """Runs `python -m bot` in a folder, forked from the session's warm server."""

    forks: ForkServer

    def run(self, folder: Path, argv: list[str], env: dict[str, str], stdin: str | None) -> int:
        """Run one command in folder; its output lands in folder/../out and ../err."""
        child = self.forks.spawn(
            "bot", argv, env=env, cwd=folder, stdin=folder / stdin if stdin else None,
            stdout=folder.parent / "out", stderr=folder.parent / "err",
        )  # fmt: skip
        code = child.result(timeout=60)
        assert code is not None, f"{argv} did not finish within a minute"
        return code


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template") / "work"
    folder.mkdir()
    _fixtures(folder)
    return folder


@pytest.fixture
def runner(forks: ForkServer) -> Runner:
    return Runner(forks)


@pytest.fixture(scope="module")
def template_files(template: Path) -> dict[str, str]:
    return _files(template)


@pytest.fixture
def work(template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    shutil.copytree(template, folder)
    return folder


def _check_one_line(err: str, says: str) -> None:
    """Exactly one error line, saying the expected thing, and no traceback anywhere."""
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("hotpapers: error: ")]
    assert len(errors) == 1, err
    assert says in errors[0], errors[0]
    assert err.splitlines() == errors, f"more than the error line on stderr:\n{err}"


@pytest.mark.parametrize("item", CASES, ids=[c.id for c in CASES])
def test_every_mistake_is_one_line_a_documented_status_and_changes_nothing(
    runner: Runner, work: Path, template: Path, template_files: dict[str, str], item: Case
) -> None:
    code = runner.run(work, list(item.argv), {**_environment(), **item.env}, item.stdin)
    err = (work.parent / "err").read_text()
    _check_one_line(err, item.says)
    assert code == item.code, err
    assert (work.parent / "out").read_text() == ""
    _assert_unchanged(work, template, template_files)


def test_a_port_in_use_is_one_line(
    runner: Runner, work: Path, template: Path, template_files: dict[str, str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = runner.run(work, ["run", "--port", str(port)], _environment(), None)
    err = (work.parent / "err").read_text()
    errors = [line for line in err.splitlines() if line.startswith("hotpapers: error: ")]
    assert "Traceback" not in err and code == 1
    assert errors == [
        f"hotpapers: error: cannot listen on 0.0.0.0:{port} (address already in use);"
        " choose another with --port or PORT"
    ]
    _assert_unchanged(work, template, template_files)


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["digest", "--top", "0"], {}),
        (["--config", "run", "slack", "manifest"], {}),
        (["channels"], {"HOTPAPERS_DB": "notes.txt"}),
        (["channels"], {"HOTPAPERS_DIGEST__CATEGORIE": "cs.LG"}),
    ],
)
def test_a_cold_python_m_bot_behaves_as_the_forked_runs(
    runner: Runner, work: Path, argv: list[str], env: dict[str, str]
) -> None:
    full_env = {**_environment(), "PYTHONPATH": str(ROOT), **env}
    cold = subprocess.run(
        [sys.executable, "-m", "bot", *argv], cwd=work, env=full_env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    code = runner.run(work, argv, full_env, None)
    assert (code, (work.parent / "err").read_text()) == (cold.returncode, cold.stderr)


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["channels"], {"LOG_LEVEL": "debug"}),
        (["channels"], {"HOTPAPERS_DIGEST__CATEGORIES": "cs.LG"}),
        (["channels"], {"HOTPAPERS_DIGEST__CATEGORIES": "cs.lg, cs.CV", "PORT": ""}),
        ([*SNAPSHOT, "--category", "cs.lg", "--ranking", "seed"], {}),
        ([*SNAPSHOT, "--category", "cs.LG,cs.CV", "--exclude", "QUANT-PH"], {}),
        (["--config", "hotpapers.toml", "slack", "manifest", "--socket"], {}),
    ],
)
def test_what_used_to_fail_or_mislead_now_works(
    runner: Runner, work: Path, argv: list[str], env: dict[str, str]
) -> None:
    code = runner.run(work, argv, {**_environment(), **env}, None)
    err = (work.parent / "err").read_text()
    assert code == 0 and "error" not in err.lower(), err


def test_export_to_stdout_and_import_from_stdin(runner: Runner, work: Path) -> None:
    assert runner.run(work, ["export", "-"], _environment(), None) == 0
    (work / "copy.json").write_text((work.parent / "out").read_text())
    assert not (work / "-").exists()
    env = {**_environment(), "HOTPAPERS_DB": "fresh.db"}
    assert runner.run(work, ["import", "-"], env, "copy.json") == 0
    assert runner.run(work, ["export", "again.json"], env, None) == 0
    assert json.loads((work / "again.json").read_text()) == json.loads(
        (work / "copy.json").read_text()
    )
    assert oct((work / "again.json").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_done_but_some_sources_failed_is_status_3(runner: Runner, work: Path) -> None:
    env = {**_environment(), "HOTPAPERS_SOURCES__MAX_RETRIES": "0"}
    code = runner.run(work, ["digest"], env, None)
    out, err = (work.parent / "out").read_text(), (work.parent / "err").read_text()
    assert code == 3, err
    assert "sources unreachable: ranking what the store already has" in out + err
    assert "Traceback" not in err and "hotpapers: error:" not in err


def test_a_fetch_where_every_source_failed_is_a_failure_not_a_partial_success(
    runner: Runner, work: Path
) -> None:
    env = {**_environment(), "HOTPAPERS_SOURCES__MAX_RETRIES": "0"}
    code = runner.run(work, ["fetch", "--source", "hackernews"], env, None)
    out, err = (work.parent / "out").read_text(), (work.parent / "err").read_text()
    assert code == 1, err
    assert "hackernews: failed" in out  # the report still says what happened
    errors = [line for line in err.splitlines() if line.startswith("hotpapers: error:")]
    assert len(errors) == 1 and "Traceback" not in err
    assert errors[0].startswith("hotpapers: error: nothing was fetched: every source failed (hack")
    assert errors[0].endswith("check the network or proxy (HTTPS_PROXY)")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["slack", "manifest"], "placeholder URL https://hotpapers.example.org: pass --url"),
        ([*SNAPSHOT, "--category", "physics"], "physics is not among the arXiv listings fetched"),
        (
            ["subscribe", "markdown:posts", "--category", "physics,cs.LG"],
            "markdown:posts: physics is not among the arXiv listings fetched",
        ),
    ],
)
def test_what_was_assumed_or_why_nothing_came_out_is_said(
    runner: Runner, work: Path, argv: list[str], says: str
) -> None:
    code = runner.run(work, argv, _environment(), None)
    err = (work.parent / "err").read_text()
    assert code == 0 and says in err, err
