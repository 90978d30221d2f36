"""The layering holds: no import cycle in the package, and the query engine stays free of
Flask and of the web layer. Imports are read from the source (ast), function-level ones
included, so a lazy import cannot hide a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import community_segments

PACKAGE = "community_segments"
ROOT = Path(community_segments.__file__).parent


def module_name(path: Path) -> str:
    parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in ROOT.rglob("*.py")}


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module ``name`` imports anywhere in its source, as absolute names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # `from . import forms` imports the module `forms`; `from .x import name`, x
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in known else base)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    edges = {}
    for name, path in known.items():
        edges[name] = {other for other in imported(name, path, set(known))
                       if other in known and other != name}
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path of module names, or None (depth-first search, three colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_is_read_from_the_source():
    edges = graph()
    assert len(edges) > 40
    assert "community_segments.state" in edges["community_segments.cli"]
    assert "community_segments.web.forms" in edges["community_segments.web.pages"]
    # a function-level import counts
    assert "community_segments.hooks.columns" in edges["community_segments.extension"]


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_package_has_no_import_cycle():
    assert find_cycle(graph()) is None, " -> ".join(find_cycle(graph()) or [])


def test_the_query_engine_imports_neither_flask_nor_the_web_layer():
    known = modules()
    for name, path in known.items():
        if not name.startswith(f"{PACKAGE}.query"):
            continue
        for other in imported(name, path, set(known)):
            assert other.split(".")[0] != "flask", (name, other)
            assert not other.startswith(f"{PACKAGE}.web"), (name, other)


def test_state_is_a_leaf_for_its_users():
    """state imports nothing that imports it: the web layer, CLI and audiences use it."""
    edges = graph()
    users = {name for name, deps in edges.items() if "community_segments.state" in deps}
    assert {"community_segments.cli", "community_segments.audiences"} <= users
    reachable, todo = set(), ["community_segments.state"]
    while todo:
        for nxt in edges[todo.pop()] - reachable:
            reachable.add(nxt)
            todo.append(nxt)
    assert not reachable & users, reachable & users
