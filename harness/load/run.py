"""One load run: mocks and runner as processes, the scenario's set-up and steps, locust, drain, read-back, verdict.

Timeline: steps up to `start_after_step` (default: the last `create_jobs`) -> locust starts and the remaining
steps run alongside it -> locust ends -> wait until drained (`drain_timeout_s`) -> read the mocks -> stop the
runner (it writes its outcome log) -> stop the mocks -> metrics, thresholds.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from enrich_templates.goruntime import tuned_env
from harness.errors import HarnessError, RemoteError
from harness.http import ServiceSession, lytics_session
from harness.load.driver import RemoteDriver, StepTimeout
from harness.load.metrics import Raw, ansira_limit, compute
from harness.load.procs import Child, Processes, wait_ready_file
from harness.load.shape import ArrivalPlan
from harness.load.spec import LoadSpec, with_backfill
from harness.load.thresholds import Verdict, evaluate
from harness.pictures import load_charts
from harness.ready import AnsiraEndpoint, LyticsEndpoint, ReadyInfo
from harness.redact import REDACTOR
from harness.runner import RunnerOptions
from harness.scenario import model as m
from harness.service import write_ready

log = logging.getLogger("harness.load")
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
KEY_ENV, ADMIN_ENV = "ENRICHSIM_LYTICS_API_KEY", "ENRICHSIM_ADMIN_KEY"


@dataclass
class LoadOptions:
    out: Path | None = None  # keep every artefact here (default: a temporary folder, removed afterwards)
    workers: int = 0  # local locust worker processes (0 = one local locust process)
    remote_workers: int = 0  # extra workers the master waits for (started by hand, docs/load-testing.md)
    host: str = "127.0.0.1"  # where the mocks listen (remote workers need a reachable address)
    api_key_env: str | None = None  # use this Lytics API key (remote workers must send the same one)
    progress: Any = None


@dataclass
class LoadResult:
    name: str
    file: str | None
    metrics: dict[str, float | None] = field(default_factory=dict)
    thresholds: list[Verdict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    locust: dict[str, Any] | None = None
    artefacts: dict[str, str] = field(default_factory=dict)
    timeline: dict[str, float] = field(default_factory=dict)
    charts: dict[str, Any] | None = field(default=None, repr=False)  # series for report.html (harness.pictures)

    @property
    def ok(self) -> bool:
        return not self.errors and all(t.ok for t in self.thresholds)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "ok": self.ok, "errors": self.errors,
                "thresholds": [t.to_dict() for t in self.thresholds], "metrics": self.metrics,
                "locust": self.locust, "artefacts": self.artefacts, "timeline": self.timeline}


class LoadRun:
    def __init__(self, sc: m.Scenario, spec: LoadSpec, *, file: str | None = None,
                 options: LoadOptions | None = None) -> None:
        self.sc = with_backfill(sc, spec)
        self.spec = spec
        self.file = file
        self.opts = options or LoadOptions()
        self.progress = self.opts.progress or (lambda _msg: None)
        self._cpu_at_job_start: dict[str, float | None] = {}

    # -- entry point ----------------------------------------------------------------------------------------
    def execute(self) -> LoadResult:
        result = LoadResult(self.sc.name, self.file)
        if self.opts.out is not None:
            self.opts.out.mkdir(parents=True, exist_ok=True)
            return self._run(self.opts.out, result)
        with tempfile.TemporaryDirectory(prefix="enrichsim-load-") as tmp:
            return self._run(Path(tmp), result)

    def _run(self, work: Path, result: LoadResult) -> LoadResult:
        api_key = os.environ.get(self.opts.api_key_env, "") if self.opts.api_key_env else ""
        if self.opts.api_key_env and not api_key:
            raise HarnessError(f"--api-key-env: environment variable {self.opts.api_key_env} is not set or empty")
        api_key = api_key or "lk_" + secrets.token_urlsafe(24)
        admin_key = "adm_" + secrets.token_urlsafe(16)
        REDACTOR.add(api_key, admin_key)
        users = max(1, self._expected_users())
        env = tuned_env({**os.environ, KEY_ENV: api_key, ADMIN_ENV: admin_key,
                         "MOCK_LYTICS_FEED_CAPACITY": str(max(200_000, 4 * users)),
                         "MOCK_ANSIRA_JOURNAL_CAPACITY": str(max(100_000, 3 * users))})
        procs = Processes(work, env)
        try:
            return self._run_in(procs, work, result, api_key, admin_key)
        finally:
            procs.close()

    def _run_in(self, procs: Processes, work: Path, result: LoadResult, api_key: str, admin_key: str) -> LoadResult:
        self.progress("starting mock Ansira, mock Lytics and the runner")
        behaviour = work / "ansira-behaviour.json"
        write_ready(str(behaviour), self.sc.ansira)  # 0600: a scenario may carry a client secret
        common = ["--admin-key-env", ADMIN_ENV, "--server", self.spec.server, "--host", self.opts.host,
                  "--no-console"]  # nobody watches a load run live; its report.html draws it afterwards
        ready = {name: work / f"{name}.ready.json" for name in ("ansira", "lytics", "runner")}
        ansira = procs.spawn("mock-ansira", ["-m", "harness", "mock", "ansira", "--port", "0", "--ready-file",
                                             str(ready["ansira"]), "--behaviour", str(behaviour),
                                             "--seed", str(self.sc.seed), *common])
        lytics = procs.spawn("mock-lytics", ["-m", "harness", "mock", "lytics", "--port", "0", "--ready-file",
                                             str(ready["lytics"]), "--api-key-env", KEY_ENV, *common])
        for child, name in ((ansira, "ansira"), (lytics, "lytics")):  # both start at once: two cores
            child.ready = wait_ready_file(ready[name], child, 30.0)
        behaviour.unlink()
        outcomes = work / "runner-outcomes.jsonl"
        requests_log = work / "runner-requests.jsonl"
        runner = procs.spawn("runner", ["-m", "harness", "runner", "--lytics-url", lytics.ready["url"],
                                        "--api-key-env", KEY_ENV, "--admin-key-env", ADMIN_ENV,
                                        "--outcomes", str(outcomes), "--requests", str(requests_log),
                                        "--options", json.dumps(self.sc.runner),
                                        "--ready-file", str(ready["runner"])], ready_file=ready["runner"])
        for path in ready.values():  # read; the Ansira one holds the client secret
            path.unlink(missing_ok=True)
        for child in (ansira, lytics, runner):
            child.monitor()
        info = ReadyInfo(LyticsEndpoint(lytics.ready["lytics_url"], api_key),
                         AnsiraEndpoint.from_document(ansira.ready), admin_key)
        REDACTOR.add(info.ansira.client_secret)
        ly = lytics_session(info.lytics.url, api_key, admin_key=admin_key, pool_size=4)
        an = ServiceSession(info.ansira.url, headers={"X-Admin-Key": admin_key}, pool_size=2)
        driver = RemoteDriver(self.sc, file=self.file, vars=info.as_vars(), lytics=ly, ansira=an,
                              audience=self._audience(),
                              runner_options=RunnerOptions(**self.sc.runner))  # what the runner process was given
        try:
            raw = self._drive(driver, procs, work, result, api_key)
        finally:
            ly.close()
            an.close()
        self.progress("stopping the runner")
        runner.stop(timeout=30)
        raw.outcomes = _outcomes(outcomes)
        raw.runner_requests = _outcomes(requests_log)
        raw.runner_counters = _runner_counters(runner)
        raw.runner_peak_rss = runner.peak_rss
        for child in procs.children:  # CPU spent from the job's start on: the enrichment work, not the set-up
            key = child.name.removeprefix("mock-").split("-")[0]
            if child.cpu_s is not None:
                spent = child.cpu_s - (self._cpu_at_job_start.get(child.name) or 0.0)
                raw.process_cpu_s[key] = (raw.process_cpu_s.get(key) or 0.0) + spent
        result.metrics = compute(raw)
        result.thresholds = [evaluate(t, result.metrics) for t in self.spec.parsed_thresholds]
        result.timeline = {"job_start_ts": raw.job_start_ts, "load_start_ts": raw.load_start_ts,
                           "load_end_ts": raw.load_end_ts, "drained_ts": raw.drained_ts or 0.0}
        result.charts = load_charts.build(raw, work, start_rate=self.spec.start_rate,
                                          stages=[(s.duration_s, s.rate) for s in self.spec.plan_stages])
        if self.opts.out is not None:
            result.artefacts = {p.name: str(p) for p in sorted(work.iterdir())}
        return result

    # -- the run --------------------------------------------------------------------------------------------
    def _drive(self, d: RemoteDriver, procs: Processes, work: Path, result: LoadResult, api_key: str) -> Raw:
        self.progress("configuring Lytics")
        d.setup()
        steps = self.sc.steps
        start_after = self._start_after()
        job_start = job_seq = None
        backfill = 0
        locust: list[Child] = []
        load_start = load_end = time.time()
        try:
            for i, step in enumerate(steps):
                if step.action == "create_jobs" and job_start is None:
                    backfill, job_seq = self._mark_job_start(d, procs)
                    job_start = time.time()
                self.progress(f"step {i + 1}/{len(steps)}: {step.action}")
                d.step(i, step)
                if i == start_after:
                    load_start = time.time()
                    locust = self._start_locust(procs, work, d.vars["lytics_url"], api_key)
            if start_after == len(steps):
                load_start = time.time()
                locust = self._start_locust(procs, work, d.vars["lytics_url"], api_key)
            if job_start is None:
                backfill, job_seq = self._mark_job_start(d, procs)
                job_start = load_start
            self._wait_locust(locust, result)
        except StepTimeout as exc:
            result.errors.append(str(exc))
            self._wait_locust(locust, result)
        load_end = (locust[0].exited_at or time.time()) if locust else load_start  # steps may outlast locust
        drained_at: float | None = None
        self.progress("draining: waiting until every user is enriched or omitted")
        try:
            d.wait_for(d.drained, self.spec.drain_timeout_s, "drain after the load phase")
            drained_at = time.time()
        except StepTimeout as exc:
            result.errors.append(f"{exc} (users still waiting are counted as pending or lost)")
        self.progress("reading back journals and profiles")
        journal, summary = d.ansira_admin.journal(page=50_000), d.ansira_admin.journal_summary()
        summary_file = work / "locust_summary.json"
        result.locust = json.loads(summary_file.read_text()) if summary_file.exists() else None
        if locust and result.locust is None:
            result.errors.append("locust wrote no summary:\n" + locust[0].log_tail())
        return Raw(
            job_start_ts=load_start if job_start is None else job_start,  # no job step ran before a timeout
            load_start_ts=load_start, load_end_ts=load_end, drained_ts=drained_at,
            backfill_users=backfill,
            field_times=d.lytics_admin.field_times([self.spec.enrichment_field]),
            enters=d.lytics_admin.enter_events(d.audience_id(), job_seq or 0) if locust else [],
            members_at_end=d.lytics_admin.members(d.audience_id()),
            journal=journal, journal_summary=summary, outcomes=[], runner_counters={}, locust=result.locust,
            enrichment_field=self.spec.enrichment_field, ansira_limit=ansira_limit(self.sc.ansira),
            max_workers=self._max_workers(), target_rate=self._target_rate())

    def _mark_job_start(self, d: RemoteDriver, procs: Processes) -> tuple[int, int]:
        """What the job starts from: the audience to backfill, the feed position, and each process's CPU so far
        (CPU figures count the enrichment work, not the set-up)."""
        backfill, seq = d.lytics_admin.audience_size(d.audience_id()), d.lytics_admin.last_seq()
        self._cpu_at_job_start = {c.name: c.cpu_s for c in procs.children}
        return backfill, seq

    def _start_locust(self, procs: Processes, work: Path, lytics_url: str, api_key: str) -> list[Child]:
        if not self.spec.has_client_load:
            return []
        self.progress(f"locust: {self._target_rate():g} events/s for {self.spec.load_duration_s:g}s")
        config = {"stages": [[s.duration_s, s.rate] for s in self.spec.plan_stages], "start_rate": self.spec.start_rate,
                  "users": self.spec.locust_users(), "events": self.spec.events.model_dump(),
                  "seed": self.spec.seed if self.spec.seed is not None else self.sc.seed,
                  "summary_path": str(work / "locust_summary.json")}
        env = {"ENRICHSIM_LOAD_CONFIG": json.dumps(config)}
        base = ["-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", lytics_url, "--only-summary",
                "--loglevel", "WARNING", "--exit-code-on-error", "0"]
        report = ["--csv", str(work / "locust"), "--html", str(work / "locust.html")]
        n_workers = self.opts.workers + self.opts.remote_workers
        if n_workers == 0:
            children = [procs.spawn("locust", [*base, *report], extra_env=env)]
        else:
            port = _free_port()
            master = procs.spawn("locust-master", [*base, *report, "--master", "--master-bind-host", self.opts.host,
                                                   "--master-bind-port", str(port), "--expect-workers",
                                                   str(n_workers)], extra_env=env)
            children = [master] + [
                procs.spawn(f"locust-worker{i}", ["-m", "locust", "-f", str(LOCUSTFILE), "--worker", "--master-host",
                                                  "127.0.0.1", "--master-port", str(port), "--loglevel", "WARNING"],
                            extra_env=env) for i in range(self.opts.workers)]
            if self.opts.remote_workers:
                print(f"locust master waiting for {self.opts.remote_workers} remote worker(s) on "
                      f"{self.opts.host}:{port}: see docs/load-testing.md", file=sys.stderr, flush=True)
        for c in children:
            c.monitor()
        return children

    def _wait_locust(self, locust: list[Child], result: LoadResult) -> None:
        if not locust:
            return
        budget = self.spec.load_duration_s + 60.0 + (600.0 if self.opts.remote_workers else 0.0)
        code = locust[0].wait(budget)
        for c in locust[1:]:
            c.wait(10)
        if code is None:
            result.errors.append(f"locust did not finish within {budget:g}s; stopped")
            locust[0].stop()

    # -- scenario facts -------------------------------------------------------------------------------------
    def _start_after(self) -> int:
        if self.spec.start_after_step is not None:
            return self.spec.start_after_step
        jobs = [i for i, s in enumerate(self.sc.steps) if s.action == "create_jobs"]
        return jobs[-1] if jobs else len(self.sc.steps)

    def _audience(self) -> str:
        if self.spec.audience:
            return self.spec.audience
        for job in self.sc.lytics.jobs:
            segs = job.config.get("segment_ids") or []
            if segs:
                return str(segs[0])
        raise HarnessError("load.audience: no job names a segment; say which audience the load feeds")

    def _max_workers(self) -> int:
        return max((int(j.config.get("worker_count") or 5) for j in self.sc.lytics.jobs), default=5)

    def _target_rate(self) -> float:
        """The plan's mean rate in events/s (for a constant rate, that rate)."""
        if not self.spec.has_client_load:
            return 0.0
        plan = ArrivalPlan([(s.duration_s, s.rate) for s in self.spec.plan_stages], self.spec.start_rate)
        return round(plan.total_arrivals / plan.duration_s, 3)

    def _expected_users(self) -> int:
        gen = self.sc.profiles.generate.count if self.sc.profiles.generate else 0
        load = self._target_rate() * self.spec.load_duration_s
        return int(gen + len(self.sc.profiles.explicit) + load)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _outcomes(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _runner_counters(runner: Child) -> dict[str, float]:
    """The runner prints its summary as one JSON line when it stops: sum the counters over its jobs."""
    try:
        lines = runner.log_path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    for line in reversed(lines):
        if line.startswith("{"):
            try:
                summary = json.loads(line)
            except ValueError:
                continue
            total: dict[str, float] = {}
            for job in summary.values():
                for k, v in (job.get("counters") or {}).items():
                    total[k] = total.get(k, 0) + v
            return total
    raise RemoteError("the runner printed no summary when it stopped:\n" + runner.log_tail())
