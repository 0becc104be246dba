"""Pause and kill as Lytics documents them: once the job shows `paused` (or `failed` after a kill), no Ansira call
happens — not for a user still in flight, and not for one who enters the audience afterwards."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.scenario import engine
from harness.scenario import model as m

LATE = "late.entrant@example.com"
SCENARIO = """a.base { name: 'pause_window',
  ansira+: { latency: { kind: 'fixed', ms: 30 } },
  lytics+: { jobs: [a.job(workers=5)] },
  profiles+: { generate: { count: 60 } },
  steps: [{ create_profiles: 'all' }, { create_jobs: 'all' },
          { wait_until: { idle: false, enriched_min: 10, timeout_s: 60 } },
          { %(action)s: 'ansira_enrichment' },
          { collect: { stream: 'web', events: [{ email: '%(late)s', user_id: 'late-1' }] } },
          { wait_until: { idle: false, caught_up: true, timeout_s: 30 } }] + %(after)s,
  checks: [], allow_no_checks: true }"""
AFTER = {"pause_job": "[{ resume_job: 'ansira_enrichment' }, "
                      "{ wait_until: { idle: true, audience_empty: 'ansira_enrichment_source', timeout_s: 60 } }]",
         "kill_job": "[]"}


class Recording(engine.ScenarioRun):
    """Notes when the pause/kill step returned (Lytics showed the acknowledged status) and when resume was sent."""

    marks: dict[str, float]
    lytics_status: str = ""
    journal: list[dict[str, Any]]

    def _step(self, step: m.Step, where: str) -> None:
        if step.action == "resume_job":
            self.marks["resume_sent"] = time.time()
        super()._step(step, where)
        if step.action in ("pause_job", "kill_job"):
            self.marks["acknowledged"] = time.time()
            job_id = self.ids["job"]["ansira_enrichment"]
            self.lytics_status = self._api("GET", f"/v2/job/{job_id}", where)["status"]

    def _state(self, duration: float) -> Any:
        state = super()._state(duration)
        self.journal = state.journal
        return state


@pytest.mark.parametrize("action", ["pause_job", "kill_job"])
def test_no_call_after_the_acknowledgement(action: str, scenario_file: Callable[[str], Path]) -> None:
    path = scenario_file(SCENARIO % {"action": action, "late": LATE, "after": AFTER[action]})
    run = Recording(engine.load(path), file=str(path))
    run.marks = {}
    result = run.execute()
    assert result.error is None, result.error
    assert run.lytics_status == ("paused" if action == "pause_job" else "failed")
    calls = [e for e in run.journal if e["operation"] == "create_user"]
    acked = run.marks["acknowledged"]
    quiet_until = run.marks.get("resume_sent", float("inf"))
    during = [(e["email"], e["ts"] - acked) for e in calls if acked <= e["ts"] < quiet_until]
    assert not during, f"Ansira calls after the {action} was acknowledged: {during}"
    assert 10 <= len(calls) < 60 or action == "pause_job"
    late = [e for e in calls if e["email"] == LATE]
    if action == "pause_job":  # queued while paused, sent after the resume, once
        assert len(late) == 1 and late[0]["ts"] >= quiet_until
    else:
        assert late == []


class Watching(engine.ScenarioRun):
    """After the wait for the runner's fault-1, reads what a Lytics client sees: GET /v2/job and the job logs."""

    seen: dict[str, Any]

    def _step(self, step: m.Step, where: str) -> None:
        super()._step(step, where)
        if step.wait_until is not None and step.wait_until.job_status:
            job_id = self.ids["job"]["ansira_enrichment"]
            deadline = time.monotonic() + 5.0  # reports go every 0.5 s
            while self._api("GET", f"/v2/job/{job_id}", where)["status"] != "fault-1" and time.monotonic() < deadline:
                time.sleep(0.02)
            self.seen = {"listed": [j["status"] for j in self._api("GET", "/v2/job", where)],
                         "logs": self._api("GET", f"/v2/job/{job_id}/logs", where)}


def test_error_backoff_is_fault_n_and_the_simulator_choices_are_in_the_job_logs(
        scenario_file: Callable[[str], Path]) -> None:
    path = scenario_file("""a.base { name: 'fault_status',
      ansira+: { faults: [{ kind: 'status', status: 500, operation: 'create_user' }] },
      runner: { job_backoff_s: 3, job_errors_before_failed: 3, backoff_base_s: 0.001, backoff_cap_s: 0.01,
                max_attempts_per_user: 7 },
      profiles+: { generate: { count: 20 } },
      steps: [{ create_profiles: 'all' }, { create_jobs: 'all' },
              { wait_until: { idle: false, job_status: { ansira_enrichment: 'fault-1' }, timeout_s: 30 } },
              { kill_job: 'ansira_enrichment' }],
      checks: [], allow_no_checks: true }""")
    run = Watching(engine.load(path), file=str(path))
    result = run.execute()
    assert result.error is None, result.error
    assert run.seen["listed"] == ["fault-1"]  # not "sleeping": a watcher can tell this from a Retry-After pause
    logs = run.seen["logs"]
    assert [e["timestamp"] for e in logs] == sorted(e["timestamp"] for e in logs)
    choices = [e["message"] for e in logs if e["code"] == "simulator_choices"]
    assert len(choices) == 1 and "no upstream source" in choices[0]
    assert "job error backoff 3, 6 s" in choices[0] and "7 attempts per user" in choices[0]
    assert "audience events acted on: enters_only" in choices[0]
    fault = next(e for e in logs if e["code"] == "job_error")
    assert "backing off 3.0s" in fault["message"]
