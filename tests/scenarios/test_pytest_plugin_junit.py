"""The JUnit pytest writes for a failing scenario (`pytest scenarios/ --junitxml`): the failure's message starts with
the failing check's expected vs actual, before the checks that held; run in a subprocess as users run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

from tests.junit_schema import validate

ROOT = Path(__file__).resolve().parents[2]

FAILING = """local a = import 'lib/ansira.libsonnet';
a.base { name: 'bad', profiles+: { generate: { count: 6 } },
  checks: [a.checks.all_enriched,
           { kind: 'ansira_calls', total: { min: 1 } },
           { kind: 'ansira_calls', total: { min: 99 } },
           { kind: 'audience_size', name: 'a huge audience', segment: 'ansira_enrichment_source', size: { min: 99 } }] }
"""


def test_pytest_junit_of_a_failing_scenario_leads_with_the_failed_checks(tmp_path: Path) -> None:
    root = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios" / "lib", root / "lib")
    (root / "bad.jsonnet").write_text(FAILING, encoding="utf-8")
    xml = tmp_path / "junit.xml"
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "harness.pytest_plugin",
                           "scenarios", f"--junitxml={xml}"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=180, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = xml.read_text(encoding="utf-8")
    assert validate(doc, times_add_up=False) == []
    case = ElementTree.fromstring(doc.encode()).find("testsuite/testcase")
    assert case is not None and case.get("name") == "bad"
    failure = case.find("failure")
    assert failure is not None
    message = failure.get("message") or ""
    lines = message.splitlines()
    assert lines[0] == "[FAIL] ansira_calls[1]: Ansira create_user calls: create_user calls: expected >= 99, actual 6"
    assert lines[1] == ("[FAIL] a huge audience: audience ansira_enrichment_source size: expected >= 99, actual 0")
    assert lines[2].startswith("scenario bad failed (") and lines[2].endswith("2 of 4 checks failed")
    # pytest cuts a long message to its first lines ("[+1 more line; full report in element text]"): the failures
    # come first so they survive the cut; the body has everything
    body = (failure.text or "").splitlines()
    assert body[:3] == lines[:3]
    oks = [ln for ln in body if ln.lstrip().startswith("[ok]")]
    assert len(oks) == 2 and oks[0].startswith("  [ok] every user with an email has an Ansira UUID: ")
    assert oks[1] == "  [ok] ansira_calls[0]: Ansira create_user calls: create_user calls: expected >= 1, actual 6"
    assert body.index(oks[0]) > 2  # the checks that held come after every failure
