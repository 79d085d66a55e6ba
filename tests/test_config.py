"""Settings: TOML behaviour, environment secrets, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

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


def test_every_setting_is_documented_in_the_shipped_config() -> None:
    text = (ROOT / "config/hotpapers.toml").read_text()

    def documented(key: str) -> bool:
        name = key.rpartition(".")[2]
        return bool(re.search(rf"^#? ?{name} =", text, re.M) or f"[{key}]" in text)

    assert [k for k in _keys(Config) if not documented(k)] == []


def test_every_environment_variable_is_documented_in_the_example() -> None:
    text = (ROOT / "config/.env.example").read_text()
    missing = [name.upper() for name in Env.model_fields if name.upper() not in text]
    assert missing == []
