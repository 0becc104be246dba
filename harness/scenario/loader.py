"""Render a scenario file (jsonnet or JSON) with imports confined to the scenarios folder and the library.

An import is looked up next to the importing file first, then in the packaged library (harness.scenario.library:
`import 'enrichsim/ansira.libsonnet'` from any folder), like a jsonnet search path with one entry.

Rendering is bounded: max_stack stops deep recursion; render() runs the evaluation in a child process
(enrich_templates.isolate) under a memory cap and a time limit, killed and replaced when it runs away (a huge
std.range, a foldl over millions, a doubling string), so neither memory nor CPU is left burning; the rendered
document is capped in size. render_here() is the evaluation itself, run inside that child.
"""

from __future__ import annotations

import difflib
import json
import re
import threading
from pathlib import Path
from typing import Any

import _gojsonnet

from enrich_templates.jsonnet_guard import ImportRefused, Refusal, guard_import
from enrich_templates.pool import EvalPool
from harness.errors import ScenarioError, TemplateTimeout
from harness.scenario import library
from harness.scenario.imports import refusal_error

RENDER_TIMEOUT_S = 10.0
RENDER_MEMORY_MB = 1024  # address space the rendering child may add to its warmed-up size
RENDER_MAX_BYTES = 64 * 1024 * 1024  # the rendered scenario, as JSON
_POOL = EvalPool(max_runaway=2, name="scenario-render")
_POS_RE = re.compile(r"(?P<file>[^\s:]+\.(?:jsonnet|libsonnet|json)):(?P<line>\d+):(?P<col>\d+)")


def scenario_root(path: Path) -> Path:
    """The folder imports may reach: the nearest ancestor named `scenarios`, else the file's own folder."""
    for parent in path.resolve().parents:
        if parent.name == "scenarios":
            return parent
    return path.resolve().parent


def render_here(path: str | Path, *, ext_vars: dict[str, str] | None = None,
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

    lib_roots = library.roots()

    def importer(base: str, rel: str) -> tuple[str, bytes]:
        target = (Path(base or p.parent) / rel).resolve()
        inside = target.is_relative_to(root) or any(target.is_relative_to(r) for r in lib_roots)
        if not (inside and target.is_file()) and (packaged := library.resolve(rel)) is not None:
            target = packaged  # the library search path: local files first, then `enrichsim/...`
        elif not inside:
            raise ImportRefused(f"refused: scenarios may import only files under {root}", target=str(target))
        elif not target.is_file():
            if rel.startswith(library.LIBRARY_NAME + "/"):
                known = library.names()
                close = difflib.get_close_matches(rel, known, n=1, cutoff=0.6)
                has = f"did you mean {close[0]!r}?" if close else f"it has {', '.join(known) or 'nothing'}"
                raise ImportRefused(f"no such file (looked for {target} and in the packaged library: {has})",
                                    target=str(target))
            raise ImportRefused(f"no such file (looked for {target})", target=str(target))
        data = target.read_bytes()
        sources[str(target)] = data.decode("utf-8", "replace")
        return str(target), data

    def run() -> str:
        return _gojsonnet.evaluate_snippet(str(p), text, import_callback=guard_import(importer, refusals),
                                           ext_vars=ext_vars or {}, max_stack=500)

    busy = _POOL.runaway
    try:
        out = _POOL.call(run, timeout_s) if timeout_s else run()
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


_CHILD: Any = None
_CHILD_LOCK = threading.Lock()


def render(path: str | Path, *, ext_vars: dict[str, str] | None = None,
           timeout_s: float = RENDER_TIMEOUT_S) -> dict[str, Any]:
    """render_here() in a killable child process with a memory cap (one at a time; the child is reused)."""
    global _CHILD
    from enrich_templates.isolate import IsolatedRenderer

    p = Path(path)
    if not p.is_file():
        return render_here(p, ext_vars=ext_vars, timeout_s=0)  # names the missing file; nothing to evaluate
    with _CHILD_LOCK:
        if _CHILD is None:
            _CHILD = IsolatedRenderer(max_stack=500, timeout_s=timeout_s, memory_limit_mb=RENDER_MEMORY_MB,
                                      max_output_bytes=RENDER_MAX_BYTES,
                                      handlers={"scenario": "harness.scenario.loader:child_render"})
        child = _CHILD
    line = json.dumps({"op": "scenario", "path": str(p.resolve()),
                       "ext_vars": ext_vars or {}}).encode("utf-8") + b"\n"
    answer, kind, why = child.ask(line, timeout_s if timeout_s and timeout_s > 0 else None)
    if answer is None:
        if kind == "timeout":
            why = f"did not finish within {timeout_s:g}s (a loop too big for a scenario?); the process was killed"
        raise ScenarioError(f"jsonnet: rendering {why}", file=str(p))
    if "scenario_error" in answer:
        err = answer["scenario_error"]
        raise ScenarioError(err["message"], file=err.get("file") or str(p), path=err.get("path"),
                            line=err.get("line"), col=err.get("col"))
    return answer["doc"]


def child_render(req: dict[str, Any], max_output_bytes: int) -> dict[str, Any]:
    """render_here() inside the isolated child (enrich_templates.isolate_child); errors travel as plain data."""
    try:
        doc = render_here(req["path"], ext_vars=req["ext_vars"], timeout_s=0)
    except ScenarioError as exc:
        return {"scenario_error": {"message": exc.message, "file": exc.file, "path": exc.path, "line": exc.line,
                                   "col": exc.col}}
    text = json.dumps(doc)
    if max_output_bytes and len(text) > max_output_bytes:
        return {"scenario_error": {"message": f"jsonnet: the rendered scenario is {len(text):,} bytes, over the "
                                              f"limit of {max_output_bytes:,} bytes"}}
    return {"doc": doc}
