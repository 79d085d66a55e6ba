"""Rules of the package's shape, checked on its source: what may reach what."""

from __future__ import annotations

import ast
import functools
import graphlib
from pathlib import Path

import bot

PACKAGE = Path(bot.__file__).parent
STORE_INSIDES = {"_conn", "_lock", "_db", "db", "lock", "conn"}


@functools.cache
def modules() -> tuple[tuple[str, ast.Module], ...]:
    """Every module of the package: dotted name and syntax tree (parsed once per run)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))))
    return tuple(found)


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


def imported(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """The package's modules a module imports: anywhere in it, TYPE_CHECKING blocks included."""
    package = name if tree_is_package(name) else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            # `from bot.x import y` imports the module bot.x.y if there is one, else bot.x.
            targets = [f"{base}.{alias.name}" for alias in node.names]
            targets = [t if t in known else base for t in targets]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `from bot.x import name` imports bot.x
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def tree_is_package(name: str) -> bool:
    """Whether a module name is a package (its __init__.py)."""
    return (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()


@functools.cache
def import_graph() -> dict[str, set[str]]:
    """Each module of the package and the package's modules it imports."""
    trees = dict(modules())
    return {name: imported(name, tree, set(trees)) for name, tree in trees.items()}


def test_no_module_imports_itself_through_others() -> None:
    # Lazy and type-only imports count too: a cycle is a knot in the design either way.
    try:
        graphlib.TopologicalSorter(import_graph()).prepare()
    except graphlib.CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None


def test_the_cycle_check_sees_relative_lazy_and_type_only_imports() -> None:
    graph = import_graph()
    assert "bot.store.core" in graph["bot.store"]  # from bot.store.core import Store
    assert "bot.adapters.slack.adapter" in graph["bot.app"]  # under TYPE_CHECKING, and lazily
    assert "bot.delivery.runner" in graph["bot.app"]  # inside a function
