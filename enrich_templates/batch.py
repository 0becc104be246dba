"""Renders that arrive together are evaluated together: one go-jsonnet evaluation for a batch of users.

Each go-jsonnet call builds a VM and its standard library and parses the template and the library again (the
Python binding keeps nothing between calls); for the seed template that is ~100 of its ~140 µs, and in a
backfill the runner's render threads and Go's collector took ~45 % of its CPU. A runner worker asks for its user
and the next ones queued at once (`Coalescer.many`, through BoundTemplate.values), and when several workers wait
for a render of the same template at the same time, the first becomes the leader and evaluates all of them
(`Coalescer.value`). Either way, one program parses the template once, as a function of the library, and the
library as a function of the user's fields:

    local __ly_make(__ly_fields) = (<the tailored library, its `_fields` bound to the parameter>);
    local __ly_tpl(__ly_lib) = (<the template, each `import 'lytemplates.libsonnet'` replaced by __ly_lib>);
    [__ly_tpl(__ly_make(e)) for e in std.parseJson(std.extVar('ly_batch'))]

Values are what one evaluation per user gives (the same manifestation, parsed by the same json.loads). Any
fault of the batch (an assert, an error, a timeout, an oversized result) sends every member back to its own
evaluation, which reports it with the template's own line numbers: a batch never decides a user's failure.
A template the rewrite cannot prove equivalent (it reads an ext var or `std.thisFile` itself, names `__ly_`,
holds an import the lexer cannot place) is never batched. Batches run on their own pool: a batch abandoned at
its time limit does not count against the single renders' runaway cap, and no batch starts while one is
abandoned (that template is not batched again).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import _gojsonnet

from enrich_templates import library
from enrich_templates.errors import TemplateTimeout
from enrich_templates.jsonnet_guard import ImportRefused, Refusal, guard_import
from enrich_templates.pool import EvalPool
from enrich_templates.scan import scan

FIELDS_DEF = "local _fields = std.parseJson(std.extVar('ly_entity'));"
MAX_BATCH = 32
# A template whose evaluation costs more CPU than this per user, in SLOW_BATCHES batches in a row (a process's
# first evaluation also starts Go's runtime), is not batched: batches of one template run one at a time, so
# slow renders go back to running side by side on every core, each under its own limit.
SLOW_CPU_S = 0.002
SLOW_BATCHES = 3
_MAX_KEYS = 256


@dataclass(frozen=True)
class Program:
    source: str  # the batch program
    ext_vars: frozenset[str]  # the job-wide ext vars it still reads (ly_job_config, ly_auth_config)


@lru_cache(maxsize=64)
def program(source: str) -> Program | None:
    """The batch program for a template, or None when it cannot be batched (see the module docstring)."""
    if "__ly_" in source:
        return None
    found = scan(source)
    if "extVar" in found.names or "thisFile" in found.names:  # inputs read directly; the file's name differs
        return None
    parts, pos = [], 0
    for ref in found.imports:
        if ref.keyword != "import" or ref.path != library.LIBRARY_NAME or ref.end <= ref.start:
            return None  # the sandbox refuses it; the single render says so
        parts += [source[pos : ref.start], "(__ly_lib)"]
        pos = ref.end
    parts.append(source[pos:])
    served = library.served_for(found.names)
    lib = served.source.decode("utf-8")
    if "ly_entity" in served.ext_vars:
        if lib.count(FIELDS_DEF) != 1:
            return None
        lib = lib.replace(FIELDS_DEF, "local _fields = __ly_fields;")
    text = (f"local __ly_make(__ly_fields) = (\n{lib});\n"
            f"local __ly_tpl(__ly_lib) = (\n{''.join(parts)}\n);\n"
            "[__ly_tpl(__ly_make(e)) for e in std.parseJson(std.extVar('ly_batch'))]\n")
    return Program(text, served.ext_vars - {"ly_entity"})


class _Request:
    __slots__ = ("entity_json", "finished", "lead", "ok", "value", "wake")

    def __init__(self, entity_json: str) -> None:
        self.entity_json = entity_json
        self.wake = threading.Event()
        self.lead = False  # holds one of the key's leader places: evaluate what is pending
        self.finished = False
        self.ok = False
        self.value: Any = None


def _refuse_all(base: str, rel: str) -> tuple[str, bytes]:
    raise ImportRefused("refused by the template sandbox")


class Coalescer:
    """Group the renders of one key (template and job-wide inputs) that wait at the same time; thread-safe.

    One evaluation per key runs at a time: renders arriving meanwhile wait and make the next batch, so batches
    grow with the load and a lone render waits for nobody (the leader's hand-off is the group commit of a
    database log).
    """

    def __init__(self, *, max_stack: int, timeout_s: float, max_output_bytes: int) -> None:
        self._max_stack = max_stack
        self._timeout_s = timeout_s
        self._max_output_bytes = max_output_bytes
        self._pool = EvalPool(max_runaway=1, name="jsonnet-batch")
        self._lock = threading.Lock()
        self._pending: dict[Any, list[_Request]] = {}
        self._leading: set[Any] = set()
        self._slow: set[Any] = set()
        self._slow_streak: dict[Any, int] = {}
        self.batches = 0
        self.batched = 0  # users rendered in a batch
        self.fallbacks = 0  # users sent back to their own evaluation by a failed batch

    def value(self, key: Any, prog: Program, entity_json: str, ext_vars: dict[str, str]) -> tuple[bool, Any]:
        """(True, the rendered value) or (False, None): render this user on its own."""
        req = _Request(entity_json)
        with self._lock:
            if key in self._slow or self._pool.runaway:
                return False, None
            self._pending.setdefault(key, []).append(req)
            if key not in self._leading:
                self._leading.add(key)
                req.lead = True
        while True:
            if req.lead:
                req.lead = False
                self._lead(key, prog, ext_vars)
            if req.finished:
                return req.ok, req.value
            req.wake.wait()
            req.wake.clear()  # flags are read after the clear: a flag set before it is seen, after it re-wakes

    def _lead(self, key: Any, prog: Program, ext_vars: dict[str, str]) -> None:
        """Evaluate the pending requests of `key`, then hand the lead to the next one waiting (or give it up)."""
        with self._lock:
            pending = self._pending.pop(key, [])
            batch, rest = pending[:MAX_BATCH], pending[MAX_BATCH:]
            if rest:
                self._pending[key] = rest
        values = self.many(key, prog, [r.entity_json for r in batch], ext_vars) if batch else None
        for i, r in enumerate(batch):
            if values is not None:
                r.ok, r.value = True, values[i]
            r.finished = True
            r.wake.set()
        with self._lock:
            waiting = self._pending.get(key)
            if waiting:
                waiting[0].lead = True
                waiting[0].wake.set()
            else:
                self._leading.discard(key)

    def many(self, key: Any, prog: Program, entities: list[str], ext_vars: dict[str, str]) -> list[Any] | None:
        """The values of `entities` from one evaluation, or None: not batched (a slow template, an abandoned
        batch still running) or the batch failed; either way each user is then rendered on its own."""
        with self._lock:
            if key in self._slow or self._pool.runaway:
                return None
        values, cpu_s, timed_out = self.evaluate(prog, entities, ext_vars)
        with self._lock:
            if values is not None:
                self.batches += 1
                self.batched += len(entities)
            else:
                self.fallbacks += len(entities)
            streak = self._slow_streak.pop(key, 0) + 1
            if cpu_s / len(entities) <= SLOW_CPU_S:
                streak = 0
            if streak:
                if len(self._slow_streak) >= _MAX_KEYS:
                    self._slow_streak.clear()
                self._slow_streak[key] = streak
            if timed_out or streak >= SLOW_BATCHES:
                if len(self._slow) >= _MAX_KEYS:
                    self._slow.clear()
                self._slow.add(key)
        return values

    def evaluate(self, prog: Program, entities: list[str], ext_vars: dict[str, str]
                 ) -> tuple[list[Any] | None, float, bool]:
        """(the values, or None if anything failed; the evaluation's CPU seconds; whether it timed out)."""
        refusals: list[Refusal] = []
        variables = {name: ext_vars[name] for name in prog.ext_vars}
        variables["ly_batch"] = "[" + ",".join(entities) + "]"
        cpu = [0.0]

        def run() -> str:
            started = time.thread_time()  # go-jsonnet evaluates on the calling thread
            try:
                return _gojsonnet.evaluate_snippet("batch.jsonnet", prog.source, ext_vars=variables,
                                                  import_callback=guard_import(_refuse_all, refusals),
                                                  max_stack=self._max_stack, max_trace=1)
            finally:
                cpu[0] = time.thread_time() - started

        try:
            text = self._pool.call(run, self._timeout_s) if self._timeout_s > 0 else run()
        except RuntimeError:  # some user's fault (an assert, an error): each finds out on its own
            return None, cpu[0], False
        except TemplateTimeout:
            return None, 0.0, True
        values = None if refusals or self._too_big(text) else json.loads(text)
        ok = isinstance(values, list) and len(values) == len(entities)
        return (values if ok else None), cpu[0], False

    def _too_big(self, text: str) -> bool:
        """Over the output limit as a whole (each user's own text is shorter than its part of the batch's)."""
        limit = self._max_output_bytes
        return bool(limit) and len(text) * 4 > limit and len(text.encode("utf-8", "surrogatepass")) > limit
