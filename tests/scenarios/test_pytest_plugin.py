"""The `enrichsim` pytest plugin, run as users run it: a pytest subprocess over a scenarios folder or a test file.

Subprocesses, not pytester: the inner run's servers and warnings cannot leak into this one. The runs inside the
repository load the plugin from its `pytest11` entry point, as a user's project does; the runs in a temporary
folder load only this plugin (`-p`), which skips seconds of other plugins' start-up on a busy machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 180


def pytest_run(args: list[str], cwd: Path, *, only_enrichsim: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    pre = ["-p", "no:cacheprovider"]
    if only_enrichsim:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        pre += ["-p", "harness.pytest_plugin"]
    return subprocess.run([sys.executable, "-m", "pytest", *pre, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def scenarios_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios" / "lib", root / "lib")
    for name, body in files.items():
        (root / name).write_text("local a = import 'lib/ansira.libsonnet';\n" + body, encoding="utf-8")
    return root


SMALL = "a.base { name: '%s', profiles+: { generate: { count: 12 } }, checks: %s }"


def test_each_scenario_is_a_test_and_a_failure_lists_its_checks(tmp_path: Path) -> None:
    scenarios_dir(tmp_path, {
        "good.jsonnet": SMALL % ("good", "[a.checks.all_enriched, a.checks.audience_drained]"),
        "bad.jsonnet": SMALL % ("bad", "[a.checks.all_enriched, { kind: 'audience_size', name: 'a huge audience', "
                                       "segment: 'ansira_enrichment_source', size: { min: 99 } }]"),
        "typo.jsonnet": "a.base { name: 'typo', checkz: [] }",
        "noimport.jsonnet": "local v = import 'lib/variant.libsonnet';\na.base + v { name: 'noimport' }",
    })
    (tmp_path / "scenarios" / "lib" / "ignored.jsonnet").write_text("{}")  # shared jsonnet is not a scenario
    (tmp_path / "scenarios" / "templates").mkdir()
    (tmp_path / "scenarios" / "templates" / "webhook.jsonnet").write_text("{}")  # nor is a webhook template
    (tmp_path / "test_fixtures.py").write_text(FIXTURE_TESTS, encoding="utf-8")  # one pytest run for both
    proc = pytest_run(["scenarios", "test_fixtures.py", "-v", "-W", "error"], tmp_path)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "ignored" not in out and "webhook" not in out
    assert "scenarios/good.jsonnet::good PASSED" in out
    assert "scenarios/bad.jsonnet::bad FAILED" in out and "scenarios/typo.jsonnet::typo FAILED" in out
    assert "scenario bad failed" in out and "1 of 2 checks failed" in out
    assert "[ok] every user with an email has an Ansira UUID" in out
    assert "[FAIL] a huge audience: audience ansira_enrichment_source size: expected >= 99, actual 0" in out
    assert "typo.jsonnet: invalid scenario" in out and "checkz: unknown key" in out
    assert "scenarios/noimport.jsonnet::noimport FAILED" in out  # a bad scenario is its message, no traceback
    assert ("noimport.jsonnet:2:11: import 'lib/variant.libsonnet': no such file" in out
            and "did you mean 'lib/variants.libsonnet'?" in out)
    assert "Traceback" not in out and "UnicodeDecodeError" not in out
    # the fixtures give working mocks, reset for each test, and a fresh stack per test (FIXTURE_TESTS)
    for name in ("test_first_uses_the_mocks", "test_second_sees_reset_mocks", "test_third_gets_a_fresh_stack"):
        assert f"test_fixtures.py::{name} PASSED" in out
    assert "3 failed, 4 passed" in out


def test_pytest_scenarios_in_the_repo_runs_them_through_the_entry_point() -> None:
    proc = pytest_run(["scenarios/", "-m", "scenario", "-k", "wrong_secret or unknown_source_code", "-vv"], ROOT,
                      only_enrichsim=False)  # -vv: one -v cancels the repo's addopts -q
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "scenarios/wrong_secret.jsonnet::wrong_secret PASSED" in proc.stdout
    found = re.search(r"2 passed, (\d+) deselected", proc.stdout)
    assert found and int(found.group(1)) >= len(list((ROOT / "scenarios").glob("*.jsonnet"))) - 2, proc.stdout


FIXTURE_TESTS = '''
import requests

SEEN = {}


def token(m):
    c = m.credentials
    auth = (c["client_id"], c["client_secret"])
    r = requests.post(c["token_url"], data={"grant_type": "client_credentials"}, auth=auth)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def schema(url, session):
    """An email identifier fed from the web stream: what makes a collected event a profile."""
    assert session.post(url + "/v2/schema/user/field", json={"id": "email", "is_identifier": True}).ok
    assert session.post(url + "/v2/schema/user/mapping",
                        json={"field": "email", "stream": "web", "expr": "email(email)"}).ok
    assert session.post(url + "/v2/schema/user/publish", json={"tag": "t"}).ok


def profiles(url, session):
    return session.get(url + "/__admin/profiles").json()["total"]


def test_first_uses_the_mocks(ansira_mock, lytics_mock, enrichment_stack):
    assert "client_secret" not in repr(ansira_mock) and lytics_mock.credentials["api_key"] not in repr(lytics_mock)
    SEEN["token"] = tok = token(ansira_mock)
    body = {"email": "a@example.com", "sourceCode": {"keyName": ansira_mock.credentials["source_code"]}}
    r = requests.post(ansira_mock.credentials["user_url"], params={"access_token": tok}, json=body)
    assert r.status_code == 201 and r.json()["uuid"]
    schema(lytics_mock.url, lytics_mock.session)
    assert lytics_mock.session.post(lytics_mock.url + "/collect/json/web", json=[{"email": "a@example.com"}]).ok
    assert profiles(lytics_mock.url, lytics_mock.session) == 1
    info = enrichment_stack.ready_info()
    SEEN["stack"] = info["lytics_url"]
    s = requests.Session()
    s.headers["Authorization"] = info["lytics_api_key"]
    s.headers["X-Admin-Key"] = info["admin_key"]
    schema(info["lytics_url"], s)
    assert s.post(info["lytics_url"] + "/collect/json/web", json=[{"email": "b@example.com"}]).ok
    assert profiles(info["lytics_url"], s) == 1
    SEEN["stack_session"] = s


def test_second_sees_reset_mocks(ansira_mock, lytics_mock):
    journal = ansira_mock.session.get(ansira_mock.url + "/__admin/journal").json()["entries"]
    assert journal == []
    body = {"email": "a@example.com", "sourceCode": {"keyName": ansira_mock.credentials["source_code"]}}
    r = requests.post(ansira_mock.credentials["user_url"], params={"access_token": SEEN["token"]}, json=body)
    assert r.status_code == 401  # the earlier token went with the reset
    assert profiles(lytics_mock.url, lytics_mock.session) == 0
    fields = lytics_mock.session.get(lytics_mock.url + "/v2/schema/user/field").json()["data"]
    assert "email" not in [f["id"] for f in fields]  # the schema went too


def test_third_gets_a_fresh_stack(enrichment_stack):
    info = enrichment_stack.ready_info()
    s = requests.Session()
    s.headers["Authorization"] = info["lytics_api_key"]
    s.headers["X-Admin-Key"] = info["admin_key"]
    assert profiles(info["lytics_url"], s) == 0
    old = SEEN["stack_session"]
    try:
        old.get(SEEN["stack"] + "/__admin/health", timeout=2)
        stopped = False
    except requests.ConnectionError:
        stopped = True
    assert stopped or SEEN["stack"] == info["lytics_url"]  # the old stack is gone (or its port was reused)
'''


def collected(args: list[str]) -> set[str]:
    proc = pytest_run([*args, "--collect-only", "-q"], ROOT, only_enrichsim=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {line.split(":")[0] for line in proc.stdout.splitlines() if ".jsonnet: " in line}  # -q: "file: count"


def test_a_folder_run_skips_long_and_load_scenarios_unless_named() -> None:
    everything = collected(["scenarios"])
    assert "scenarios/faults/ansira_5xx.jsonnet" in everything and "scenarios/quickstart.jsonnet" in everything
    assert not {p for p in everything if "/full/" in p or "/load/" in p or "/lib/" in p}, everything
    full = collected(["scenarios/faults/full"])
    assert full and all(p.startswith("scenarios/faults/full/") for p in full), full
    assert collected(["scenarios/load/smoke.jsonnet"]) == {"scenarios/load/smoke.jsonnet"}
