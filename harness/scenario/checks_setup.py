"""Checks that diagnose a set-up, not only a run: they name the misconfiguration a person has to fix.

`audience_drains` catches a write-back that never removes users from the source audience (each restart then
calls Ansira for them again); `ansira_received` compares what Ansira stored with the profiles (a template
default sent instead of the real value); `template` runs the template checker on each job's template.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.errors import TemplateEvalError
from harness.scenario import model as m
from harness.scenario.check_result import SHOW, CheckResult, brief, profile_email
from harness.scenario.state import RunState
from mock_lytics import filterql

_MISSING = object()


def _more(items: list[str]) -> list[str]:
    return [*items[:SHOW], *([f"... and {len(items) - SHOW} more"] if len(items) > SHOW else [])]


def _jobs(st: RunState) -> list[m.Job]:
    return list(st.scenario.lytics.jobs) if st.scenario is not None else []


def _stream(job: m.Job) -> str:
    return str(job.config.get("stream") or "webhook_enrichment")


# -- audience_drains ---------------------------------------------------------------------------------------
def check_audience_drains(c: m.AudienceDrains, st: RunState) -> CheckResult:
    name = c.name or "enriched users leave the audience"
    sc = st.scenario
    if sc is None:
        return CheckResult(name, False, "no scenario set-up recorded for this run")
    segments = {s.slug: s for s in sc.lytics.segments if s.slug}
    if c.segment is not None:
        slugs = [c.segment]
    else:
        slugs = list(dict.fromkeys(str(s) for j in sc.lytics.jobs for s in j.config.get("segment_ids") or ()))
    unknown = [s for s in slugs if s not in segments]
    if unknown or not slugs:
        return CheckResult(name, False, f"unknown audience {', '.join(unknown) or '(none watched by a job)'}; "
                           f"defined: {', '.join(sorted(segments)) or 'none'}")
    enriched = {str(o["user"]) for o in st.outcomes if o.get("status") == "enriched"}
    if not enriched:
        return CheckResult(name, False, "no user was enriched, so nothing shows whether the audience drains")
    by_id = {str(p.get("_id")): p for p in st.profiles}
    reasons, details, ok = [], [], True
    for slug in slugs:
        stuck = [by_id[u] for u in sorted(enriched, key=lambda u: (len(u), u))
                 if u in by_id and slug in (by_id[u].get("segments") or ())]
        reasons.append(f"{len(stuck)} of {len(enriched)} enriched users still in audience {slug} (expected 0)")
        if stuck:
            ok = False
            details += _why_stuck(segments[slug], stuck, sc)
            details += _more([f"still in {slug} after enrichment: {brief(p)}" for p in stuck])
    if not ok:
        reasons.append("every restart, backfill or resync of the job sends them to Ansira again")
    return CheckResult(name, ok, "; ".join(reasons), details)


def _why_stuck(seg: m.Segment, stuck: list[dict[str, Any]], sc: m.Scenario) -> list[str]:
    """Name the audience fields the write-back never sets, and which stream's mappings lack them."""
    flt = filterql.parse_condition(seg.ql)
    read = sorted(filterql.referenced_fields(flt))
    streams = sorted({_stream(j) for j in sc.lytics.jobs if seg.slug in (j.config.get("segment_ids") or ())})
    out = []
    for field in read:
        missing = sum(1 for p in stuck if p.get(field) in (None, "", []))
        if not missing:
            continue
        for stream in streams:
            written = sorted({mp.field for mp in sc.lytics.mappings if mp.stream == stream})
            if field not in written:
                via = " (nor does any LQL query, unless one of lytics.queries does)" if sc.lytics.queries else ""
                out.append(f"audience {seg.slug} reads {field!r}, which is empty on {missing} of them: no mapping "
                           f"on the job's stream {stream!r} writes {field!r}{via}; stream {stream!r} writes only "
                           f"{', '.join(written) or 'nothing'}. Map the response field that should set it "
                           f"(e.g. {{field: '{field}', stream: '{stream}', expr: 'response.uuid'}})")
            else:
                out.append(f"audience {seg.slug} reads {field!r}, which is empty on {missing} of them although "
                           f"stream {stream!r} has a mapping for it: check that mapping's expression and guard "
                           f"against the response the webhook returns")
    if not out:
        out.append(f"audience {seg.slug} ({seg.ql}) still matches them after the write-back: its condition does "
                   f"not depend on what the write-back sets")
    return out


