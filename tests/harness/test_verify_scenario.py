"""A behaviour file written by `harness verify ansira --write-behaviour` changes what a scenario sees: a sandbox that
answers 422 (not 400) to a bad body turns one call per user into retries, as Lytics retries a 422."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.cli import main
from harness.scenario import engine
from harness.servers import ServerThread
from mock_ansira import create_app

CLIENT_ID, SECRET, SOURCE = "scn-client", "scn-secret-Vb61kLq2", "SCN_SRC"


def test_a_scenario_runs_against_the_written_sandbox_behaviour(scenario_file: Callable[[str], Path],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    standin = ServerThread(create_app({"BEHAVIOUR": {
        "clients": [{"client_id": CLIENT_ID, "client_secret": SECRET}], "source_codes": [SOURCE],
        "error_status": {"create_user:invalid_request": 422}}})).start(ready_path="/__admin/health")
    monkeypatch.setenv("SCN_CID", CLIENT_ID)
    monkeypatch.setenv("SCN_SECRET", SECRET)
    f = scenario_file("""a.base { name: 'sandbox_422', ansira+: import 'sandbox.json',
      lytics+: { templates: [a.template('NOT_A_SOURCE_CODE')] },
      profiles+: { generate: { count: 5 } },
      runner+: { max_attempts_per_user: 3, backoff_base_s: 0.01, backoff_cap_s: 0.02, job_backoff_s: 0.05 },
      steps: [{ create_profiles: 'all' }, { create_jobs: 'all' }, { wait_until: { idle: true, timeout_s: 60 } }],
      checks: [{ kind: 'ansira_calls', total: { equals: 15 }, status: { '422': { equals: 15 } } },
               { kind: 'outcomes', omitted: { equals: 5 },
                 omitted_reasons: { 'retries exhausted after 3 attempts': { equals: 5 } } }] }""")
    try:
        code = main(["verify", "ansira", "--url", standin.url, "--client-id-env", "SCN_CID", "--client-secret-env",
                     "SCN_SECRET", "--source-code", SOURCE, "--write-behaviour", str(f.parent / "sandbox.json")])
    finally:
        standin.stop()
    assert code == 1
    assert json.loads((f.parent / "sandbox.json").read_text())["error_status"] == {"create_user:invalid_request": 422}
    result = engine.run_file(f)
    assert result.ok, [c.to_dict() for c in result.checks if not c.ok]
