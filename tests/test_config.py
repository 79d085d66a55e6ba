"""Settings: TOML behaviour, environment secrets, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config, ConfigError, load_settings

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


def test_toml_keys_can_be_overridden_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTPAPERS_RANKING__DEFAULT", "seed")
    assert (
        load_settings(ROOT / "config/hotpapers.toml", environ={}).config.ranking.default == "seed"
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[ranking]\ndefault = 'coolest'\n", "ranking.default"),
        ("[digest]\ntopp = 3\n", "digest.topp: Extra inputs are not permitted"),
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
