"""The one template engine: runner, mock Lytics template-test endpoint and CLI all render through it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import _gojsonnet

from enrich_templates import batch, library, traces
from enrich_templates.errors import (
    TemplateError,
    TemplateEvalError,
    TemplateImportRefused,
    TemplateInputError,
    TemplateTimeout,
)
from enrich_templates.jsonnet_guard import ImportRefused, Refusal, guard_import, guard_native
from enrich_templates.outcome import Evaluation, failure, synthetic_raw
from enrich_templates.payload import lookup_table
from enrich_templates.pool import EvalPool
from enrich_templates.scan import scan

LIBRARY_PATH = f"<lytemplates>/{library.LIBRARY_NAME}"  # how library frames appear in go-jsonnet traces
ERROR_PREFIX = "evaluating snippet: "
_MAX_TRACE = 20
# A webhook body is a few hundred bytes; a template that renders megabytes (a doubling string) is refused before
# its output is used or sent anywhere.
DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024


def output_too_big(text: str, limit: int) -> str | None:
    """Why `text` is refused (None if within `limit` bytes of UTF-8; 0 = no limit)."""
    if not limit or len(text) * 4 <= limit:
        return None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= limit:
        return None
    return f"the rendered output is {size:,} bytes, over the limit of {limit:,} bytes"


@dataclass(frozen=True)
class Rendered:
    value: Any  # the parsed JSON result
    text: str  # go-jsonnet's output, as Lytics' template test endpoint returns it
    fields_read: frozenset[str] = field(default_factory=frozenset)  # only filled with trace=True


def _dumps(value: Any, what: str) -> str:
    def refuse(obj: Any) -> Any:
        raise TypeError(f"{what} holds a {type(obj).__name__}, which is not JSON")

    try:
        return json.dumps(value, default=refuse)
    except (TypeError, ValueError) as exc:
        raise TemplateInputError(f"cannot pass {what} to the template: {exc}") from exc


def refused_import(source: str, filename: str) -> TemplateImportRefused | None:
    """The sandbox rule, checked statically: the only importable file is lytemplates.libsonnet."""
    for ref in scan(source).imports:
        if ref.keyword != "import" or ref.path != library.LIBRARY_NAME:
            return TemplateImportRefused(
                f"{ref.keyword} {ref.path!r} refused: templates may only import '{library.LIBRARY_NAME}'",
                filename=filename,
                line=ref.line,
                col=ref.col,
            )
    return None


_VETTED_MAX = 256  # distinct (template, config) pairs remembered as vetted; the set starts over past it
_SHARED_CHILDREN: dict[tuple[int, float, int, int], Any] = {}
_SHARED_LOCK = threading.Lock()


def _shared_child(max_stack: int, timeout_s: float, memory_limit_mb: int, max_output_bytes: int) -> Any:
    """One vetting child per process and settings, shared by every vetted engine (a runner per scenario in
    `harness run` would otherwise start one each: ~0.2 s apiece). Its finalizer stops it at exit."""
    from enrich_templates.isolate import IsolatedRenderer

    key = (max_stack, timeout_s, memory_limit_mb, max_output_bytes)
    with _SHARED_LOCK:
        child = _SHARED_CHILDREN.get(key)
        if child is None:
            child = _SHARED_CHILDREN[key] = IsolatedRenderer(
                max_stack=max_stack, timeout_s=timeout_s, memory_limit_mb=memory_limit_mb,
                max_output_bytes=max_output_bytes)
        return child


def _entity_json(entity: Mapping[str, Any]) -> str:
    """What the template reads as `ly_entity` (one user's, in a batch)."""
    return _dumps(lookup_table(entity), "the entity")


def _vet_key(source: str, job_config: Mapping[str, Any] | None, auth_config: Mapping[str, Any] | None) -> str:
    config = json.dumps([job_config or {}, auth_config or {}], sort_keys=True, default=repr)
    return hashlib.sha256(f"{len(source)}:{source}{config}".encode("utf-8", "surrogatepass")).hexdigest()


class TemplateEngine:
    """Thread-safe; cheap to share. One instance per process is fine.

    isolation="thread" (default) evaluates on worker threads and stops waiting after timeout_s; the Go
    evaluation itself cannot be interrupted and runs on in the background (see enrich_templates.pool).
    isolation="process" evaluates in a child process that is killed on timeout and has a memory cap: use it
    for templates you do not trust (the `template check` CLI does).
    isolation="vetted" renders each distinct template (with its job and auth config) in such a child until one
    render succeeds there, then on worker threads: a runaway template (an enormous std.range, a doubling string)
    is killed in the child under its memory cap instead of allocating in this process, while the renders that
    follow cost what thread mode costs (the runner renders every user). A template that runs away only for
    some users' data is not caught by the first render: time and output caps still bound it, memory does not.
    """

    def __init__(
        self,
        *,
        max_stack: int = 500,
        timeout_s: float = 2.0,
        isolation: Literal["thread", "process", "vetted"] = "thread",
        max_runaway: int = 2,
        memory_limit_mb: int = 2048,
        max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
    ) -> None:
        if max_stack < 1:
            raise TemplateInputError(f"max_stack must be at least 1, got {max_stack}")
        if isolation not in ("thread", "process", "vetted"):
            raise TemplateInputError(f"isolation must be 'thread', 'process' or 'vetted', got {isolation!r}")
        self.max_stack = max_stack
        self.timeout_s = timeout_s
        self.isolation = isolation
        self._pool = EvalPool(max_runaway=max_runaway) if timeout_s and timeout_s > 0 else None
        self._memory_limit_mb = memory_limit_mb
        self.max_output_bytes = max_output_bytes
        self._child: Any = None
        self._child_lock = threading.Lock()
        self._vetted: set[str] = set()
        self._coalescer = batch.Coalescer(max_stack=max_stack, timeout_s=timeout_s or 0.0,
                                          max_output_bytes=max_output_bytes)

    # -- public API ---------------------------------------------------------------------------------------

    def render(
        self,
        source: str,
        entity: Mapping[str, Any],
        job_config: Mapping[str, Any] | None = None,
        auth_config: Mapping[str, Any] | None = None,
        *,
        filename: str = "template.jsonnet",
        trace: bool = False,
    ) -> Rendered:
        outcome = self.evaluate(source, entity, job_config, auth_config, filename=filename, trace=trace)
        if outcome.kind is not None or outcome.text is None:
            raise outcome.to_error(filename)
        try:
            value = json.loads(outcome.text)
        except ValueError as exc:  # go-jsonnet always prints JSON; this would be a binding bug
            raise TemplateEvalError(f"the output is not JSON: {exc}", filename=filename) from exc
        return Rendered(value, outcome.text, frozenset(outcome.fields_read))

    def bind(
        self,
        source: str,
        job_config: Mapping[str, Any] | None = None,
        auth_config: Mapping[str, Any] | None = None,
        *,
        filename: str = "template.jsonnet",
    ) -> BoundTemplate:
        """The template with its job inputs fixed, as a job renders it for every user (see BoundTemplate)."""
        return BoundTemplate(self, source, job_config, auth_config, filename)

    def render_text(
        self,
        source: str,
        entity: Mapping[str, Any],
        job_config: Mapping[str, Any] | None = None,
        auth_config: Mapping[str, Any] | None = None,
        *,
        filename: str = "template.jsonnet",
    ) -> str:
        """Lytics' /v2/template/{id}/test semantics: the rendered string, or on error the error text starting
        'evaluating snippet: ' (go-jsonnet's 'RUNTIME ERROR ...' for runtime faults) - never raises for
        template faults."""
        outcome = self.evaluate(source, entity, job_config, auth_config, filename=filename)
        if outcome.kind is None and outcome.text is not None:
            return outcome.text
        return ERROR_PREFIX + outcome.raw

    def compile_check(self, source: str, *, filename: str = "template.jsonnet") -> None:
        """Parse and statically check a template, without evaluating it; TemplateEvalError has line/col."""
        refused = refused_import(source, filename)
        if refused is not None:
            raise refused
        # Bound to an unused local, the template is parsed and analysed (unknown variables, duplicate
        # fields) but never evaluated, so no input is needed and nothing can loop.
        wrapped = f"local __ly_compile_check = (\n{source}\n); null"
        try:
            _gojsonnet.evaluate_snippet(filename, wrapped, max_stack=self.max_stack, max_trace=_MAX_TRACE)
        except RuntimeError as exc:
            err = traces.classify(str(exc), source=wrapped, filename=filename, library_name=LIBRARY_PATH)
            if not isinstance(err, TemplateEvalError):
                raise TemplateEvalError(str(err), filename=filename) from exc
            line = err.line - 1 if err.line is not None else None
            last = source.count("\n") + 1
            if line is not None and (line < 1 or line > last):
                line, message = last, f"unexpected end of template ({err.message})"
                raise TemplateEvalError(message, filename=filename, line=line) from exc
            raise TemplateEvalError(err.message, filename=filename, line=line, col=err.col) from exc

    def evaluate(
        self,
        source: str,
        entity: Mapping[str, Any],
        job_config: Mapping[str, Any] | None = None,
        auth_config: Mapping[str, Any] | None = None,
        *,
        filename: str = "template.jsonnet",
        trace: bool = False,
    ) -> Evaluation:
        """Render to an Evaluation (never raises for template faults); render() and render_text() build on it."""
        if not isinstance(source, str):
            raise TemplateInputError(f"template source must be text, got {type(source).__name__}")
        if not isinstance(entity, Mapping):
            raise TemplateInputError(f"entity must be a JSON object, got {type(entity).__name__}")
        if self.isolation == "process":
            return self._isolated().evaluate(source, entity, job_config, auth_config, filename, trace)
        if self.isolation == "vetted":
            key = _vet_key(source, job_config, auth_config)
            if key not in self._vetted:
                child = _shared_child(self.max_stack, self.timeout_s, self._memory_limit_mb, self.max_output_bytes)
                outcome: Evaluation = child.evaluate(source, entity, job_config, auth_config, filename, trace)
                if outcome.kind is None:
                    with self._child_lock:
                        if len(self._vetted) >= _VETTED_MAX:
                            self._vetted.clear()
                        self._vetted.add(key)
                return outcome
        return self.evaluate_here(source, entity, job_config, auth_config, filename=filename, trace=trace)

    def close(self) -> None:
        """Stop the isolation child process, if one is running."""
        with self._child_lock:
            if self._child is not None:
                self._child.close()
                self._child = None

    def __enter__(self) -> TemplateEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def runaway(self) -> int:
        """Abandoned (timed-out) thread evaluations still running; see enrich_templates.pool."""
        return self._pool.runaway if self._pool is not None else 0

    def wait_runaway(self, timeout: float) -> bool:
        return self._pool.wait_runaway(timeout) if self._pool is not None else True

    # -- evaluation ---------------------------------------------------------------------------------------

    def _isolated(self) -> Any:
        from enrich_templates.isolate import IsolatedRenderer  # imported lazily: only process mode needs it

        with self._child_lock:
            if self._child is None:
                self._child = IsolatedRenderer(
                    max_stack=self.max_stack, timeout_s=self.timeout_s, memory_limit_mb=self._memory_limit_mb,
                    max_output_bytes=self.max_output_bytes,
                )
            return self._child

    def evaluate_here(
        self,
        source: str,
        entity: Mapping[str, Any],
        job_config: Mapping[str, Any] | None,
        auth_config: Mapping[str, Any] | None,
        *,
        filename: str,
        trace: bool,
        bounded: bool = True,
    ) -> Evaluation:
        """Evaluate in this process (on a pool thread when bounded and a timeout is set)."""
        refused = refused_import(source, filename)
        if refused is not None:
            return failure(refused, synthetic_raw(refused.message, filename, refused.line, refused.col))
        served = library.served_for(scan(source).names, trace=trace)
        ext_vars: dict[str, str] = {}
        if "ly_entity" in served.ext_vars:
            ext_vars["ly_entity"] = _entity_json(entity)
        if "ly_job_config" in served.ext_vars:
            ext_vars["ly_job_config"] = _dumps(dict(job_config or {}), "the job config")
        if "ly_auth_config" in served.ext_vars:
            ext_vars["ly_auth_config"] = _dumps(dict(auth_config or {}), "the auth config")

        refusals: list[Refusal] = []
        native_failures: list[str] = []

        def importer(base_dir: str, rel: str) -> tuple[str, bytes]:
            # Backstop behind the static scan; guard_import serves a refused path as a failing file, remembered.
            if rel == library.LIBRARY_NAME:
                return LIBRARY_PATH, served.source
            raise ImportRefused("refused by the template sandbox")

        kwargs: dict[str, Any] = {}
        reads: set[str] = set()
        if trace:

            def record(name: str) -> bool:
                reads.add(name)
                return True

            kwargs["native_callbacks"] = {
                "ly_field_read": (("field",), guard_native(record, native_failures, fallback=True))}

        def run() -> str:
            return _gojsonnet.evaluate_snippet(
                filename,
                source,
                ext_vars=ext_vars,
                import_callback=guard_import(importer, refusals),
                max_stack=self.max_stack,
                max_trace=_MAX_TRACE,
                **kwargs,
            )

        try:
            text = self._pool.call(run, self.timeout_s) if bounded and self._pool is not None else run()
        except TemplateTimeout as exc:
            return failure(exc, synthetic_raw(str(exc), filename))
        except RuntimeError as exc:
            if refusals:
                return self._refusal(refusals[0], filename)
            if native_failures:
                return self._callbackfailure(native_failures[0], filename)
            err = traces.classify(str(exc), source=source, filename=filename, library_name=LIBRARY_PATH)
            assert isinstance(err, TemplateError)
            # Reads before the failure still count: `template check` reports them either way.
            return dataclasses.replace(failure(err, str(exc)), fields_read=tuple(sorted(reads)))
        if refusals:
            return self._refusal(refusals[0], filename)
        if native_failures:
            return self._callbackfailure(native_failures[0], filename)
        too_big = output_too_big(text, self.max_output_bytes)
        if too_big is not None:
            return Evaluation(kind="eval", message=too_big, raw=synthetic_raw(too_big, filename))
        return Evaluation(text=text, fields_read=tuple(sorted(reads)))

    @staticmethod
    def _refusal(refusal: Refusal, filename: str) -> Evaluation:
        if refusal.unexpected:
            return TemplateEngine._callbackfailure(refusal.reason, filename)
        msg = f"import {refusal.rel!r} refused: templates may only import '{library.LIBRARY_NAME}'"
        return failure(TemplateImportRefused(msg, filename=filename), synthetic_raw(msg, filename))

    @staticmethod
    def _callbackfailure(reason: str, filename: str) -> Evaluation:
        msg = f"internal error in the template engine: {reason}"
        return failure(TemplateEvalError(msg, filename=filename), synthetic_raw(msg, filename))


class BoundTemplate:
    """One job's template and inputs, rendered user after user: render(...).value, batched.

    Renders of the same bound inputs that wait at the same time are evaluated together
    (enrich_templates.batch). A failing batch changes nothing: each of its users is then rendered on its own,
    so errors, limits and line numbers are those of TemplateEngine.render. The job inputs are serialised once
    here (they are fixed for a job's life), not on every render.
    """

    def __init__(self, engine: TemplateEngine, source: str, job_config: Mapping[str, Any] | None,
                 auth_config: Mapping[str, Any] | None, filename: str) -> None:
        self.engine = engine
        self.source = source
        self.job_config = dict(job_config or {}) if isinstance(job_config, Mapping) else job_config
        self.auth_config = dict(auth_config or {}) if isinstance(auth_config, Mapping) else auth_config
        self.filename = filename
        self._prog: batch.Program | None = None
        self._ext_vars: dict[str, str] = {}
        if isinstance(source, str) and engine.isolation != "process":
            try:
                self._ext_vars = {"ly_job_config": _dumps(dict(self.job_config or {}), "the job config"),
                                  "ly_auth_config": _dumps(dict(self.auth_config or {}), "the auth config")}
                self._prog = batch.program(source)
            except (TemplateInputError, TypeError, ValueError):  # render() reports it, user by user
                self._prog = None
        self._key = (source, self._ext_vars.get("ly_job_config"), self._ext_vars.get("ly_auth_config"))
        self._vetted_as = _vet_key(source, job_config, auth_config) if engine.isolation == "vetted" else ""

    def render(self, entity: Mapping[str, Any]) -> Rendered:
        return self.engine.render(self.source, entity, self.job_config, self.auth_config, filename=self.filename)

    def _program(self) -> batch.Program | None:
        """The batch program, once a vetted engine has vetted the template (None: render alone)."""
        if self._vetted_as and self._vetted_as not in self.engine._vetted:
            return None
        return self._prog

    def values(self, entities: Sequence[Mapping[str, Any]]) -> list[Any] | None:
        """The values of several users from one evaluation; None when they cannot be batched or the batch
        failed (one user's assert fails it): then render each with value(), which reports its own fault."""
        prog = self._program()
        if prog is None or not all(isinstance(e, Mapping) for e in entities):
            return None
        try:
            texts = [_entity_json(e) for e in entities]
        except TemplateInputError:
            return None
        return self.engine._coalescer.many(self._key, prog, texts, self._ext_vars)

    def value(self, entity: Mapping[str, Any]) -> Any:
        prog = self._program()
        if prog is None or not isinstance(entity, Mapping):
            return self.render(entity).value
        ok, value = self.engine._coalescer.value(self._key, prog, _entity_json(entity), self._ext_vars)
        return value if ok else self.render(entity).value
