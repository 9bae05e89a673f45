"""The lake's imports point one way: no import circle among the package's modules (module-level
imports), the lake imports no Dagster and nothing above it, and the bottom modules (settings,
loggers) import nothing of the lake. Checked on the source with ``ast``, so a function-level
import that dodges a circle counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import recomart_assets

PACKAGE = Path(recomart_assets.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, *, top_level_only: bool) -> set[str]:
    """The modules ``path`` imports (``from a import b`` counts as ``a.b`` when that is a module, else ``a``)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return found


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def graph(top_level_only: bool) -> dict[str, set[str]]:
    """Module -> the package's modules it imports; a module's own parent packages are left out
    (Python has already started them when it imports the module)."""
    return {name: {i for i in imports(path, top_level_only=top_level_only)
                   if i in MODULES and i != name and not name.startswith(i + ".")}
            for name, path in MODULES.items()}


def test_no_import_circle_through_the_lake():
    edges = graph(top_level_only=True)
    lake = {name for name in MODULES if name.startswith("recomart_assets.lake")}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            for nxt in edges[node] - seen:
                if nxt == goal:
                    return True
                seen.add(nxt)
                todo.append(nxt)
        return False

    circles = sorted(name for name in lake if any(reaches(dep, name) for dep in edges[name]))
    assert circles == []


def test_the_lake_imports_nothing_above_it_not_even_inside_a_function():
    allowed = ("recomart_assets.lake", "recomart_assets.config", "recomart_assets.errors", "recomart_assets.datasets",
               "recomart_assets.logs", "recomart_assets.text")
    for name, path in MODULES.items():
        if name.startswith("recomart_assets.lake"):
            found = imports(path, top_level_only=False)
            assert not any(i.startswith("dagster") for i in found), name
            above = sorted(i for i in found if i.startswith("recomart_assets.") and not i.startswith(allowed))
            assert above == [], name


def test_settings_and_loggers_import_nothing_of_the_lake():
    for name in ("recomart_assets.config", "recomart_assets.logs", "recomart_assets.errors", "recomart_assets.text"):
        found = imports(MODULES[name], top_level_only=False)
        assert not any(i.startswith("recomart_assets.lake") for i in found), name
    assert not any(i.startswith("recomart_assets.config") for i in imports(MODULES["recomart_assets.logs"],
                                                                               top_level_only=False))
