"""Settings: TOML behaviour, environment secrets, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from bot.config import Config, ConfigError, Env, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_config_equals_the_built_in_defaults() -> None:
    assert load_settings(ROOT / "config/hotpapers.toml", environ={}).config == Config()


def test_secrets_come_from_the_environment_and_never_print() -> None:
    settings = load_settings(
        ROOT / "config/hotpapers.toml", environ={"DISCORD_TOKEN": "s3cret", "PORT": "9000"}
    )
    assert settings.env.discord_token is not None
    assert settings.env.discord_token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings) and settings.env.port == 9000


def test_toml_keys_can_be_overridden_from_the_environment() -> None:
    environ = {"HOTPAPERS_RANKING__DEFAULT": "seed"}
    settings = load_settings(ROOT / "config/hotpapers.toml", environ=environ)
    assert settings.config.ranking.default == "seed"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[ranking]\ndefault = 'coolest'\n", "ranking.default"),
        ("[digest]\ntopp = 3\n", r"digest.topp: no such key \(did you mean top\?\)"),
        ("[digest\n", "not valid TOML"),
    ],
)
def test_bad_config_files_name_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_settings(path, environ={})


def test_a_missing_named_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_settings(tmp_path / "none.toml", environ={})


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every leaf key of a settings model, as section.key paths."""
    keys = []
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            keys += _keys(kind, f"{prefix}{name}.")
        else:
            keys.append(f"{prefix}{name}")
    return keys


def _documented(text: str) -> set[str]:
    """The full dotted paths a TOML file shows: its sections, and keys set or commented out."""
    found, section = set(), ""
    for line in text.splitlines():
        if header := re.match(r"^\[([\w.]+)\]", line):
            section = header[1]
            found.add(section)
        elif key := re.match(r"^#? ?(\w+) =", line):
            found.add(f"{section}.{key[1]}" if section else key[1])
    return found


def test_documented_keys_are_read_with_their_section() -> None:
    text = "top = 1\n[a]\nmin_score = 1\n[a.b]\n# min_score = 2   # unset by default\n"
    assert _documented(text) == {"top", "a", "a.min_score", "a.b", "a.b.min_score"}


def test_every_setting_is_documented_in_the_shipped_config() -> None:
    # Full paths: ranking.hot.min_score is not documented by digest.min_score.
    documented = _documented((ROOT / "config/hotpapers.toml").read_text())
    assert [k for k in _keys(Config) if k not in documented] == []


def test_every_environment_variable_is_documented_in_the_example() -> None:
    text = (ROOT / "config/.env.example").read_text()
    missing = [name.upper() for name in Env.model_fields if name.upper() not in text]
    assert missing == []


LOAD = ROOT / "config/hotpapers.toml"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"HOTPAPERS_DIGEST__CATEGORIES": "cs.LG"}, ("cs.LG",)),
        ({"HOTPAPERS_DIGEST__CATEGORIES": "cs.lg, cs.CV"}, ("cs.LG", "cs.CV")),
        ({"HOTPAPERS_DIGEST__CATEGORIES": '["cs.LG", "math.co"]'}, ("cs.LG", "math.CO")),
        ({"HOTPAPERS_DIGEST__CATEGORIES": ""}, ()),  # empty: unset, as --env-file gives it
    ],
)
def test_list_settings_from_the_environment_take_json_or_commas(
    environ: dict[str, str], expected: tuple[str, ...]
) -> None:
    assert load_settings(LOAD, environ=environ).config.digest.categories == expected


def test_one_weight_can_be_set_from_the_environment() -> None:
    weights = load_settings(
        LOAD, environ={"HOTPAPERS_RANKING__HOT__WEIGHTS__X": "0.2"}
    ).config.ranking.hot.weights
    assert weights["x"] == 0.2 and weights["huggingface"] == 1.0


