"""Turn a refused or missing scenario import into an error that points at the `import` and at the likely fix.

The position comes from scanning the importing file's own source (go-jsonnet's error text is not used), and
the hint is the nearest existing file name: in the folder the import looked in, else anywhere under the root.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path, PurePosixPath

from enrich_templates.jsonnet_guard import Refusal
from enrich_templates.scan import ImportRef, scan
from harness.errors import ScenarioError

_SOURCE_SUFFIXES = (".jsonnet", ".libsonnet", ".json")
_MAX_CANDIDATES = 2000  # a scenarios folder holds dozens; stop walking a huge tree early


def locate(refusal: Refusal, sources: dict[str, str]) -> tuple[str, ImportRef | None]:
    """Which served file holds the import, and where in it (the first matching import in a file of that folder)."""
    base = Path(refusal.base.rstrip("/") or ".").resolve()
    fallback = next(iter(sources), "")
    for file, text in sources.items():
        if Path(file).parent != base:
            continue
        fallback = file
        for ref in scan(text).imports:
            if ref.path == refusal.rel:
                return file, ref
    return fallback, None


def nearest(refusal: Refusal, root: Path) -> str | None:
    """The import path, as it should have been written, of the existing file closest in name to the missing one."""
    if refusal.target is None or not Path(refusal.target).is_relative_to(root):
        return None  # outside the root is refused whatever its name: never list folders out there
    target, base = Path(refusal.target), Path(refusal.base.rstrip("/") or ".").resolve()
    if target.parent.is_dir():
        names = sorted(f.name for f in target.parent.iterdir() if f.is_file())
        match = difflib.get_close_matches(target.name, names, n=1, cutoff=0.6)
        if match:
            return str(PurePosixPath(refusal.rel).with_name(match[0]))
    candidates: list[str] = []
    for dirpath, _dirs, files in os.walk(root):
        candidates += [os.path.relpath(os.path.join(dirpath, f), root) for f in files if f.endswith(_SOURCE_SUFFIXES)]
        if len(candidates) > _MAX_CANDIDATES:
            break
    try:
        wanted = os.path.relpath(target, root)
    except ValueError:
        return None
    match = difflib.get_close_matches(wanted, sorted(candidates), n=1, cutoff=0.6)
    return PurePosixPath(os.path.relpath(root / match[0], base)).as_posix() if match else None


def refusal_error(refusal: Refusal, *, scenario: Path, sources: dict[str, str], root: Path) -> ScenarioError:
    """A ScenarioError for the first import the evaluation did not get."""
    importing, ref = locate(refusal, sources)
    hint = nearest(refusal, root)
    message = f"import {refusal.rel!r}: {refusal.reason}"
    if hint is not None and hint != refusal.rel:
        message += f"; did you mean {hint!r}?"
    if importing and Path(importing) != scenario.resolve():
        shown = os.path.relpath(importing, root) if Path(importing).is_relative_to(root) else importing
        position = f":{ref.line}:{ref.col}" if ref is not None else ""
        return ScenarioError(f"{shown}{position}: {message}", file=str(scenario))
    return ScenarioError(message, file=str(scenario), line=ref.line if ref else None, col=ref.col if ref else None)
