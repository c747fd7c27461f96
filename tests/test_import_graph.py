"""The import graph of labelwise's packages, built from the source: no cycles, and the
bottom of the stack (``formats``, ``geometry``) imports no modality and nothing of the app.

Every ``import``/``from ... import`` anywhere in a module counts, including those inside
functions (lazy imports still tie the packages together); only ``if TYPE_CHECKING:``
blocks are left out, as they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "labelwise"

MODALITIES = {"image", "text", "audio", "video", "tabular"}
APP = {"app", "cli"}

#: Package cycles another engineer is removing; the lead empties this at merge. Each entry
#: is the set of packages of one strongly connected component.
KNOWN_CYCLES: list[frozenset[str]] = []


def _node(module: str) -> str | None:
    """``labelwise.formats.coco`` -> ``formats``; ``labelwise`` itself -> None."""
    parts = module.split(".")
    if parts[0] != "labelwise" or len(parts) < 2:
        return None
    return parts[1]


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Absolute names of every module ``tree`` imports (``from x import y`` yields ``x.y``
    too, since ``y`` may be a submodule)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                src = ".".join(base + ([node.module] if node.module else []))
            else:
                src = node.module or ""
            yield src
            for a in node.names:
                yield f"{src}.{a.name}"
        stack.extend(ast.iter_child_nodes(node))


def package_graph() -> dict[str, set[str]]:
    """Top-level package/module of labelwise -> the ones it imports (self-edges dropped)."""
    top = {p.stem if p.is_file() else p.name for p in ROOT.iterdir()}
    top = {t for t in top if not t.startswith("_") and t != "py"}
    graph: dict[str, set[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        src = _node(module)
        if src is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        out = graph.setdefault(src, set())
        for name in _imports(tree, module, path.name == "__init__.py"):
            dst = _node(name)
            if dst is not None and dst != src and dst in top:
                out.add(dst)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on: set[str] = set()
    stack: list[str] = []
    out: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


GRAPH = package_graph()


def test_graph_is_built_from_the_source() -> None:
    # a few edges that exist for sure, so a broken parser cannot pass silently
    assert "geometry" in GRAPH["formats"]
    assert "formats" in GRAPH["app"]
    assert "errors" in GRAPH["geometry"]
    assert "formats" in GRAPH["image"]  # a function-level import (image.detect)


def test_no_package_cycles() -> None:
    found = cycles(GRAPH)
    unexpected = [sorted(c) for c in found if c not in KNOWN_CYCLES]
    assert not unexpected, f"package import cycles: {unexpected}"
    stale = [sorted(c) for c in KNOWN_CYCLES if c not in found]
    assert not stale, f"KNOWN_CYCLES lists {stale}, which is no longer a cycle: remove it"


@pytest.mark.parametrize("package", ["formats", "geometry"])
def test_bottom_of_the_stack_imports_no_modality_and_no_app(package: str) -> None:
    bad = GRAPH[package] & (MODALITIES | APP)
    assert not bad, f"labelwise.{package} imports {sorted(bad)}"


def test_geometry_imports_only_errors() -> None:
    assert GRAPH["geometry"] <= {"errors"}


def test_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
    assert cycles({"a": {"b"}, "b": set()}) == []
