"""The walls between packages, kept by a test rather than by memory.

Every import in `enrich_templates`, `harness`, `mock_lytics` and `mock_ansira` (late imports inside functions
included) is read with `ast` and resolved to the module it names. The rules:
- a mock never imports `harness` (users run the mocks without the harness; the harness drives them over HTTP);
- the template engine (`enrich_templates`) imports neither `harness` nor a mock: all three render through it;
- `harness.runner` (what Lytics does) never imports the scenario engine, the load tests or a mock;
- no two modules import each other (a circle closed by a late import is still a circle);
- no module imports another module's private (`_`) names.
Exceptions would be listed by name below (both lists are empty since issue #15; keep them so); an entry that no
longer happens fails too, so it cannot go stale.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("enrich_templates", "harness", "mock_lytics", "mock_ansira")

# (importer, imported) pairs that break a rule today; each is a debt with an issue (#15), not a licence.
KNOWN_BREACHES: set[tuple[str, str]] = set()
KNOWN_CIRCLES: set[frozenset[str]] = set()


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The longest known module that `name` is or lies in (`enrich_templates.engine.X` -> the engine module)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from pkg import sub` imports the submodule `pkg.sub` when there is one
            names = [f"{prefix}.{a.name}" if _resolve(f"{prefix}.{a.name}") == f"{prefix}.{a.name}" else prefix
                     for a in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                out.add(target)
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _breaches() -> set[tuple[str, str]]:
    found = set()
    for src, targets in GRAPH.items():
        for dst in targets:
            if src.startswith("mock_") and dst.split(".")[0] == "harness":
                found.add((src, dst))
            if src.split(".")[0] == "enrich_templates" and dst.split(".")[0] in PACKAGES[1:]:
                found.add((src, dst))
            if (src == "harness.runner" or src.startswith("harness.runner.")) and (
                    dst.startswith(("harness.scenario", "harness.load", "mock_"))):
                found.add((src, dst))
    return found


def _circles() -> set[frozenset[str]]:
    return {frozenset((a, b)) for a, targets in GRAPH.items() for b in targets if a in GRAPH.get(b, set())}


def test_the_reader_sees_the_imports_it_must() -> None:
    """Guards the guard: imports the rules depend on are found (absolute, relative, late, `from pkg import mod`)."""
    assert "enrich_templates" in GRAPH["mock_lytics.routes.templates"]
    assert "enrich_templates.isolate" in GRAPH["enrich_templates.engine"]  # a late import
    assert "enrich_templates.errors" in GRAPH["harness.cli"]
    assert "harness.runner.job" in GRAPH["harness.runner.supervisor"]
    assert "harness.errors" in GRAPH["harness.runner.job"]
    assert len(MODULES) > 100


def test_walls_between_packages() -> None:
    found = _breaches()
    new = sorted(found - KNOWN_BREACHES)
    assert not new, "imports across a wall (see this file's docstring):\n" + "\n".join(f"{a} -> {b}" for a, b in new)
    gone = sorted(KNOWN_BREACHES - found)
    assert not gone, "listed as known but no longer happening; delete from KNOWN_BREACHES: " + repr(gone)


def test_no_two_modules_import_each_other() -> None:
    found = _circles()
    new = sorted(tuple(sorted(c)) for c in found - KNOWN_CIRCLES)
    assert not new, "modules that import each other:\n" + "\n".join(f"{a} <-> {b}" for a, b in new)
    gone = sorted(tuple(sorted(c)) for c in KNOWN_CIRCLES - found)
    assert not gone, "listed as known but no longer happening; delete from KNOWN_CIRCLES: " + repr(gone)


@pytest.mark.parametrize("pkg", ["mock_lytics", "mock_ansira"])
def test_a_mock_never_imports_the_other_mock(pkg: str) -> None:
    other = "mock_ansira" if pkg == "mock_lytics" else "mock_lytics"
    bad = sorted((s, d) for s, ts in GRAPH.items() if s.split(".")[0] == pkg for d in ts if d.startswith(other))
    assert not bad, bad


def _private_imports(tree: ast.AST) -> list[str]:
    """`from our.module import _name`: a private name reaching across modules (each module keeps its own)."""
    return [f"{node.module}.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            for alias in node.names
            if alias.name.startswith("_") and not alias.name.startswith("__") and (
                node.level or (node.module or "").split(".")[0] in PACKAGES)]


def test_no_private_name_is_imported_across_modules() -> None:
    assert _private_imports(ast.parse("from harness.scenario.checks import SHOW, _brief\nfrom os import _exit")) == [
        "harness.scenario.checks._brief"]
    found = {m: names for m, p in MODULES.items()
             if (names := _private_imports(ast.parse(p.read_text(encoding="utf-8"))))}
    assert not found, found
