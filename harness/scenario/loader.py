"""Render a scenario file (jsonnet or JSON) with imports confined to the scenarios folder.

Rendering is bounded twice: max_stack stops deep recursion, and a time limit stops loops (a huge std.range, a
foldl over millions) the way harness.templates does: the caller stops waiting, the Go evaluation it cannot
interrupt is abandoned, and at most two abandoned evaluations may run at once (then renders are refused until
one ends; a CLI run exits, which ends them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import _gojsonnet

from harness.errors import ScenarioError, TemplateTimeout
from harness.jsonnet_guard import ImportRefused, Refusal, guard_import
from harness.scenario.imports import refusal_error
from harness.templates.pool import EvalPool

RENDER_TIMEOUT_S = 10.0
_POOL = EvalPool(max_runaway=2, name="scenario-render")
_POS_RE = re.compile(r"(?P<file>[^\s:]+\.(?:jsonnet|libsonnet|json)):(?P<line>\d+):(?P<col>\d+)")


def scenario_root(path: Path) -> Path:
    """The folder imports may reach: the nearest ancestor named `scenarios`, else the file's own folder."""
    for parent in path.resolve().parents:
        if parent.name == "scenarios":
            return parent
    return path.resolve().parent


def render(path: str | Path, *, ext_vars: dict[str, str] | None = None,
           timeout_s: float = RENDER_TIMEOUT_S) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"no such scenario file (expected a .jsonnet or .json file at {p})", file=str(p))
    root = scenario_root(p)
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"the file is not UTF-8 text (byte {exc.start})", file=str(p)) from None
    if "\x00" in text:
        raise ScenarioError(f"the file is not text: NUL character at offset {text.index(chr(0))}", file=str(p))

    refusals: list[Refusal] = []
    sources = {str(p.resolve()): text}  # every file served, so a refused import can be found in its source

    def importer(base: str, rel: str) -> tuple[str, bytes]:
        target = (Path(base or p.parent) / rel).resolve()
        if not target.is_relative_to(root):
            raise ImportRefused(f"refused: scenarios may import only files under {root}", target=str(target))
        if not target.is_file():
            raise ImportRefused(f"no such file (looked for {target})", target=str(target))
        data = target.read_bytes()
        sources[str(target)] = data.decode("utf-8", "replace")
        return str(target), data

    def run() -> str:
        return _gojsonnet.evaluate_snippet(str(p), text, import_callback=guard_import(importer, refusals),
                                           ext_vars=ext_vars or {}, max_stack=500)

    busy = _POOL.runaway
    try:
        out = _POOL.call(run, timeout_s)
    except TemplateTimeout:
        why = ("refused: earlier scenarios are still rendering past their time limit" if busy >= 2 else
               f"did not finish within {timeout_s:g}s (a loop too big for a scenario?)")
        raise ScenarioError(f"jsonnet: rendering {why}", file=str(p)) from None
    except RuntimeError as exc:
        if refusals:
            raise refusal_error(refusals[0], scenario=p, sources=sources, root=root) from None
        raise _jsonnet_error(str(exc), p) from None
    if refusals:  # importstr reads the stand-in error file as text: evaluation can succeed regardless
        raise refusal_error(refusals[0], scenario=p, sources=sources, root=root)
    doc = json.loads(out)
    if not isinstance(doc, dict):
        raise ScenarioError(f"expected the scenario to be an object, found {type(doc).__name__}", file=str(p))
    return doc


def _jsonnet_error(text: str, p: Path) -> ScenarioError:
    """go-jsonnet's message, placed at its line and column when the error is in the scenario file itself."""
    msg = text.strip()
    first = msg.splitlines()[0] if msg else "jsonnet error"
    m = _POS_RE.search(msg)
    if m and Path(m.group("file")).resolve() == p.resolve():
        first = first.replace(m.group(0), "").strip(" :") or first
        return ScenarioError(f"jsonnet: {first}", file=str(p), line=int(m.group("line")), col=int(m.group("col")))
    where = f" (at {m.group('file')}:{m.group('line')}:{m.group('col')})" if m else ""
    return ScenarioError(f"jsonnet: {first}{where}", file=str(p))