def test_log_level_is_case_insensitive() -> None:
    assert load_settings(LOAD, environ={"LOG_LEVEL": "debug"}).env.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"HOTPAPERS_DIGEST__TOPP": "3"},
            "HOTPAPERS_DIGEST__TOPP: no such setting (did you mean HOTPAPERS_DIGEST__TOP",
        ),
        ({"HOTPAPERS_RANKING": "seed"}, "HOTPAPERS_RANKING: no such setting"),
        (
            {"HOTPAPERS_DIGEST__TOP": "0"},
            "HOTPAPERS_DIGEST__TOP: Input should be greater than or equal to 1 (got '0')",
        ),
        (
            {"HOTPAPERS_DIGEST__MIN_SCORE": "nan"},
            "HOTPAPERS_DIGEST__MIN_SCORE: Input should be a finite number",
        ),
        (
            {"HOTPAPERS_DIGEST__CATEGORIES": "cs.XX"},
            "HOTPAPERS_DIGEST__CATEGORIES: 'cs.XX' is not an arXiv category (did you mean",
        ),
        (
            {"HOTPAPERS_DIGEST__CATEGORIES": '["cs.LG"'},
            "HOTPAPERS_DIGEST__CATEGORIES: not a JSON list",
        ),
        (
            {"HOTPAPERS_RANKING__HOT__WEIGHTS__HN": "1"},
            "HOTPAPERS_RANKING__HOT__WEIGHTS__HN: 'hn' is not a source",
        ),
        (
            {"HOTPAPERS_RANKING__HOT__WEIGHTS": '{"hackrnews": 1}'},
            "HOTPAPERS_RANKING__HOT__WEIGHTS: 'hackrnews' is not a source (did you mean hackern",
        ),
        (
            {"HOTPAPERS_SOURCES__ENABLED": "arxiv,reddt"},
            "HOTPAPERS_SOURCES__ENABLED: 'reddt' is not a source (did you mean reddit?",
        ),
        (
            {"HOTPAPERS_MARKDOWN__TIMEZONE": "America"},
            "HOTPAPERS_MARKDOWN__TIMEZONE: 'America' is not an IANA timezone",
        ),
        ({"HOTPAPERS_MARKDOWN__TIME": "25:00"}, "HOTPAPERS_MARKDOWN__TIME: '25:00' is not a time"),
        (
            {"HOTPAPERS_DISCORD__SHARD_IDS": "0,1"},
            "HOTPAPERS_DISCORD__SHARD_IDS: shard_ids needs auto_shard",
        ),
        (
            {"LOG_LEVEL": "loud"},
            "LOG_LEVEL: 'loud' is not a log level (DEBUG, INFO, WARNING, ERROR, CRITICAL)",
        ),
        ({"PORT": "70000"}, "PORT: Input should be less than or equal to 65535"),
        ({"PORT": "http"}, "PORT: Input should be a valid integer"),
        (
            {"HOTPAPERS_DB": "no/such/dir/x.db"},
            "HOTPAPERS_DB: the folder no/such/dir does not exist",
        ),
        ({"ARXIV_RSS_URL": "rss.arxiv.org/rss"}, "ARXIV_RSS_URL: 'rss.arxiv.org/rss' is not a URL"),
        (
            {"DISCORD_GATEWAY_URL": "https://gateway"},
            "DISCORD_GATEWAY_URL: 'https://gateway' is not a URL starting wss://",
        ),
        (
            {"HOTPAPERS_CONFIG": "/no/such.toml"},
            "HOTPAPERS_CONFIG=/no/such.toml: no such configuration file",
        ),
    ],
)  # fmt: skip
def test_environment_mistakes_name_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None if "HOTPAPERS_CONFIG" in environ else LOAD, environ=environ)
    assert str(caught.value).startswith(message)
    assert str(LOAD) not in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "token", "says"),
    [
        (
            "SLACK_BOT_TOKEN",
            "xapp-1-A1-s3cret",
            "not a Bot User OAuth Token (it does not start xoxb-)",
        ),
        ("SLACK_BOT_TOKEN", '"xoxb-s3cret"', "remove the quotes around it"),
        ("SLACK_APP_TOKEN", "xoxb-s3cret", "not an app-level token (it does not start xapp-)"),
    ],
)
def test_a_slack_token_of_the_wrong_kind_is_refused_without_echoing_it(
    variable: str, token: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(LOAD, environ={variable: token})
    assert str(caught.value).startswith(f"{variable}: ") and says in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_a_secret_is_never_echoed_in_an_error() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(LOAD, environ={"DISCORD_TOKEN": "s3cret", "PORT": "no"})
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            "[ranking.hot.weights]\nhackrnews = 1.0\n",
            "ranking.hot.weights: 'hackrnews' is not a source (did you mean hackernews?",
        ),
        (
            "[ranking.hot.weights]\nx = -1.0\n",
            "ranking.hot.weights: x: a weight cannot be negative",
        ),
        ("[digest]\nmin_score = nan\n", "digest.min_score: Input should be a finite number"),
        (
            "[digest]\ncategories = ['cs.lg', 'physic']\n",
            "digest.categories: 'physic' is not an arXiv category (did you mean physics",
        ),
        ("[digest]\nkeywords = ['" + "x" * 200 + "']\n", "digest.keywords: 'xxx"),
        (
            "[markdown]\ntimezone = 'Europe/Berln'\n",
            "markdown.timezone: 'Europe/Berln' is not an IANA timezone",
        ),
        ("[markdown]\ntime = '8am'\n", "markdown.time: '8am' is not a time like 09:00"),
        ("[sources]\ncategories = []\n", "sources.categories: give at least one arXiv category"),
        (
            "[discord]\nauto_shard = true\nshard_count = 2\nshard_ids = [2]\n",
            "discord: shard_ids: 2 is not between 0",
        ),
        ("[rankings]\n", "rankings: no such key (did you mean ranking?)"),
        (
            "[digest]\ncategories = ['cs.CV']\nexclude_categories = ['cs.CV']\n",
            "digest: categories: cs.CV is also in exclude_categories, so no paper in it",
        ),
        # Every list of names is checked at load, not when a fetch or a ranking first uses it.
        (
            "[sources]\nenabled = ['arxiv', 'hackernew']\n",
            "sources.enabled: 'hackernew' is not a source (did you mean hackernews? sources: arx",
        ),
        ("[sources]\nenabled = ['mastodon']\n", "sources.enabled: 'mastodon' is not a source (sou"),
        (
            "[sources.max_response_mb]\nredit = 3\n",
            "sources.max_response_mb: 'redit' is not a source (did you mean reddit?",
        ),
        (
            "[ranking.hot]\nsignal_metrics = ['upvote']\n",
            "ranking.hot.signal_metrics: 'upvote' is not a signal metric (did you mean upvotes?",
        ),
    ],
)  # fmt: skip
def test_config_file_mistakes_name_the_file_and_key(
    tmp_path: Path, toml: str, message: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert str(caught.value).startswith(f"{path}: {message}")


def test_config_file_keys_are_normalised_when_valid(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        "[digest]\ncategories = ['CS.lg,cs.cv']\n[markdown]\ntimezone = 'europe/paris'\n"
    )
    config = load_settings(path, environ={}).config
    assert config.digest.categories == ("cs.LG", "cs.CV")
    assert config.markdown.timezone == "Europe/Paris"


def test_source_names_are_case_folded_and_comma_lists_split(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[sources]\nenabled = ['ArXiv, HackerNews', 'arxiv']\n")
    assert load_settings(path, environ={}).config.sources.enabled == ("arxiv", "hackernews")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[digest]\ntop = 3 # caf\xe9\n", "not UTF-8 text (byte 22)"),
        (b"[digest\n", "not valid TOML"),
    ],
)
def test_unreadable_config_files_are_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=re.escape(f"--config {path}: {message}")):
        load_settings(path, environ={})
    with pytest.raises(ConfigError, match="is a folder, not a configuration file"):
        load_settings(tmp_path, environ={})


def test_the_env_example_is_safe_for_docker_env_file() -> None:
    """Docker's --env-file keeps everything after `=`: no inline comments, no quotes."""
    environ = {}
    for line in (ROOT / "config/.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            assert "#" not in value and not value.startswith(("'", '"')), line
            environ[name] = value
    load_settings(ROOT / "config/hotpapers.toml", environ=environ)


def test_response_limits_name_known_sources_and_keep_the_defaults_of_the_others() -> None:
    from bot.config import MAX_RESPONSE_MB, SourcesConfig

    config = SourcesConfig(max_response_mb={"hackernews": 2.0})
    assert config.max_response_mb == {**MAX_RESPONSE_MB, "hackernews": 2.0}
    for bad, message in (({"mastodon": 1.0}, "'mastodon' is not a source"), ({"x": 0}, "than 0")):
        with pytest.raises(ValidationError, match=message):
            SourcesConfig(max_response_mb=bad)
    with pytest.raises(ValidationError, match="not a host name"):
        SourcesConfig(redirect_hosts=("https://mirror.example/",))
