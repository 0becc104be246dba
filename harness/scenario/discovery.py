"""Which .jsonnet files under a folder are scenarios: one rule for `harness run DIR` and `pytest DIR`.

`lib/` and `templates/` hold shared jsonnet and webhook templates, never scenarios. `full/` (the long fault
cases, minutes each) and `load/` (locust sections for `harness load`) are scenarios too slow or of the wrong kind
for a folder-wide run: they run when named, directly or as the folder walked, and are skipped otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

SHARED = frozenset({"lib", "templates"})
NAMED_ONLY = frozenset({"full", "load"})


def is_scenario(file: Path, root: Path) -> bool:
    """True when `file`, found by walking `root`, should run as a scenario."""
    if file.suffix != ".jsonnet":
        return False
    try:
        inner = file.relative_to(root).parts[:-1]
    except ValueError:
        return False
    return SHARED.isdisjoint(inner) and NAMED_ONLY.isdisjoint(inner)


def walk(root: Path) -> list[Path]:
    return sorted(f for f in root.rglob("*.jsonnet") if is_scenario(f, root))


def named_root(file: Path, named: Iterable[Path]) -> Path | None:
    """The deepest of the paths a user named that holds `file` (or is it): the root its folder walk started at."""
    file = file.resolve()
    best: Path | None = None
    for p in named:
        p = p.resolve()
        if (p == file or p in file.parents) and (best is None or len(p.parts) > len(best.parts)):
            best = p
    return best
