"""The package's shape: no import cycle, small modules, batch drivers that know no analyzer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import wom_sdk

PACKAGE = Path(wom_sdk.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in its source.

    Imports inside functions and under ``if TYPE_CHECKING:`` count too: a cycle
    that only a lazy or a typing-only import closes is still two modules that
    cannot be understood one without the other.
    """
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # `from . import _x` names a module; `from ._x import y` names a module's member.
            targets = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in MODULES]
            targets = targets or [module]
        else:
            continue
        found |= {t for t in targets if t in MODULES and t != name}
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == "open":
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(GRAPH):
        if node not in state:
            visit(node)
    return cycles


def test_the_graph_is_read_correctly() -> None:
    # A reader that found no imports would pass the cycle test trivially.
    assert "wom_sdk._core" in GRAPH["wom_sdk._client._sync"]
    assert "wom_sdk._llm._modes" in GRAPH["wom_sdk._llm._chat"]
    assert "wom_sdk._tasks" in GRAPH["wom_sdk._core._prepare"]
    assert "wom_sdk._core._state" in GRAPH["wom_sdk._core._prepare"]  # `from ._state import`


def test_no_import_cycle() -> None:
    assert _cycles() == []


def test_batch_drivers_know_no_analyzer() -> None:
    # _batch drives callables: it reaches neither the analyzers nor their core,
    # and calls none of their private methods.
    assert not {m for m in GRAPH["wom_sdk._batch"]
                if m.startswith(("wom_sdk._client", "wom_sdk._core"))}
    from wom_sdk import AsyncReviewAnalyzer, ReviewAnalyzer

    private = {
        n for cls in (ReviewAnalyzer, AsyncReviewAnalyzer) for n in dir(cls)
        if n.startswith("_") and not n.startswith("__")
    }
    tree = ast.parse(MODULES["wom_sdk._batch"].read_text(encoding="utf-8"))
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert "_analyze_pack" in private
    assert used & private == set()


#: Modules allowed past the limit for now, and why.
KNOWN_LARGE = {
    # Rewritten for the new bundled model on the issue-13 branch; split there.
    "wom_sdk.local._server": 600,
    # Merging the next wave's branches (providers, observability, Batch API, needs, input
    # checks) into the analyzers; split once they are all in (the coordinator's last step).
    "wom_sdk._core": 700,
    "wom_sdk._client": 600,
    "wom_sdk.testing": 700,
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    # The analyzers are I/O only: each twin's module stays well below the general limit.
    limit = KNOWN_LARGE.get(name, 400 if name.startswith("wom_sdk._client") else 500)
    assert lines <= limit, f"{name}: {lines} lines"
