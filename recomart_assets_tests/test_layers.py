"""The package's imports point one way (the issue's "layers that point one way"), checked on the
source with ``ast`` so that a function-level import that dodges a circle counts too:

- no import circle among the package's modules, whether the imports are at module level or
  inside functions;
- each module imports only from its own layer or the layers below it (:data:`LAYERS`), and the
  two middle rooms, ``quality`` and ``sources``, do not import each other;
- nothing below ``defs`` imports Dagster (the lake, the quality library, the sources and the
  simulators run without it; ``dagster_pipes``, the dependency-free protocol a Spark driver
  reports through, is not Dagster).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

import recomart_assets

PACKAGE = Path(recomart_assets.__file__).parent

# Lowest first: a module may import its own layer and the ones before it.
LAYERS: list[set[str]] = [
    {"errors", "text", "logs", "config", "datasets"},  # settings, loggers, the dataset registry
    {"lake"},  # the raw zone: files, manifests, locks, the intake engine
    {"quality", "sources"},  # siblings: validation and report; the ingestion of each source
    {"simulate"},  # data generators and the fake API, which write through the sources
    {"defs"},  # the Dagster adapters
    {"definitions", "platform", "cli", "__main__"},  # entry points: the code location, services, the CLI
]
SIBLINGS = [("quality", "sources")]
WITHOUT_DAGSTER = {"errors", "text", "logs", "config", "datasets", "lake", "quality", "sources", "simulate"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


@functools.cache
def imports(path: Path, *, top_level_only: bool) -> frozenset[str]:
    """The modules ``path`` imports (``from a import b`` counts as ``a.b`` when that is a module, else
    ``a``; relative imports are resolved against the module's package)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in MODULES else base)
    return frozenset(found)


def graph(top_level_only: bool) -> dict[str, set[str]]:
    """Module -> the package's modules it imports; a module's own parent packages are left out
    (Python has already started them when it imports the module)."""
    return {name: {i for i in imports(path, top_level_only=top_level_only)
                   if i in MODULES and i != name and not name.startswith(i + ".")}
            for name, path in MODULES.items()}


def room(module: str) -> str:
    """The package's top-level room of ``module`` (``lake``, ``quality``, ``config`` …)."""
    return module.split(".")[1]


def layer(module: str) -> int:
    return next(i for i, rooms in enumerate(LAYERS) if room(module) in rooms)


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_every_room_has_a_layer():
    assert {room(name) for name in MODULES if name != "recomart_assets"} <= set().union(*LAYERS)


@pytest.mark.parametrize("top_level_only", [True, False], ids=["module-level", "with-function-level"])
def test_no_import_circle_in_the_package(top_level_only):
    assert circles(graph(top_level_only)) == []


def test_no_module_imports_a_higher_layer_or_a_sibling_room():
    upward = []
    for name, deps in graph(top_level_only=False).items():
        if name == "recomart_assets":
            continue
        for dep in deps:
            if dep == "recomart_assets":
                continue
            if layer(dep) > layer(name) or (room(name), room(dep)) in SIBLINGS or (room(dep), room(name)) in SIBLINGS:
                upward.append(f"{name} -> {dep}")
    assert upward == []


def test_nothing_below_the_dagster_adapters_imports_dagster():
    found = sorted(name for name, path in MODULES.items()
                   if name != "recomart_assets" and room(name) in WITHOUT_DAGSTER
                   and any(i.split(".")[0] == "dagster" for i in imports(path, top_level_only=False)))
    assert found == []
