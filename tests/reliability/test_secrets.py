"""No secret in any output of a full run: logs (root at DEBUG, urllib3 and werkzeug included), reports (text,
JSON, JUnit), journals, job logs, outcomes and exception text. Secrets are the Ansira client secret, the Lytics
API key, the admin key and every token mock Ansira issued during the run (recorded as they are issued).
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import harness.scenario.engine as engine_mod
import harness.stack as stack_mod
import mock_ansira.tokens as tokens_mod
from harness.errors import ScenarioError
from harness.scenario import report
from harness.scenario.state import RunState

ROOT = Path(__file__).resolve().parents[2]

SCENARIO = """a.base {
  name: 'secrets',
  description: 'every error path at once: 5xx, hangs, resets, corrupt bodies, 400s, revoked tokens, token outage',
  ansira+: { latency: { kind: 'fixed', ms: 5 }, faults: [
    { kind: 'status', status: 503, operation: 'create_user', probability: 0.08 },
    { kind: 'timeout', operation: 'create_user', hang_s: 0.6, probability: 0.03 },
    { kind: 'connection_reset', operation: 'create_user', probability: 0.03 },
    { kind: 'malformed_json', operation: 'create_user', probability: 0.03 },
    { kind: 'status', status: 400, operation: 'create_user', probability: 0.03 },
  ] },
  runner: { request_timeout_s: 0.3, backoff_base_s: 0.02, backoff_cap_s: 0.3 },
  profiles+: { generate: { count: 120 } },
  steps: [{ create_profiles: 'all' }, { create_jobs: 'all' },
          { wait_until: { idle: false, enriched_min: 30, timeout_s: 60 } },
          { ansira_behaviour: { faults: [{ kind: 'outage', operation: 'token', duration_s: 0.5 }] } },
          { revoke_tokens: 'all' },
          { lytics_faults: { collect: { status: 503, count: 3, stream: 'ansira' } } },
          { wait_until: { idle: true, timeout_s: 60 } }],
  // Two checks that fail on purpose, so failure reasons and details reach every report.
  checks: [a.checks.all_enriched, { kind: 'token_fetches', count: { equals: 1 } },
           { kind: 'accounted' }, { kind: 'no_call_after_enriched' }],
}"""


CLI_SCENARIO = """local a = import 'lib/ansira.libsonnet';
a.base { name: 'cli', ansira+: { clients: [{ client_id: 'lytics-sim', client_secret: 'SECRET' }] },
  profiles+: { generate: { count: 20 } },
  steps: [{ create_profiles: 'all' }, { create_jobs: 'all' }, { wait_until: { idle: true } },
          { revoke_tokens: 'all' }, { collect_rate: { count: 20, per_s: 200 } }, { wait_until: { idle: true } }],
  checks: [a.checks.all_enriched, { kind: 'token_fetches', count: { equals: 1 } }] }"""


class Capture:
    """Everything a run emits, by where it went."""

    def __init__(self) -> None:
        self.artifacts: dict[str, str] = {}
        self.log = io.StringIO()  # every log record, raw: the handler has no redacting filter of its own
        self.tokens: list[str] = []
        self.stacks: list[stack_mod.Stack] = []

    def add(self, name: str, value: Any) -> None:
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        self.artifacts[name] = self.artifacts.get(name, "") + text + "\n"

    def secrets(self) -> dict[str, str]:
        stack = self.stacks[0]
        found = {"client secret": stack.client["client_secret"], "Lytics API key": stack.api_key,
                 "admin key": stack.admin_key}
        found.update({f"token #{i + 1}": t for i, t in enumerate(self.tokens)})
        return found

    def leaks(self) -> list[str]:
        outputs = {**self.artifacts, "log records": self.log.getvalue()}
        return [f"{what} found in {where}" for what, value in self.secrets().items()
                for where, text in outputs.items() if value in text]


@pytest.fixture
def capture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Capture]:
    cap = Capture()
    issue = tokens_mod.TokenStore.issue

    def record_issue(self: tokens_mod.TokenStore, *args: Any, **kwargs: Any) -> str:
        token = issue(self, *args, **kwargs)
        cap.tokens.append(token)
        return token

    post_init = stack_mod.Stack.__post_init__

    def record_stack(self: stack_mod.Stack) -> None:
        post_init(self)
        cap.stacks.append(self)

    state = engine_mod.ScenarioRun._state

    def record_state(self: engine_mod.ScenarioRun, duration: float) -> RunState:
        st = state(self, duration)
        cap.add("journal dump", st.journal)
        cap.add("outcomes", st.outcomes)
        cap.add("runner errors", st.runner_errors)
        for path in ("/v2/auth", "/v2/job", "/__admin/state", "/api/schema/_streams"):
            cap.add(f"mock Lytics {path}", self.lytics.get(path).text)
        for job_id in self.ids["job"].values():
            cap.add("job logs", self.lytics.get(f"/v2/job/{job_id}/logs", params={"limit": 1000}).text)
        for path in ("/__admin/behaviour", "/__admin/journal/summary", "/__admin/health"):
            cap.add(f"mock Ansira {path}", self.ansira.get(path).text)
        return st

    monkeypatch.setattr(tokens_mod.TokenStore, "issue", record_issue)
    monkeypatch.setattr(stack_mod.Stack, "__post_init__", record_stack)
    monkeypatch.setattr(engine_mod.ScenarioRun, "_state", record_state)
    handler = logging.StreamHandler(cap.log)  # like pytest's log capture: no redacting filter of its own
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield cap
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_a_full_run_with_every_error_path_leaks_no_secret(capture: Capture,
                                                          scenario_file: Callable[[str], Path]) -> None:
    result = engine_mod.run_file(scenario_file(SCENARIO))
    capture.add("result", result.to_dict())
    out = io.StringIO()
    report.text([result], out)
    capture.add("text report", out.getvalue())
    capture.add("JSON report", report.as_json([result]))
    capture.add("JUnit report", report.junit([result]))
    capture.add("stack repr", repr(capture.stacks[0]))

    journal = json.loads(capture.artifacts["journal dump"])
    statuses = {e["status"] for e in journal}
    assert {401, 503, 0, 200}.issubset(statuses), f"the run must exercise the error paths; saw {statuses}"
    assert len(capture.tokens) >= 2, "the revocation must have made the runner fetch a second token"
    summary = json.loads(capture.artifacts["mock Ansira /__admin/journal/summary"])
    assert summary["tokens_issued"] == len(capture.tokens), "every token the backend issued was recorded"
    assert not result.ok and result.error is None, "two checks fail on purpose so their details are reported"
    assert not capture.leaks(), capture.leaks()
    request_lines = [line for line in capture.log.getvalue().splitlines() if line.startswith("harness.http")]
    assert any("access_token=***" in line for line in request_lines), "the runner's request lines must be captured"


def test_log_records_reach_the_grep(capture: Capture) -> None:
    """Guards the test above: a secret logged raw by any library is found."""
    logging.getLogger("somelib").debug("GET /x?access_token=%s", "tok-" + "z" * 40)
    capture.stacks.append(stack_mod.Stack())
    capture.tokens.append("tok-" + "z" * 40)
    assert capture.leaks() == ["token #1 found in log records"]


def test_request_lines_are_redacted_at_the_source(caplog: pytest.LogCaptureFixture) -> None:
    """urllib3 (ServiceSession) logs each request line with its query string, and so does the runner's PoolSession
    at DEBUG; both must mask the token before any handler sees it."""
    from harness.http import ServiceSession, webhook_session
    from harness.servers import ServerThread
    from mock_ansira import create_app

    token = "T0k3n" + "x" * 38
    with (ServerThread(create_app()) as srv, caplog.at_level(logging.DEBUG), webhook_session() as fast,
          ServiceSession(srv.url) as slow):
        fast.post(srv.url + "/service/api/v2/user", params={"access_token": token}, json={})
        slow.post("/service/api/v2/user", params={"access_token": token}, json={})
    for logger in ("urllib3", "harness.http"):
        lines = [r.getMessage() for r in caplog.records if r.name.startswith(logger)]
        assert any("/service/api/v2/user?access_token=***" in line for line in lines), (logger, lines)
    assert not any(token in r.getMessage() for r in caplog.records)


def test_stack_repr_hides_a_given_client_secret() -> None:
    secret = "given-secret-" + "q" * 20
    stack = stack_mod.Stack(ansira_behaviour={"clients": [{"client_id": "c", "client_secret": secret}]})
    assert secret not in repr(stack) and stack.api_key not in repr(stack) and stack.admin_key not in repr(stack)


def test_setup_errors_do_not_echo_substituted_secrets(scenario_file: Callable[[str], Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "env-secret-" + "w" * 24
    monkeypatch.setenv("REL_TEST_SECRET", secret)
    path = scenario_file("""a.base { name: 'bad_auth', allow_no_checks: true, lytics+: { auths: [a.auth { config+: {
        token_url: 'http://example.com/token?client_secret={{env:REL_TEST_SECRET}}',
        client_secret: '{{env:REL_TEST_SECRET}}' } }] } }""")
    with pytest.raises(ScenarioError) as info:
        engine_mod.run_file(path)
    assert "token_url" in str(info.value)
    assert secret not in str(info.value) and secret not in repr(info.value)


def test_cli_run_logs_and_reports_hide_secrets(tmp_path: Path) -> None:
    """The CI view: `harness -vv run --out` as a process; stdout, stderr and every report file."""
    root = tmp_path / "scenarios"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "ansira.libsonnet").write_text((ROOT / "scenarios" / "lib" / "ansira.libsonnet").read_text())
    secret = "cli-secret-" + "k" * 24
    case = root / "cli.jsonnet"
    case.write_text(CLI_SCENARIO.replace("SECRET", secret))
    out_dir = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "harness", "-vv", "run", str(case), "--out", str(out_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    # token_fetches fails: the revocation lands after the first 20 users are enriched and before the next 20 are
    # collected, so the runner's cached token always meets a 401 and is fetched again (a second fetch, every run).
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "tokens issued: expected == 1, actual 2" in proc.stdout, proc.stdout[-2000:]
    texts = {"stdout": proc.stdout, "stderr": proc.stderr,
             **{f.name: f.read_text() for f in out_dir.iterdir()}}
    assert "urllib3.connectionpool" in proc.stderr, "-vv must show urllib3's request lines"
    for name, text in texts.items():
        assert secret not in text, f"client secret in {name}"
        for line in text.splitlines():
            if "access_token=" in line:
                assert "access_token=***" in line and "access_token=" not in line.replace("access_token=***", ""), \
                    f"{name}: {line}"
