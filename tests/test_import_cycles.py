"""The planner and the report writers import each other in one direction only.

``kpolicy/report/plan_*.py`` read the plan data (``kpolicy.plan.data``); the planner never
imports a writer: ``kpolicy plan`` gets its writer from the registry in ``kpolicy.report`` by
name. Every ``import`` statement counts, at module level or inside a function or an
``if TYPE_CHECKING:`` block, and so does a string that names a module (a registry that
imports it with importlib), so a cycle cannot hide behind a lazy import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "kpolicy"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The kpolicy modules ``name`` imports; importing ``a.b.c`` also runs ``a.b`` and ``a``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Constant) and node.value in known:
            # a registry of modules imported by name (importlib): kpolicy.report's writers
            targets = [node.value]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [base]
            # `from kpolicy.plan import data` imports the submodule kpolicy.plan.data
            targets += [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            while target:
                if target in known and target != name:
                    yield target
                target = target.rpartition(".")[0]


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: set(_imported(name, path, known)) for name, path in known.items()}


def _cycles_between(graph: dict[str, set[str]], a: str, b: str) -> list[list[str]]:
    """Import chains from a module of package ``a`` through a module of package ``b`` back to
    the first module (they may pass through other modules)."""

    def inside(module: str, package: str) -> bool:
        return module == package or module.startswith(package + ".")

    def chain(start: str, goal: str) -> list[str] | None:
        # breadth-first: the shortest chain of imports from start to goal
        queue = [[start]]
        seen = {start}
        while queue:
            path = queue.pop(0)
            for nxt in sorted(graph.get(path[-1], ())):
                if nxt == goal:
                    return [*path, nxt]
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append([*path, nxt])
        return None

    cycles = []
    for module in sorted(m for m in graph if inside(m, a)):
        for other in sorted(m for m in graph if inside(m, b)):
            there = chain(module, other)
            back = chain(other, module) if there else None
            if there and back:
                cycles.append([*there, *back[1:]])
                break
    return cycles


def test_the_graph_sees_the_known_imports() -> None:
    # the test would pass on an empty graph: check that it reads what it must
    graph = _graph()
    assert "kpolicy.plan.data" in graph["kpolicy.report.plan_text"]
    assert "kpolicy.plan.command" in graph["kpolicy.cli"]
    assert "kpolicy.report" in graph["kpolicy.plan.command"]
    assert "kpolicy.plan.deployment" in graph["kpolicy.plan.dispatch"]
    assert "kpolicy.report.plan_svg" in graph["kpolicy.report"]  # by name, for importlib


def test_no_import_cycle_between_plan_and_report() -> None:
    cycles = _cycles_between(_graph(), "kpolicy.plan", "kpolicy.report")
    assert not cycles, "\n".join(" -> ".join(chain) for chain in cycles[:5])


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {
        "kpolicy.plan.command": {"kpolicy.report.plan_text"},
        "kpolicy.report.plan_text": {"kpolicy.util"},
        "kpolicy.util": {"kpolicy.plan.command"},
        "kpolicy.report": {"kpolicy.plan.data"},
    }
    assert _cycles_between(graph, "kpolicy.plan", "kpolicy.report") == [
        ["kpolicy.plan.command", "kpolicy.report.plan_text", "kpolicy.util", "kpolicy.plan.command"]
    ]


def test_plan_writers_read_only_the_plan_data() -> None:
    graph = _graph()
    writers = [name for name in graph if name.startswith("kpolicy.report.plan_")]
    assert len(writers) == 4
    for name in writers:
        planner = {m for m in graph[name] if m.startswith("kpolicy.plan")}
        # importing kpolicy.plan.data runs the package's __init__ (the pure planner) first
        assert planner <= {"kpolicy.plan", "kpolicy.plan.data"}, (name, planner)


def test_only_the_command_reaches_the_report_package() -> None:
    graph = _graph()
    for name, imported in graph.items():
        if name.startswith("kpolicy.plan") and name != "kpolicy.plan.command":
            assert not {m for m in imported if m.startswith("kpolicy.report")}, name
