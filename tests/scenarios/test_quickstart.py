"""The quickstart end to end, through the engine and through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

from harness.cli import main
from harness.scenario import engine

ROOT = Path(__file__).resolve().parents[2]


def test_quickstart_passes_every_check() -> None:
    result = engine.run_file(ROOT / "scenarios" / "quickstart.jsonnet")
    failed = [c.to_dict() for c in result.checks if not c.ok]
    assert result.error is None
    assert not failed
    assert len(result.checks) >= 5
    out = result.summary["outcomes"]
    assert out["enriched"] > 150 and out["pending"] == 0 and out["omitted"] == 0


def test_quickstart_cli_reports(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["run", str(ROOT / "scenarios" / "quickstart.jsonnet"), "--report", "json", "--out", str(tmp_path)])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["passed"] == 1 and doc["failed"] == 0
    suites = ElementTree.parse(tmp_path / "junit.xml").getroot()
    cases = suites.findall("./testsuite/testcase")
    assert len(cases) == len(doc["scenarios"][0]["checks"])
    assert not suites.findall(".//failure")
    assert "PASS" in (tmp_path / "report.txt").read_text()
