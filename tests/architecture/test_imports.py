"""Imports flow one way: commands → log → projections → selectors → views / API / feeds /
tasks. Every import is read from the source (function-level ones included), so a cycle
hidden inside a function fails here as surely as one at the top of a module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kztrack", "timeline", "feeds")
# What feeds/ may import of the timeline: its read path, its pure date functions, and the
# neutral modules (exceptions, the API's error shape, the one text validator).
FEEDS_MAY_IMPORT = (
    "timeline.selectors",
    "timeline.dates",
    "timeline.exceptions",
    "timeline.api_errors",
    "timeline.text",
)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The project modules `name` imports, wherever in the file the import stands."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                if path.name != "__init__.py":
                    base.pop()
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                found.add(candidate if candidate in MODULES else module)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in GRAPH[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_modules_it_judges():
    assert {"timeline.log", "timeline.events", "feeds.tasks", "feeds.digests"} <= set(GRAPH)
    assert "timeline.projections" in GRAPH["timeline.log"]


def test_there_is_no_import_cycle():
    assert _cycles() == []


@pytest.mark.parametrize("name", sorted(n for n in GRAPH if n.startswith(("timeline", "feeds"))))
def test_the_apps_never_import_the_project_package(name):
    assert not {m for m in GRAPH[name] if m.startswith("kztrack")}


@pytest.mark.parametrize("name", sorted(n for n in GRAPH if n.startswith("timeline")))
def test_the_timeline_never_imports_the_feeds(name):
    assert not {m for m in GRAPH[name] if m.startswith("feeds")}


@pytest.mark.parametrize("name", sorted(n for n in GRAPH if n.startswith("feeds")))
def test_the_feeds_read_the_timeline_only_through_its_selectors(name):
    beyond = {
        m
        for m in GRAPH[name]
        if m.startswith("timeline") and not m.startswith(FEEDS_MAY_IMPORT) and m != "timeline"
    }
    assert not beyond, f"{name} imports {sorted(beyond)}"


def test_the_read_side_never_imports_the_write_side():
    write_side = {"timeline.commands", "timeline.log"}
    readers = [n for n in GRAPH if n.startswith(("timeline.selectors", "timeline.projections"))]
    assert readers
    for name in readers:
        assert not GRAPH[name] & write_side, name


def test_the_log_has_one_door_for_commands_and_one_for_restores():
    """Only timeline/log.py inserts events; only the backup's import calls `restore`."""
    for name, path in MODULES.items():
        text = path.read_text()
        if name != "timeline.log":
            assert "INSERT INTO timeline_event" not in text, name
            assert "Event.objects.create" not in text, name
            assert "Event.objects.bulk_create" not in text, name
        if name not in ("timeline.log", "timeline.backup"):
            assert "log.restore(" not in text, name
