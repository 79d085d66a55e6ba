"""Rules of the package's shape, checked on its source: what may reach what."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import bot

PACKAGE = Path(bot.__file__).parent
STORE_INSIDES = {"_conn", "_lock", "_db", "db", "lock", "conn"}


def modules() -> Iterator[tuple[str, ast.Module]]:
    """Every module of the package: dotted name and syntax tree."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def reaches_into_a_store(node: ast.AST) -> bool:
    """True for `<...>store.<insides>`, e.g. `self.store._conn` or `app.store.lock`."""
    if not isinstance(node, ast.Attribute) or node.attr not in STORE_INSIDES:
        return False
    owner = node.value
    name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
    return "store" in name.lower()


def test_only_the_store_touches_its_connection_and_lock() -> None:
    reaching = sorted(
        f"{name}:{node.lineno}"
        for name, tree in modules()
        if not name.startswith("bot.store")
        for node in ast.walk(tree)
        if reaches_into_a_store(node)
    )
    assert reaching == []


def test_the_store_rule_catches_what_it_should() -> None:
    caught = [
        reaches_into_a_store(ast.parse(code, mode="eval").body)
        for code in ("self.store._conn", "app.store.lock", "store.db", "self._lock", "x.lock")
    ]
    assert caught == [True, True, True, False, False]
