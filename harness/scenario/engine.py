"""Drive one scenario end to end: start the stack, configure Lytics over HTTP, run the steps, run the checks."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from harness.errors import ConfigError, RemoteError, ScenarioError, ScenarioErrors
from harness.http import ServiceSession, lytics_session
from harness.mockclients import AnsiraAdmin, LyticsAdmin
from harness.pictures import timeline
from harness.redact import REDACTOR
from harness.runner import RunnerOptions
from harness.scenario import loader
from harness.scenario import model as m
from harness.scenario.checks import CheckResult, run_check
from harness.scenario.hints import did_you_mean
from harness.scenario.profiles import all_profiles, generate
from harness.scenario.state import RunState, handled_failures
from harness.stack import Stack, prepare_behaviour
from mock_ansira.behaviour import BehaviourError, load_behaviour, merge_documents

log = logging.getLogger("harness.scenario")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+|env:[A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass
class ScenarioResult:
    name: str
    file: str | None
    description: str
    checks: list[CheckResult] = field(default_factory=list)
    duration_s: float = 0.0
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    started_at: float | None = None  # epoch seconds: the JUnit timestamp
    timeline: dict[str, Any] | None = field(default=None, repr=False)  # chart series (harness.pictures.timeline)

    @property
    def ok(self) -> bool:
        return self.error is None and all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "ok": self.ok, "description": self.description,
                "duration_s": round(self.duration_s, 3), "error": self.error, "summary": self.summary,
                "checks": [c.to_dict() for c in self.checks]}


def load(path: str | Path) -> m.Scenario:
    sc = m.validate(loader.render(path), file=str(path))
    check_runner_options(sc.runner, file=str(path))
    try:
        load_behaviour(prepare_behaviour(sc.ansira, sc.seed))
    except BehaviourError as exc:
        raise ScenarioError("; ".join(f"ansira.{p.path.lstrip('$.')}: {p.message}" for p in exc.problems),
                            file=str(path), path="ansira") from None
    for i, st in enumerate(sc.steps):
        if st.ansira_behaviour is not None:
            try:
                load_behaviour(merge_documents(prepare_behaviour(sc.ansira, sc.seed), st.ansira_behaviour))
            except BehaviourError as exc:
                raise ScenarioError(str(exc), file=str(path), path=f"steps[{i}].ansira_behaviour") from None
    return sc


def load_all(files: list[Path], each: Callable[[Path, m.Scenario], object] | None = None
             ) -> list[tuple[Path, m.Scenario]]:
    """Validate every file before running any, and report every bad one (ScenarioErrors), not just the first."""
    loaded, bad = [], []
    for f in files:
        try:
            loaded.append((f, load(f)))
        except ConfigError as exc:
            bad.append(exc)
            continue
        if each is not None:
            each(f, loaded[-1][1])
    if bad:
        raise ScenarioErrors(bad, len(files))
    return loaded


def check_runner_options(runner: dict[str, Any], *, file: str | None) -> None:
    """The `runner` section is RunnerOptions overrides: unknown keys and bad values fail at load, not mid-run."""
    known = {f.name for f in dataclasses.fields(RunnerOptions)}
    unknown = sorted(set(runner) - known)
    if unknown:
        hint = did_you_mean(unknown[0], known) if len(unknown) == 1 else ""
        raise ScenarioError(f"unknown key(s) {', '.join(unknown)}{hint}; known: {', '.join(sorted(known))}",
                            file=file, path="runner")
    try:
        RunnerOptions(**runner)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(str(exc), file=file, path="runner") from None


def _expects_job_failure(sc: m.Scenario) -> bool:
    """A job_status check or a wait_until on `failed`: the scenario injects the failure on purpose."""
    return (any(isinstance(c, m.JobStatus) and c.status == "failed" for c in sc.checks)
            or any(s.wait_until is not None and "failed" in s.wait_until.job_status.values() for s in sc.steps))


class ScenarioRun:
    def __init__(self, scenario: m.Scenario, *, file: str | None = None,
                 progress: Callable[[str], None] | None = None, runner_overrides: dict[str, Any] | None = None,
                 target: dict[str, Any] | None = None,
                 waiter: Callable[[m.WaitUntil, str], None] | None = None) -> None:
        """`waiter` replaces how a `wait_until` step waits (the load test's remote rule: it sees the runner only
        through Lytics); by default the run waits on the runner it started."""
        self.sc = scenario
        self.waiter = waiter
        self.target = target  # a running stack's ready file(s) (harness.scenario.target); None: start our own
        self.runner_overrides = runner_overrides or {}
        self.file = file
        self.progress = progress or (lambda _msg: None)
        self.ids: dict[str, dict[str, str]] = {"segment": {}, "template": {}, "auth": {}, "job": {}}
        gen = scenario.profiles.generate
        self._generated = gen.count if gen is not None else 0  # users generated so far: later batches number on

    # -- entry point ----------------------------------------------------------------------------------------
    def execute(self) -> ScenarioResult:
        result = ScenarioResult(self.sc.name, self.file, self.sc.description, started_at=time.time())
        try:
            options = RunnerOptions(**{"job_failure_expected": _expects_job_failure(self.sc), **self.sc.runner,
                                       **self.runner_overrides})
        except (TypeError, ValueError) as exc:
            raise ScenarioError(f"runner: {exc}", file=self.file, path="runner") from None
        started = time.monotonic()
        if self.target is not None:
            from harness.scenario.target import TargetStack

            # a stand-in with the parts of Stack the engine reads (keys, ready_info, runner, options, behaviour)
            stack = cast(Stack, TargetStack(self.target, seed=self.sc.seed, ansira_behaviour=self.sc.ansira,
                                            runner_options=options))
        else:
            stack = Stack(seed=self.sc.seed, ansira_behaviour=self.sc.ansira, runner_options=options)
        try:
            stack.start()
        except Exception as exc:
            raise ScenarioError(f"the stack did not start: {REDACTOR(exc)}", file=self.file, path="ansira") from None
        self.stack = stack
        self.vars = stack.ready_info()
        self.lytics = lytics_session(self.vars["lytics_url"], stack.api_key, admin_key=stack.admin_key)
        self.ansira = ServiceSession(self.vars["ansira_url"], headers={"X-Admin-Key": stack.admin_key})
        marks: list[tuple[float, int, str, dict[str, Any] | None]] = []
        try:
            self.progress("configuring Lytics")
            self._setup()
            try:
                for i, step in enumerate(self.sc.steps):
                    self.progress(f"step {i + 1}/{len(self.sc.steps)}: {step.action}")
                    marks.append((time.time(), i, step.action, step.ansira_behaviour))  # drawn on the timelines
                    self._step(step, f"steps[{i}]")
            except _Timeout as exc:
                result.error = str(exc)
            result.duration_s = time.monotonic() - started
            self.progress("collecting results")
            state = self._state(result.duration_s)
            result.summary = {"profiles": len(state.profiles), "segments": state.segment_sizes,
                              "ansira": state.journal_summary, "outcomes": state.outcome_summary,
                              "handled": handled_failures(state.runner_counters)}
            result.checks = [run_check(c, state) for c in self.sc.checks]
            result.timeline = timeline.for_scenario(state.journal, state.outcomes, marks, self.stack.behaviour)
        finally:
            self.lytics.close()
            self.ansira.close()
            stack.stop()
        return result

    # -- driving a stack started elsewhere (harness load) --------------------------------------------------
    def attach(self, *, vars: dict[str, Any], lytics: ServiceSession, ansira: ServiceSession,
               runner_options: RunnerOptions | None = None) -> None:
        """Point set-up and steps at mocks this run did not start and whose runner it cannot see; `execute()` is
        then not used: the caller calls `configure()` and `run_step()` and reads results its own way."""
        self.vars, self.lytics, self.ansira = vars, lytics, ansira
        self.stack = cast(Stack, _Detached(runner_options=runner_options or RunnerOptions()))

    def configure(self) -> None:
        """The scenario's Lytics set-up: fields, mappings, queries, audiences, templates, auths."""
        self._setup()

    def run_step(self, index: int, step: m.Step) -> None:
        self._step(step, f"steps[{index}]")

    def segment_size(self, slug: str) -> int:
        """An audience's size by its slug (or id)."""
        return self._segment_size(slug)

    # -- set-up ---------------------------------------------------------------------------------------------
    def _subst(self, value: Any) -> Any:
        if isinstance(value, str):
            def rep(mt: re.Match[str]) -> str:
                key = mt.group(1)
                if key.startswith("env:"):
                    value = os.environ.get(key[4:])
                    if not value:
                        raise ScenarioError(f"placeholder {{{{{key}}}}}: environment variable {key[4:]} is not set",
                                            file=self.file)
                    REDACTOR.add(value)
                    return value
                if key not in self.vars:
                    raise ScenarioError(f"unknown placeholder {{{{{key}}}}}; known: {', '.join(sorted(self.vars))}",
                                        file=self.file)
                return str(self.vars[key])
            return _PLACEHOLDER.sub(rep, value)
        if isinstance(value, list):
            return [self._subst(v) for v in value]
        if isinstance(value, dict):
            return {k: self._subst(v) for k, v in value.items()}
        return value

    def _api(self, method: str, path: str, where: str, **kwargs: Any) -> Any:
        resp = self.lytics.request(method, path, **kwargs)
        if resp.status_code >= 400:
            try:
                msg = resp.json().get("message")
            except ValueError:
                msg = resp.text[:300]
            raise ScenarioError(f"Lytics refused it (HTTP {resp.status_code}): {REDACTOR(msg)}", file=self.file,
                                path=where)
        return resp.json().get("data") if resp.content else None

    def _setup(self) -> None:
        ly = self.sc.lytics
        for i, f in enumerate(ly.fields):
            self._api("POST", "/v2/schema/user/field", f"lytics.fields[{i}]", json=f.model_dump(exclude_none=True))
        for i, mp in enumerate(ly.mappings):
            self._api("POST", "/v2/schema/user/mapping", f"lytics.mappings[{i}]", json=mp.model_dump(exclude_none=True))
        if ly.fields or ly.mappings:
            self._api("POST", "/v2/schema/user/publish", "lytics", json={"tag": self.sc.name})
        for i, q in enumerate(ly.queries):
            self._api("POST", "/api/query", f"lytics.queries[{i}]", data=q.encode(),
                      headers={"Content-Type": "text/plain"})
        for i, s in enumerate(ly.segments):
            body = {"segment_ql": s.ql, "name": s.name, "slug_name": s.slug, "description": s.description}
            seg = self._api("POST", "/api/segment", f"lytics.segments[{i}].ql",
                            json={k: v for k, v in body.items() if v is not None})
            self.ids["segment"][seg["slug_name"]] = seg["id"]
        for i, t in enumerate(ly.templates):
            params = {"name": t.name, "type": t.type, **({"description": t.description} if t.description else {})}
            tpl = self._api("POST", "/v2/template", f"lytics.templates[{i}].source", params=params,
                            data=t.source.encode(), headers={"Content-Type": "text/plain"})
            self.ids["template"][t.name] = tpl["id"]
        for i, a in enumerate(ly.auths):
            body = {"label": a.label, "description": a.description, "config": self._subst(a.config)}
            auth = self._api("POST", f"/v2/auth/{a.type}", f"lytics.auths[{i}]", json=body)
            self.ids["auth"][a.label] = auth["id"]

    def _resolve(self, kind: str, ref: str, where: str) -> str:
        table = self.ids[kind]
        if ref in table:
            return table[ref]
        if ref in table.values():
            return ref
        raise ScenarioError(f"unknown {kind} {ref!r}; defined: {', '.join(sorted(table)) or 'none'}",
                            file=self.file, path=where)

    def _job_body(self, i: int, job: m.Job, changes: dict[str, Any] | None = None) -> dict[str, Any]:
        where = f"lytics.jobs[{i}]"
        cfg = self._subst({**job.config, **(changes or {})})
        if "segment_ids" in cfg:
            cfg["segment_ids"] = [self._resolve("segment", s, f"{where}.config.segment_ids")
                                  for s in cfg["segment_ids"]]
        if cfg.get("template_id"):
            cfg["template_id"] = self._resolve("template", cfg["template_id"], f"{where}.config.template_id")
        return {"name": job.name, "description": job.description, "workflow": job.workflow,
                "auth_ids": [self._resolve("auth", a, f"{where}.auths") for a in job.auths], "config": cfg}

    def _create_job(self, i: int, job: m.Job) -> None:
        params = {} if job.run_job else {"run_job": "false"}
        created = self._api("POST", f"/v2/job/{job.workflow}", f"lytics.jobs[{i}]", json=self._job_body(i, job),
                            params=params)
        self.ids["job"][job.name] = created["id"]

    def _update_job(self, u: m.UpdateJob, where: str) -> None:
        job_id = self._resolve("job", u.job, f"{where}.job")
        i, job = next((i, j) for i, j in enumerate(self.sc.lytics.jobs) if self.ids["job"].get(j.name) == job_id)
        self._api("PUT", f"/v2/job/{job.workflow}/{job_id}", where, json=self._job_body(i, job, u.config))

    def _collect_rate(self, c: m.CollectRate, where: str) -> None:
        """Users arrive in small batches on a schedule, like real-time traffic, not as one bulk upload."""
        spec = m.Generate(count=c.count, **c.generate.model_dump())
        seed = self.sc.seed + 1 + self._generated  # a fresh crowd per step, still repeatable
        batch_size = max(1, min(200, int(c.per_s / 20)))  # ~20 batches a second at most
        started = time.monotonic()
        batch: list[dict[str, Any]] = []
        sent = 0
        for p in generate(spec, seed, offset=self._generated):
            batch.append(p)
            if len(batch) >= batch_size:
                sent = self._send_batch(c.stream, batch, where, sent, started, c.per_s)
                batch = []
        if batch:
            self._send_batch(c.stream, batch, where, sent, started, c.per_s)
        self._generated += c.count

    def _send_batch(self, stream: str, batch: list[dict[str, Any]], where: str, sent: int, started: float,
                    per_s: float) -> int:
        due = started + sent / per_s
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # pacing the scenario's own traffic, not waiting for a condition
        self._api("POST", f"/collect/json/{stream}", where, json=batch)
        return sent + len(batch)

    # -- steps ----------------------------------------------------------------------------------------------
    def _step(self, step: m.Step, where: str) -> None:
        action = step.action
        if action == "create_profiles":
            self._collect_profiles()
        elif action == "collect":
            c = step.collect or {}
            events = c.get("events")
            if not isinstance(events, list) or not isinstance(c.get("stream"), str):
                raise ScenarioError("collect takes {stream: str, events: [..]}", file=self.file, path=where)
            self._api("POST", f"/collect/json/{c['stream']}", where, json=events)
        elif action == "collect_rate":
            assert step.collect_rate is not None
            self._collect_rate(step.collect_rate, where)
        elif action == "update_job":
            assert step.update_job is not None
            self._update_job(step.update_job, where)
        elif action == "create_jobs":
            names = [j.name for j in self.sc.lytics.jobs] if step.create_jobs == "all" else step.create_jobs
            for i, job in enumerate(self.sc.lytics.jobs):
                if job.name in (names or []):
                    self._create_job(i, job)
        elif action in ("pause_job", "resume_job", "kill_job", "bounce_job"):
            ref = step.pause_job or step.resume_job or step.kill_job or step.bounce_job or ""
            job_id = self._resolve("job", ref, where)
            job = self._api("POST", f"/v2/job/{job_id}/{action.split('_')[0]}", where)
            if isinstance(job, dict) and job.get("status") == "pausing":
                self._await_ack(job_id, where)
        elif action in ("ansira_behaviour", "lytics_faults", "revoke_tokens"):
            try:
                if action == "ansira_behaviour":
                    self.ansira_admin.patch_behaviour(step.ansira_behaviour or {})
                elif action == "lytics_faults":
                    self.lytics_admin.set_faults(step.lytics_faults or {})
                else:
                    self.ansira_admin.revoke_tokens(None if step.revoke_tokens == "all" else step.revoke_tokens)
            except RemoteError as exc:
                raise ScenarioError(f"{action} refused: {exc}", file=self.file, path=where) from None
        elif action == "wait_until":
            assert step.wait_until is not None
            (self.waiter or self._wait)(step.wait_until, where)
        elif action == "sleep_s":
            time.sleep(float(step.sleep_s or 0))  # a scenario's own timed step, not a readiness wait

    def _collect_profiles(self) -> None:
        spec = self.sc.profiles
        batch: list[dict[str, Any]] = []
        for p in all_profiles(spec, self.sc.seed):
            batch.append(p)
            if len(batch) >= spec.batch_size:
                self._api("POST", f"/collect/json/{spec.stream}", "profiles", json=batch)
                batch = []
        if batch:
            self._api("POST", f"/collect/json/{spec.stream}", "profiles", json=batch)

    @property
    def lytics_admin(self) -> LyticsAdmin:
        return LyticsAdmin(self.lytics)

    @property
    def ansira_admin(self) -> AnsiraAdmin:
        return AnsiraAdmin(self.ansira)

    def _last_seq(self) -> int:
        return self.lytics_admin.last_seq()

    def _segment_size(self, slug: str) -> int:
        return self.lytics_admin.audience_size(self.ids["segment"].get(slug, slug))

    def _wait(self, w: m.WaitUntil, where: str) -> None:
        runner = self.stack.runner
        deadline = time.monotonic() + w.timeout_s
        stable = 0
        while True:
            done = True
            if w.idle and runner is not None:
                done = runner.caught_up_to(self._last_seq()) and runner.idle()
            elif w.caught_up and runner is not None:
                done = runner.caught_up_to(self._last_seq())
            if done and w.audience_empty:
                done = self._segment_size(w.audience_empty) == 0
            if done and w.job_status:
                done = self._job_status() == {**self._job_status(), **w.job_status}
            if done and w.enriched_min is not None:
                done = runner is not None and sum(
                    log_.counters.get("enriched", 0) for log_ in list(runner.outcomes.values())) >= w.enriched_min
            stable = stable + 1 if done else 0
            if stable >= 3:
                return
            if time.monotonic() > deadline:
                raise _Timeout(f"{where}: condition not reached within {w.timeout_s:g}s "
                               f"(idle={w.idle}, audience_empty={w.audience_empty})")
            time.sleep(0.02)

    def _await_ack(self, job_id: str, where: str) -> None:
        """Pause/kill are done when Lytics says so: `pausing` ends once the runner has no request in flight."""
        bound = self.stack.runner_options.request_timeout_s + 10.0  # the runner waits out one request at most
        deadline = time.monotonic() + bound
        while self._api("GET", f"/v2/job/{job_id}", where).get("status") == "pausing":
            if time.monotonic() > deadline:
                raise _Timeout(f"{where}: the job was still pausing after {bound:g}s (no runner acknowledgement)")
            time.sleep(0.01)

    def _job_status(self) -> dict[str, str]:
        runner = self.stack.runner
        if runner is None:
            return {}
        names = {v: k for k, v in self.ids["job"].items()}
        return {names.get(job_id, job_id): job.status for job_id, job in runner.jobs.items()}

    # -- results --------------------------------------------------------------------------------------------
    def _state(self, duration: float) -> RunState:
        runner = self.stack.runner
        outcomes: list[dict[str, Any]] = []
        requests_log: dict[str, dict[str, Any]] = {}
        counters: Counter[str] = Counter()
        merged: dict[str, Any] = {"users": 0, "enriched": 0, "omitted": 0, "pending": 0, "omitted_reasons": {},
                                  "latency_ms": {}}
        if runner is not None:
            for log_ in runner.outcomes.values():
                outcomes.extend(log_.snapshot())
                requests_log.update((r["request_id"], r) for r in log_.requests_snapshot())
                counters.update(log_.counters)
            counters["writeback_failures"] = sum(j.writeback.failures for j in runner.jobs.values())
            if len(runner.outcomes) == 1:
                merged = next(iter(runner.outcomes.values())).summary()
            else:
                for log_ in runner.outcomes.values():
                    s = log_.summary()
                    for k in ("users", "enriched", "omitted", "pending"):
                        merged[k] += s[k]
                    for r, n in s["omitted_reasons"].items():
                        merged["omitted_reasons"][r] = merged["omitted_reasons"].get(r, 0) + n
        ansira = self.ansira_admin
        try:
            summary = ansira.journal_summary()
        except RemoteError as exc:
            log.info("no journal summary from mock Ansira: %s", exc)
            summary = {}
        try:
            ansira_users = ansira.users()
        except RemoteError as exc:
            log.info("no user list from mock Ansira: %s", exc)
            ansira_users = []
        return RunState(
            profiles=list(self.lytics_admin.profiles()),
            segment_sizes={slug: self._segment_size(slug) for slug in self.ids["segment"]},
            journal=ansira.journal(), journal_summary=summary,
            outcomes=outcomes, outcome_summary=merged, duration_s=duration,
            runner_errors=list(runner.errors) if runner else [], job_status=self._job_status(),
            max_workers=max((j.spec.worker_count for j in runner.jobs.values()), default=1) if runner else 1,
            ansira_users=ansira_users, scenario=self.sc,
            source_codes=list(self.stack.behaviour.get("source_codes") or []), runner_requests=requests_log,
            runner_counters=dict(counters))


@dataclass
class _Detached:
    """What the engine reads of a Stack when it drives one started elsewhere: no runner in this process."""

    runner_options: RunnerOptions
    runner: None = None
    behaviour: dict[str, Any] = field(default_factory=dict)


class _Timeout(ConfigError):
    """A wait_until step ran out of time: reported as a failed run, not a bad scenario."""


def run_file(path: str | Path, *, progress: Callable[[str], None] | None = None) -> ScenarioResult:
    return ScenarioRun(load(path), file=str(path), progress=progress).execute()
