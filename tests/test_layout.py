"""The import graph of the project's own packages: no cycles, and layers that only point down.

Every module under ``index/``, ``service/`` and ``eval/`` is parsed with ``ast`` (nothing is
imported). An import counts for the cycle check when it runs as the module is imported: at
module level, and not inside a function or under ``if TYPE_CHECKING:``; within ``index`` the
type-only imports count too (two such loops, between the core and its caches, are what
``index.scale`` replaced). The layering checks count every import, wherever it stands: a
function-level import is a dependency too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("index", "service", "eval")
# the modules of ``index`` that put the core path and ``index.scale`` together
INDEX_ENTRY_POINTS = {"index.build", "index.__main__"}


Where = Literal["module", "type", "function"]  # runs on import; under TYPE_CHECKING; later


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # a module of this project
    where: Where
    line: int


@cache
def modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:``."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _nodes(node: ast.AST, where: Where) -> Iterator[tuple[ast.AST, Where]]:
    """Every node below ``node``, and when it runs (``where``)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_checking(child.test) and where != "function":
            for stmt in child.body:
                yield stmt, "type"
                yield from _nodes(stmt, "type")
            for stmt in child.orelse:
                yield stmt, where
                yield from _nodes(stmt, where)
            continue
        yield child, where
        inside = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        yield from _nodes(child, "function" if inside else where)


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The project module ``name`` is, or the nearest package above it; None when foreign."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


@cache
def imports() -> tuple[Import, ...]:
    """Every import of a project module by a project module."""
    known = modules()
    found = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node, where in _nodes(tree, "module"):
            if isinstance(node, ast.Import):
                targets = [_resolve(alias.name, known) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    above = ".".join(parts[: len(parts) - node.level + 1])
                    base = f"{above}.{base}" if base else above
                # ``from index import ivf`` imports the module index.ivf
                targets = [_resolve(f"{base}.{alias.name}", known) for alias in node.names]
            else:
                continue
            found += [
                Import(name, target, where, node.lineno)
                for target in targets
                if target is not None and target != name
            ]
    return tuple(found)


def import_graph(counted: tuple[Where, ...] = ("module",)) -> dict[str, set[str]]:
    """Module -> the project modules it imports as it is imported (or as ``counted``)."""
    graph: dict[str, set[str]] = {name: set() for name in modules()}
    for imp in imports():
        if imp.where in counted:
            graph[imp.importer].add(imp.target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a loop (Tarjan's
    strongly connected components of more than one module)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        order[v] = low[v] = len(order)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in order:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], order[w])
        if low[v] == order[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in order:
            visit(v)
    return found


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_graph_is_the_projects() -> None:
    graph = import_graph()
    assert {"index.build", "index.store", "service.api", "eval.runner"} <= graph.keys()
    assert "index.store" in graph["index.build"]
    assert "index.ivf" in graph["index.store"]  # ``from index import ivf``
    assert not any(_in(t, "numpy") for targets in graph.values() for t in targets)


def test_there_is_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_index_has_no_cycle_even_through_type_only_imports() -> None:
    graph = import_graph(("module", "type"))
    index = {name: {t for t in targets if _in(t, "index")} for name, targets in graph.items()}
    assert cycles({name: targets for name, targets in index.items() if _in(name, "index")}) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_index_never_imports_service_or_eval() -> None:
    wrong = [
        f"{imp.importer}:{imp.line} imports {imp.target}"
        for imp in imports()
        if _in(imp.importer, "index") and (_in(imp.target, "service") or _in(imp.target, "eval"))
    ]
    assert wrong == []


def test_the_core_path_never_imports_the_scale_subpackage() -> None:
    """``index.scale`` plugs into the core through the small interfaces the core declares
    (``corpus.ParseStore``, ``records.CutStore``, ``build.VectorStore``,
    ``store.CentroidSource``); only the build and the CLI put the two together."""
    wrong = []
    for imp in imports():
        core = _in(imp.importer, "index") and not _in(imp.importer, "index.scale")
        if core and imp.importer not in INDEX_ENTRY_POINTS and _in(imp.target, "index.scale"):
            wrong.append(f"{imp.importer}:{imp.line} imports {imp.target}")
        if _in(imp.importer, "index.scale") and imp.target in INDEX_ENTRY_POINTS:
            wrong.append(f"{imp.importer}:{imp.line} imports {imp.target}")
    assert wrong == []


def test_every_index_module_says_what_it_owns() -> None:
    missing = [
        name
        for name, path in modules().items()
        if _in(name, "index") and not ast.get_docstring(ast.parse(path.read_text("utf-8")))
    ]
    assert missing == []
