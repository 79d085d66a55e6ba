"""HOTPAPERS_<SECTION>__<KEY> variables as config overrides, and one-line settings errors.

Written here rather than left to pydantic-settings because its environment source ignores
misspelt variables, reads only JSON for lists, and reports a bad variable as a bad file.
"""

from __future__ import annotations

import difflib
import json
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.errors import ConfigError

__all__ = ["ENV_PREFIX", "OWN_VARIABLES", "Overrides", "describe", "env_overrides", "merge"]

ENV_PREFIX = "HOTPAPERS_"
OWN_VARIABLES = frozenset({"HOTPAPERS_DB", "HOTPAPERS_CONFIG"})  # not config keys
_DELIMITER = "__"
Loc = tuple[int | str, ...]


@dataclass
class Overrides:
    """Config values from the environment, and which variable set each one."""

    data: dict[str, Any] = field(default_factory=dict)
    origins: dict[tuple[str, ...], str] = field(default_factory=dict)

    def variable(self, loc: Loc) -> str | None:
        """The variable that set the value at loc (or one of its parents), if any."""
        parts = tuple(str(p) for p in loc)
        for end in range(len(parts), 0, -1):
            if parts[:end] in self.origins:
                return self.origins[parts[:end]]
        # A table or section check (weights, shard_ids) fails at the table: blame what set it.
        below = [name for path, name in self.origins.items() if path[: len(parts)] == parts]
        return below[0] if below else None


def _section(annotation: Any) -> type[BaseModel] | None:
    """The model class a field holds, if it holds a section."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _leaves(model: type[BaseModel], prefix: str) -> Iterator[str]:
    """Every variable name that sets a key of model."""
    for name, info in model.model_fields.items():
        section = _section(info.annotation)
        if section is not None:
            yield from _leaves(section, f"{prefix}{name.upper()}{_DELIMITER}")
        else:
            yield f"{prefix}{name.upper()}"


def _unknown(name: str, model: type[BaseModel]) -> ConfigError:
    """A variable that names no setting, with the closest that do."""
    close = difflib.get_close_matches(name.upper(), list(_leaves(model, ENV_PREFIX)), n=2)
    hint = f"did you mean {' or '.join(close)}?" if close else "see docs/configuration.md"
    return ConfigError(
        f"{name}: no such setting ({hint}); variables are"
        f" {ENV_PREFIX}<SECTION>{_DELIMITER}<KEY> for keys of config/hotpapers.toml"
    )


def _value(name: str, raw: str, annotation: Any) -> Any:
    """The variable's text as the field wants it: lists from JSON or a,b; tables from JSON."""
    origin = typing.get_origin(annotation)
    if origin in (tuple, list):
        if not raw.lstrip().startswith("["):
            return [part.strip() for part in raw.split(",") if part.strip()]
        try:
            return json.loads(raw)
        except json.JSONDecodeError as error:
            raise ConfigError(f"{name}: not a JSON list ({error.msg}); or write a,b") from None
    if origin is dict:
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ConfigError(f"{name}: not a JSON object ({error.msg})") from None
        if not isinstance(value, dict):
            raise ConfigError(f'{name}: expected a JSON object such as {{"x": 0.1}}')
        return value
    return raw


def _place(name: str, raw: str, model: type[BaseModel]) -> tuple[tuple[str, ...], Any]:
    """The key path a variable sets, and its value."""
    parts = name.upper().removeprefix(ENV_PREFIX).lower().split(_DELIMITER)
    current: type[BaseModel] = model
    for index, part in enumerate(parts):
        info = current.model_fields.get(part)
        if info is None:
            break
        last = index == len(parts) - 1
        section = _section(info.annotation)
        if section is not None and not last:
            current = section
            continue
        if section is None and last:
            return tuple(parts), _value(name, raw, info.annotation)
        if typing.get_origin(info.annotation) is dict and index == len(parts) - 2:
            return tuple(parts), raw  # one entry of a table, e.g. ..._WEIGHTS__X=0.1
        break
    raise _unknown(name, model)


def env_overrides(model: type[BaseModel], environ: Mapping[str, str]) -> Overrides:
    """Every HOTPAPERS_* variable as a nested override; an unknown one is a ConfigError."""
    found = Overrides()
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in OWN_VARIABLES:
            continue
        raw = environ[name]
        path, value = _place(name, raw, model)
        if raw == "":
            continue  # set but empty: unset, as `docker run --env-file` passes `KEY=`
        node = found.data
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
        found.origins[path] = name
    return found


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """base with over's values on top, tables merged key by key."""
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            merged[key] = merge(below, value)
        else:
            merged[key] = value
    return merged


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The section model at a key path."""
    current: type[BaseModel] | None = model
    for part in loc:
        info = current.model_fields.get(str(part)) if current else None
        current = _section(info.annotation) if info else None
    return current


def _message(first: Mapping[str, Any], model: type[BaseModel] | None, show_input: bool) -> str:
    """pydantic's message, readable: unknown keys get suggestions, wrong values are quoted."""
    loc = tuple(first["loc"])
    if first["type"] == "extra_forbidden" and model is not None:
        section = _model_at(model, loc[:-1])
        known = list(section.model_fields) if section else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        return f"no such key (did you mean {close[0]}?)" if close else "no such key"
    message = str(first["msg"]).removeprefix("Value error, ")
    value = first.get("input")
    if (
        show_input
        and first["type"] != "value_error"
        and isinstance(value, str | int | float)
        and not isinstance(value, bool)
    ):
        text = repr(value) if len(str(value)) <= 60 else repr(str(value)[:60]) + "…"
        message += f" (got {text})"
    return message


def _keys(loc: Loc, model: type[BaseModel] | None) -> str:
    """The dotted key path, without the type names pydantic adds for unions."""
    parts: list[str] = []
    current = model
    for part in loc:
        added = current is not None and isinstance(part, str) and part not in current.model_fields
        if added and parts and part in ("float", "int", "str", "none", "bool"):
            continue
        parts.append(str(part))
        info = current.model_fields.get(str(part)) if current else None
        current = _section(info.annotation) if info else None
    return ".".join(parts) or "(top level)"


def describe(
    error: ValidationError,
    *,
    env: Callable[[Loc], str | None],
    file: str | None = None,
    model: type[BaseModel] | None = None,
) -> str:
    """One line for the first error: `VARIABLE: why` or `file: section.key: why`."""
    first = error.errors()[0]
    loc = tuple(first["loc"])
    variable = env(loc)
    message = _message(first, model, show_input=file is not None)
    if variable is not None:
        return f"{variable}: {message}"
    return f"{file}: {_keys(loc, model)}: {message}"
