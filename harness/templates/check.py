"""`template check`: render a template over many profiles and report what would go wrong in production.

Findings, by severity:
  error    a field read but not exported; Ansira contract problems, jsonnet errors or timeouts on realistic
           (in-audience) profiles; an assert that omits every realistic profile
  warning  contract problems, jsonnet errors or timeouts that only edge-case inputs cause
Assert omissions that spare some realistic profiles are reported (with counts) but are not findings.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from enrich_templates import Evaluation, TemplateEngine, TemplateEvalError, build_entity, encode_body, split_override
from harness.templates import samples as samples_mod
from mock_ansira.contract import MAX_BODY_BYTES, Problem, request_problems

MAX_TIMEOUTS = 3  # a template that times out this often will time out on everything: stop rendering
_SHOWN_CHARS = 120


def exported(name: str, user_fields: Collection[str]) -> bool:
    """Whether the export list covers a read of `name` (a read of 'address.city' is a read of 'address')."""
    if not user_fields or name == "segment_events" or name in user_fields:
        return True
    parts = name.split(".")
    return any(".".join(parts[:i]) in user_fields for i in range(1, len(parts)))


def _shorten(value: Any) -> Any:
    """Examples stay readable: long strings are cut and say how long they were."""
    if isinstance(value, str) and len(value) > _SHOWN_CHARS:
        return f"{value[:40]}... ({len(value):,} chars)"
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    return value


@dataclass
class Finding:
    kind: str  # field_not_exported | contract | runtime_error | timeout | bad_override | omits_all
    severity: str  # error | warning
    message: str
    count: int = 0
    example: dict[str, Any] | None = None
    realistic: int = 0  # how many of `count` were realistic samples (the rest were edge cases)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "count": self.count,
            "realistic_count": self.realistic,
            "example": self.example,
        }


@dataclass
class Omission:
    message: str
    realistic: int = 0
    edge: int = 0
    example: dict[str, Any] | None = None


@dataclass
class CheckReport:
    template: str
    samples: int
    edge_cases: int
    user_fields: list[str]
    source_codes: list[str] | None
    fields_read: dict[str, int] = field(default_factory=dict)  # field -> how many renders read it
    findings: list[Finding] = field(default_factory=list)
    omissions: list[Omission] = field(default_factory=list)
    rendered: int = 0
    stopped_early: str | None = None

    def failing(self, fail_on: str = "error") -> list[Finding]:
        levels = ("error",) if fail_on == "error" else ("error", "warning")
        return [f for f in self.findings if f.severity in levels]

    def exit_code(self, fail_on: str = "error") -> int:
        return 1 if self.failing(fail_on) else 0

    def as_dict(self, fail_on: str = "error") -> dict[str, Any]:
        return {
            "template": self.template,
            "samples": self.samples,
            "edge_cases": self.edge_cases,
            "rendered": self.rendered,
            "user_fields": self.user_fields,
            "source_codes": self.source_codes,
            "fields_read": [
                {"field": name, "renders": n, "exported": exported(name, self.user_fields)}
                for name, n in sorted(self.fields_read.items())
            ],
            "findings": [f.as_dict() for f in self.findings],
            "omissions": [
                {
                    "message": o.message,
                    "realistic_count": o.realistic,
                    "edge_count": o.edge,
                    "example": o.example,
                }
                for o in self.omissions
            ],
            "stopped_early": self.stopped_early,
            "exit_code": self.exit_code(fail_on),
        }


class _Collector:
    def __init__(self, report: CheckReport, source_codes: Collection[str] | None) -> None:
        self.report = report
        self.source_codes = source_codes
        self.groups: dict[tuple[str, str], Finding] = {}
        self.omissions: dict[str, Omission] = {}
        self.timeouts = 0
        self.first_read: dict[str, dict[str, Any]] = {}

    def add(self, kind: str, message: str, sample: samples_mod.Sample, example: dict[str, Any]) -> None:
        finding = self.groups.get((kind, message))
        if finding is None:
            severity = "warning" if sample.edge else "error"
            finding = self.groups[(kind, message)] = Finding(kind, severity, message, example=example)
        finding.count += 1
        if not sample.edge:
            finding.realistic += 1
            if finding.severity == "warning":  # first seen on an edge case, now a realistic profile hits it
                finding.severity, finding.example = "error", example

    def observe(self, sample: samples_mod.Sample, entity: dict[str, Any], outcome: Evaluation) -> None:
        self.report.rendered += 1
        shown = {
            k: v for k, v in entity.items() if k != "segment_events"
        }  # the same trigger for every sample
        example: dict[str, Any] = {"profile": sample.label, "entity": _shorten(shown)}
        for name in outcome.fields_read:
            self.report.fields_read[name] = self.report.fields_read.get(name, 0) + 1
            self.first_read.setdefault(name, example)
        if outcome.kind == "assert":
            om = self.omissions.setdefault(outcome.message, Omission(outcome.message, example=example))
            if sample.edge:
                om.edge += 1
            else:
                om.realistic += 1
            return
        if outcome.kind == "timeout":
            self.timeouts += 1
            self.add("timeout", outcome.message, sample, example)
            return
        if outcome.kind is not None:
            where = f" (line {outcome.line}, col {outcome.col})" if outcome.line is not None else ""
            example = {**example, "line": outcome.line, "col": outcome.col}
            self.add("runtime_error", f"{outcome.message}{where}", sample, example)
            return
        value = json.loads(outcome.text or "null")
        try:
            _url, _headers, body = split_override(value)
        except TemplateEvalError as exc:
            self.add("bad_override", exc.message, sample, {**example, "output": _shorten(value)})
            return
        example = {**example, "body": _shorten(body)}
        for problem in self.problems(body):
            self.add("contract", f"{problem.path}: {problem.message}", sample, example)

    def problems(self, body: Any) -> list[Problem]:
        out = request_problems(body, source_codes=self.source_codes)
        size = len(encode_body(body))
        if size > MAX_BODY_BYTES:
            out.append(Problem("$", f"body is {size:,} bytes, over the {MAX_BODY_BYTES:,}-byte limit"))
        return out


def run_check(
    source: str,
    *,
    engine: TemplateEngine,
    filename: str = "template.jsonnet",
    user_fields: Sequence[str] | None = None,
    job_config: dict[str, Any] | None = None,
    samples: int = 200,
    seed: int = 0,
    source_codes: Collection[str] | None = None,
) -> CheckReport:
    """Render over realistic samples, then over edge cases of every field the template read, and report.

    Raises TemplateEvalError (via compile_check) when the template itself does not parse or imports
    something forbidden: there is nothing to check then.
    """
    engine.compile_check(source, filename=filename)
    job_config = dict(job_config or {})
    fields = list(user_fields or [])
    report = CheckReport(
        filename, samples, 0, fields, sorted(source_codes) if source_codes is not None else None
    )
    collect = _Collector(report, source_codes)
    seg_ids = job_config.get("segment_ids") or []
    events = samples_mod.segment_events(
        [str(s) for s in seg_ids] if isinstance(seg_ids, list) else [], seed=seed
    )

    def render_all(batch: list[samples_mod.Sample]) -> None:
        for sample in batch:
            if collect.timeouts >= MAX_TIMEOUTS:
                report.stopped_early = f"stopped after {MAX_TIMEOUTS} timeouts"
                return
            entity = build_entity(sample.profile, fields, events)
            outcome = engine.evaluate(source, entity, job_config, filename=filename, trace=True)
            collect.observe(sample, entity, outcome)

    # With no export list every field is exported: learn which fields the template wants from one probe
    # render, so the generated profiles carry them (a real profile would).
    extra = fields or _probe_reads(engine, source, filename, job_config, events, seed)
    render_all(samples_mod.realistic(samples, seed=seed, extra_fields=extra))
    # Spoil every top-level field the template read (and email, which the Ansira contract needs).
    varied = sorted({name for name in report.fields_read if "." not in name} | {"email"})
    varied = [name for name in varied if exported(name, fields) and name != "segment_events"]
    edges = samples_mod.edge_cases(samples_mod.complete_profile(seed=seed, extra_fields=extra), varied)
    report.edge_cases = len(edges)
    render_all(edges)
    _finish(report, collect, samples)
    return report


def _probe_reads(
    engine: TemplateEngine,
    source: str,
    filename: str,
    job_config: dict[str, Any],
    events: list[dict[str, Any]],
    seed: int,
) -> list[str]:
    entity = build_entity(samples_mod.complete_profile(seed=seed), None, events)
    outcome = engine.evaluate(source, entity, job_config, filename=filename, trace=True)
    return sorted({name.split(".")[0] for name in outcome.fields_read})


def _finish(report: CheckReport, collect: _Collector, samples: int) -> None:
    report.findings = list(collect.groups.values())
    missing = sorted(name for name in report.fields_read if not exported(name, report.user_fields))
    for name in missing:
        report.findings.append(
            Finding(
                "field_not_exported",
                "error",
                f"the template reads {name!r}, which the job does not export (user_fields: "
                f"{', '.join(report.user_fields)}); it will always see the default",
                count=report.fields_read[name],
                example=collect.first_read.get(name),
            )
        )
    for om in collect.omissions.values():
        if samples and om.realistic == samples:
            report.findings.append(
                Finding(
                    "omits_all",
                    "error",
                    f"assert {om.message!r} omits every realistic profile: nothing would reach Ansira",
                    count=om.realistic + om.edge,
                    example=om.example,
                    realistic=om.realistic,
                )
            )
    report.omissions = sorted(collect.omissions.values(), key=lambda o: (-o.realistic, -o.edge, o.message))
    order = {"error": 0, "warning": 1}
    report.findings.sort(key=lambda f: (order[f.severity], -f.count, f.kind, f.message))
