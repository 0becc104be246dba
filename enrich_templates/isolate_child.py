"""The isolation child: `python -m enrich_templates.isolate_child MAX_STACK MEMORY_MB MAX_OUTPUT [op=module:fn ...]`.

Started by enrich_templates.isolate.IsolatedRenderer. It imports and warms the engine (and any named handlers),
then caps its address space, says `{"ready": true}`, and answers one JSON line per request line: an Evaluation, an
`input_error`, or whatever a handler returns for a request whose `op` names it. Handlers come by name so this
package never imports the code that uses it (the harness renders scenarios here through one).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from enrich_templates.engine import TemplateEngine
from enrich_templates.errors import TemplateInputError


def _warm_engine(max_stack: int, max_output_bytes: int) -> TemplateEngine:
    """Import and run everything once, so no shared library has to be mapped after the memory cap is set."""
    # the parent enforces the deadline
    engine = TemplateEngine(max_stack=max_stack, timeout_s=0, max_output_bytes=max_output_bytes)
    engine.evaluate_here(
        "local e = import 'lytemplates.libsonnet';\n{a: e.get('a'), b: e.sha256(e.segSlug())}",
        {"a": 1},
        {},
        {},
        filename="warmup.jsonnet",
        trace=True,
        bounded=False,
    )
    return engine


def _load_handlers(specs: list[str]) -> dict[str, Callable[[dict[str, Any], int], dict[str, Any]]]:
    """`op=module:function` arguments -> callables (imported before the memory cap, like the engine)."""
    handlers = {}
    for spec in specs:
        op, _, target = spec.partition("=")
        module, _, name = target.partition(":")
        handlers[op] = getattr(importlib.import_module(module), name)
    return handlers


def _cap_memory(headroom_mb: int) -> None:
    """Allow `headroom_mb` of address space beyond what the warmed-up process already maps."""
    import resource

    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/statm", encoding="ascii") as statm:
        mapped = int(statm.read().split()[0]) * page
    limit = mapped + headroom_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(argv: list[str]) -> None:
    max_stack, memory_mb = int(argv[0]), int(argv[1])
    max_output = int(argv[2]) if len(argv) > 2 else 0
    handlers = _load_handlers(argv[3:])
    engine = _warm_engine(max_stack, max_output)
    if memory_mb > 0:
        _cap_memory(memory_mb)
    out = sys.stdout.buffer
    out.write(b'{"ready": true}\n')  # start-up is not charged to the first request's time limit
    out.flush()
    for raw in sys.stdin.buffer:
        req = json.loads(raw)
        handler = handlers.get(req.get("op", ""))
        if handler is not None:
            out.write(json.dumps(handler(req, max_output)).encode("utf-8") + b"\n")
            out.flush()
            continue
        try:
            outcome = engine.evaluate_here(
                req["source"],
                req["entity"],
                req["job_config"],
                req["auth_config"],
                filename=req["filename"],
                trace=req["trace"],
                bounded=False,
            )
            answer: dict[str, Any] = dataclasses.asdict(outcome)
        except TemplateInputError as exc:
            answer = {"input_error": str(exc)}
        out.write(json.dumps(answer).encode("utf-8") + b"\n")
        out.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