# -- ansira_received ---------------------------------------------------------------------------------------
def _dig(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return _MISSING
        obj = obj[part]
    return obj


def _value(profile: dict[str, Any], field: str) -> Any:
    v = profile.get(field)
    if isinstance(v, list) and field == "email":
        v = v[-1] if v else None
    return v


def _same(a: Any, b: Any) -> bool:
    if a in (None, "", _MISSING) or b in (None, ""):
        return a in (None, "", _MISSING) and b in (None, "")
    return a == b or str(a) == str(b)


def check_ansira_received(c: m.AnsiraReceived, st: RunState) -> CheckResult:
    pairs = ", ".join(f"{a} = {p}" for a, p in c.fields.items())
    name = c.name or f"Ansira received {pairs}"
    flt = filterql.parse_condition(c.users)
    stored = {str(u.get("email")).lower(): u for u in st.ansira_users if u.get("email")}
    subject = [(e, p) for p in st.profiles if filterql.evaluate(flt, p) and (e := profile_email(p))]
    if not subject:
        return CheckResult(name, False, f"no profiles with an email where {c.users}: nothing to compare")
    Row = tuple[str, list[str], dict[str, Any], dict[str, Any] | None]
    good: list[Row] = []
    bad: list[Row] = []
    for email, p in subject:
        user = stored.get(email)
        diffs = ["Ansira has no such user"] if user is None else [
            f"Ansira {a}={_shown(_dig(user, a))}, profile {f}={_shown(_value(p, f))}"
            for a, f in c.fields.items() if not _same(_dig(user, a), _value(p, f))]
        (bad if diffs else good).append((email, diffs, p, user))
    ok = {"all": not bad, "none": not good, "some": bool(good)}[c.quantifier]
    expected = {"all": f"all {len(subject)}", "none": "none", "some": "at least one"}[c.quantifier]
    offenders = bad if c.quantifier == "all" else good if c.quantifier == "none" else []
    details = _more([f"{e}: {'; '.join(d) or 'Ansira matches the profile'}" for e, d, _, _ in offenders])
    if not ok and c.quantifier == "all":
        details = _export_hints(c, st, [(p, u) for _, _, p, u in bad if u is not None]) + details
    return CheckResult(name, ok, f"of {len(subject)} profiles where {c.users}, Ansira's stored user matches "
                       f"({pairs}) for {len(good)}; expected {expected}", details)


def _shown(v: Any) -> str:
    return "missing" if v is _MISSING else repr(v)


def _export_hints(c: m.AnsiraReceived, st: RunState, bad: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[str]:
    """When Ansira holds an empty value where the profile has one, an unexported field is the usual cause."""
    hints = []
    for a, f in c.fields.items():
        defaulted = any(_same(_dig(u, a), None) and not _same(_value(p, f), None) for p, u in bad)
        for job in _jobs(st):
            exported = list(job.config.get("user_fields") or [])
            if defaulted and exported and f not in exported:
                hints.append(f"job {job.name} does not export {f!r} (user_fields: {', '.join(exported)}), so its "
                             f"template sees the default instead of the profile's value: add {f!r} to user_fields "
                             f"to send it as {a}")
    return hints


# -- template ----------------------------------------------------------------------------------------------
def check_template(c: m.TemplateCheck, st: RunState) -> CheckResult:
    from enrich_templates import TemplateEngine
    from harness.templates.check import run_check as check_source

    name = c.name or f"template check{' of job ' + c.job if c.job else ''}"
    sc = st.scenario
    jobs = [j for j in _jobs(st) if c.job is None or j.name == c.job]
    if sc is None or not jobs:
        return CheckResult(name, False, f"no job named {c.job!r}; jobs: "
                           f"{', '.join(j.name for j in _jobs(st)) or 'none'}")
    templates = {t.name: t for t in sc.lytics.templates}
    reasons, details, ok = [], [], True
    engine = TemplateEngine(isolation="vetted")  # the scenario's template may run away: vetted in a child
    try:
        for job in jobs:
            tpl = templates.get(str(job.config.get("template_id") or ""))
            if tpl is None:
                reasons.append(f"job {job.name}: no template (the flat default payload is sent)")
                continue
            try:
                report = check_source(tpl.source, engine=engine, filename=f"{tpl.name}.jsonnet",
                                      user_fields=list(job.config.get("user_fields") or []),
                                      job_config=dict(job.config), samples=c.samples, seed=sc.seed,
                                      source_codes=st.source_codes or None)
            except TemplateEvalError as exc:
                ok = False
                reasons.append(f"job {job.name}: template {tpl.name} does not compile: {exc}")
                continue
            failing = report.failing(c.fail_on)
            ok = ok and not failing
            reasons.append(f"job {job.name}, template {tpl.name}: {len(failing)} {c.fail_on}-level findings over "
                           f"{report.rendered} renders (expected 0)")
            details += [f"{f.severity}: {f.message} ({f.count} renders)" for f in failing]
    finally:
        engine.close()
    return CheckResult(name, ok, "; ".join(reasons), _more(details))


SETUP_CHECKS: dict[type, Callable[[Any, RunState], CheckResult]] = {
    m.AudienceDrains: check_audience_drains, m.AnsiraReceived: check_ansira_received, m.TemplateCheck: check_template,
}
