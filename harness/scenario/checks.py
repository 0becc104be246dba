"""Scenario checks: each returns pass/fail with a reason that shows expected vs actual and a few offenders."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from harness import retry_after
from harness.scenario import model as m
from harness.scenario.check_result import SHOW, CheckResult, brief, profile_email
from harness.scenario.checks_setup import SETUP_CHECKS
from harness.scenario.state import RunState
from mock_lytics import filterql


def _bound(name: str, label: str, bound: m.Bound, actual: float | None, details: list[str] | None = None
           ) -> CheckResult:
    ok = bound.holds(actual)
    shown = "no samples" if actual is None else (f"{actual:g}" if isinstance(actual, float) else str(actual))
    return CheckResult(name, ok, f"{label}: expected {bound.describe()}, actual {shown}", details or [])


def check_profiles(c: m.ProfilesCheck, st: RunState) -> CheckResult:
    where, expect = filterql.parse_condition(c.where), filterql.parse_condition(c.expect)
    subject = [p for p in st.profiles if filterql.evaluate(where, p)]
    good = [p for p in subject if filterql.evaluate(expect, p)]
    bad = [p for p in subject if not filterql.evaluate(expect, p)]
    name = c.name or f"profiles {c.quantifier}: {c.expect}"
    label = f"of {len(subject)} profiles where {c.where}, {len(good)} match {c.expect}"
    if c.quantifier == "all":
        ok, offenders = not bad, bad
    elif c.quantifier == "none":
        ok, offenders = not good, good
    else:
        ok, offenders = bool(good), []
    expected = {"all": f"all {len(subject)}", "none": "none", "some": "at least one"}[c.quantifier]
    details = [f"offending profile: {brief(p)}" for p in offenders[:SHOW]]
    if len(offenders) > SHOW:
        details.append(f"... and {len(offenders) - SHOW} more")
    return CheckResult(name, ok, f"{label}; expected {expected}", details)


def check_audience_size(c: m.AudienceSize, st: RunState) -> CheckResult:
    return _bound(c.name or f"audience {c.segment} size", f"audience {c.segment} size", c.size,
                  st.segment_sizes.get(c.segment))


def _calls(st: RunState, operation: str) -> list[dict[str, Any]]:
    return [e for e in st.journal if e.get("operation") == operation]


def check_ansira_calls(c: m.AnsiraCalls, st: RunState) -> CheckResult:
    name = c.name or f"Ansira {c.operation} calls"
    calls = _calls(st, c.operation)
    results: list[CheckResult] = []
    if c.total is not None:
        results.append(_bound(name, f"{c.operation} calls", c.total, len(calls)))
    for status, bound in c.status.items():
        n = sum(1 for e in calls if str(e.get("status")) == status)
        results.append(_bound(name, f"{c.operation} calls with HTTP {status}", bound, n))
    if c.per_user is not None:
        per_email = Counter(e.get("email") for e in calls if e.get("email"))
        flt = filterql.parse_condition(c.users)
        emails = {e for p in st.profiles if filterql.evaluate(flt, p) and (e := profile_email(p))}
        off = [f"{e}: {per_email.get(e, 0)} calls" for e in sorted(emails) if not c.per_user.holds(per_email.get(e, 0))]
        results.append(CheckResult(
            name, (not off and bool(emails)) or (not emails and c.per_user.holds(0)),
            f"calls per user ({len(emails)} users where {c.users}): expected {c.per_user.describe()} each, "
            f"{len(off)} users off", [*off[:SHOW], *([f"... and {len(off) - SHOW} more"] if len(off) > SHOW else [])]))
    if not results:
        return CheckResult(name, False, "nothing to check: give total, status or per_user")
    failed = [r for r in results if not r.ok]
    pick = failed or results
    return CheckResult(name, not failed, "; ".join(r.reason for r in pick), [d for r in pick for d in r.details])


def check_no_duplicates(c: m.NoDuplicateCalls, st: RunState) -> CheckResult:
    """A second 2xx is a duplicate unless the runner never received an earlier answer: a call that timed out or
    was reset may still have been served, and retrying it is what any client must do (Ansira upserts by email)."""
    ok_calls = Counter(email for e in _calls(st, c.operation)
                       if 200 <= int(e.get("status", 0)) < 300 and (email := profile_email(e)) is not None)
    unanswered = Counter[str]()
    for o in st.outcomes:
        if (email := _outcome_email(o)) is not None:
            unanswered[email] += int(o.get("unanswered") or 0)
    extra = {e: n - 1 for e, n in ok_calls.items() if n > 1}
    dup = {e: n for e, n in extra.items() if n > unanswered.get(e, 0)}
    explained = len(extra) - len(dup)
    note = f" ({explained} more explained by answers the runner never received)" if explained else ""
    return CheckResult(c.name or "no duplicate successful calls", not dup,
                       f"users answered successfully more than once: expected 0, actual {len(dup)}{note}",
                       [f"{e}: {n + 1} successful calls, {unanswered.get(e, 0)} unanswered "
                        "attempts" for e, n in list(dup.items())[:SHOW]])


def check_token_fetches(c: m.TokenFetches, st: RunState) -> CheckResult:
    n = sum(1 for e in _calls(st, "token") if 200 <= int(e.get("status", 0)) < 300)
    return _bound(c.name or "token fetches", "tokens issued", c.count, n)


def check_outcomes(c: m.Outcomes, st: RunState) -> CheckResult:
    s = st.outcome_summary
    results = []
    for key in ("enriched", "omitted", "pending"):
        bound = getattr(c, key)
        if bound is not None:
            results.append(_bound("", f"{key} users", bound, s.get(key, 0)))
    reasons: dict[str, int] = defaultdict(int)
    for reason, n in (s.get("omitted_reasons") or {}).items():
        reasons[reason] += n
    for prefix, bound in c.omitted_reasons.items():
        n = sum(v for r, v in reasons.items() if r and r.startswith(prefix))
        results.append(_bound("", f"omitted with reason {prefix!r}", bound, n))
    failed = [r for r in results if not r.ok]
    details = [f"omitted reasons seen: {dict(reasons)}"] if reasons else []
    pending = [o for o in st.outcomes if o.get("status") == "pending"]
    details += [f"pending user {o['user']}: {o.get('reason') or 'queued'}" for o in pending[:SHOW]]
    return CheckResult(c.name or "outcomes", not failed, "; ".join(r.reason for r in failed or results), details)


def check_retry_after(c: m.RetryAfterRespected, st: RunState) -> CheckResult:
    """Sent after the runner received the 429, before the window ended (harness.retry_after has the rule)."""
    allowance = c.in_flight if c.in_flight is not None else max(0, st.max_workers - 1)
    v = retry_after.violations(st.journal, st.runner_requests, allowance=allowance, grace_s=c.grace_s, show=SHOW)
    legacy = v.windows - v.exact_windows
    note = (f"; {legacy} without a runner receipt, judged by arrival (beyond {allowance} in flight within "
            f"{c.grace_s:g}s)" if legacy else "")
    return CheckResult(c.name or "Retry-After respected", not v.violations,
                       f"requests sent inside {v.windows} Retry-After windows ({v.exact_windows} timed by the "
                       f"runner's send and receive times{note}): expected 0, actual {v.violations}", v.samples)


def check_latency(c: m.Latency, st: RunState) -> CheckResult:
    lat = st.outcome_summary.get("latency_ms") or {}
    results = [_bound("", f"enrich latency {q}", b, lat.get(q.removesuffix("_ms")))
               for q, b in (("p50_ms", c.p50_ms), ("p95_ms", c.p95_ms), ("p99_ms", c.p99_ms)) if b is not None]
    failed = [r for r in results if not r.ok]
    return CheckResult(c.name or "enrich latency", bool(results) and not failed,
                       "; ".join(r.reason for r in failed or results) or "no percentile given")


def check_job_status(c: m.JobStatus, st: RunState) -> CheckResult:
    actual = st.job_status.get(c.job)
    return CheckResult(c.name or f"job {c.job} status", actual == c.status,
                       f"job {c.job}: expected status {c.status}, actual {actual or 'not started'}")


def check_duration(c: m.Duration, st: RunState) -> CheckResult:
    return _bound(c.name or "run duration", "run duration (s)", c.seconds, round(st.duration_s, 3))


def _outcome_email(o: dict[str, Any]) -> str | None:
    return profile_email(o.get("identity") or {})


def check_accounted(c: m.Accounted, st: RunState) -> CheckResult:
    """Server truth first: a profile that matches `enriched` is enriched whatever the runner thinks."""
    users, enriched = filterql.parse_condition(c.users), filterql.parse_condition(c.enriched)
    by_user = {str(o.get("user")): o for o in st.outcomes}
    by_email = {e: o for o in st.outcomes if (e := _outcome_email(o))}
    counts = Counter[str]()
    off: list[str] = []
    for p in st.profiles:
        if not filterql.evaluate(users, p):
            continue
        o = by_user.get(str(p.get("_id"))) or by_email.get(profile_email(p) or "")
        status = (o or {}).get("status")
        if filterql.evaluate(enriched, p):
            counts["enriched"] += 1
        elif status == "omitted" and (o or {}).get("reason"):
            counts["omitted"] += 1
        elif status == "enriched":
            counts["lost"] += 1
            off.append(f"{brief(p)}: the runner counted it enriched but the profile does not match {c.enriched}")
        else:
            counts["unaccounted"] += 1
            why = f"{status}: {(o or {}).get('reason') or 'no reason'}" if o else "never picked up by the runner"
            off.append(f"{brief(p)}: {why}")
    total = sum(counts.values())
    return CheckResult(
        c.name or "every user enriched or omitted with a reason", not off and total > 0,
        f"of {total} users where {c.users}: {counts['enriched']} enriched, {counts['omitted']} omitted with a "
        f"reason; unaccounted expected 0, actual {counts['unaccounted'] + counts['lost']}",
        [*off[:SHOW], *([f"... and {len(off) - SHOW} more"] if len(off) > SHOW else [])])


def check_no_call_after_enriched(c: m.NoCallAfterEnriched, st: RunState) -> CheckResult:
    """Journal receive times against the runner's done_ts (same host clock): a later call re-sent a finished user."""
    done: dict[str, float] = {}
    for o in st.outcomes:
        email = _outcome_email(o)
        if o.get("status") == "enriched" and email and o.get("done_ts") is not None:
            done[email] = min(done.get(email, float("inf")), float(o["done_ts"]))
    late = [e for e in _calls(st, c.operation)
            if (t := done.get(str(e.get("email") or "").lower())) is not None and float(e["ts"]) > t]
    details = [f"{e.get('email')}: call #{e.get('seq')} (HTTP {e.get('status')}) "
               f"{float(e['ts']) - done[str(e.get('email')).lower()]:.3f}s after its write-back landed"
               for e in late[:SHOW]]
    return CheckResult(c.name or "no call after a user was enriched", not late and bool(done),
                       f"{c.operation} calls after the user's write-back landed ({len(done)} enriched users): "
                       f"expected 0, actual {len(late)}", details)


CHECKS: dict[type, Callable[[Any, RunState], CheckResult]] = {
    m.ProfilesCheck: check_profiles, m.AudienceSize: check_audience_size, m.AnsiraCalls: check_ansira_calls,
    m.NoDuplicateCalls: check_no_duplicates, m.TokenFetches: check_token_fetches, m.Outcomes: check_outcomes,
    m.RetryAfterRespected: check_retry_after, m.Latency: check_latency, m.Duration: check_duration,
    m.JobStatus: check_job_status,
    m.Accounted: check_accounted, m.NoCallAfterEnriched: check_no_call_after_enriched,
}


def run_check(c: Any, st: RunState) -> CheckResult:
    fn = CHECKS.get(type(c))
    if fn is None:
        fn = SETUP_CHECKS[type(c)]  # set-up diagnoses live in their own module
    started = time.perf_counter()
    result = fn(c, st)
    result.duration_s = time.perf_counter() - started
    result.kind = str(getattr(c, "kind", "") or "")
    result.named = getattr(c, "name", None) is not None
    return result
