"""A broken scenario must fail with a message a person can act on, and exit 2 from the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import ScenarioError
from harness.scenario import engine

BASE = "local a = import 'lib/ansira.libsonnet';\n"


def write(tmp_path: Path, body: str) -> Path:
    root = tmp_path / "scenarios"
    (root / "lib").mkdir(parents=True)
    lib = Path(__file__).resolve().parents[2] / "scenarios" / "lib" / "ansira.libsonnet"
    (root / "lib" / "ansira.libsonnet").write_text(lib.read_text())
    f = root / "case.jsonnet"
    f.write_text(body)
    return f


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        (BASE + "a.base { name: 'x', checkz: [] }", ["checkz: unknown key"]),
        (BASE + "a.base { name: 'x', seed: 'forty' }", ["seed:", "valid integer", "'forty'"]),
        (BASE + "a.base { name: 'x', checks: [{ kind: 'audience_size', segment: 's' }] }",
         ["checks[0].audience_size.size: required key is missing"]),
        (BASE + "a.base { name: 'x', checks: [{ kind: 'audience_sise' }] }", ["checks[0]", "audience_sise"]),
        (BASE + "a.base { name: 'x', steps: [{ wait_until: {}, sleep_s: 1 }] }", ["exactly one action"]),
        (BASE + "a.base { name: 'x' ", ["jsonnet:", "case.jsonnet"]),
        ("{ name: 'x', y: importstr '../../../etc/passwd' }", ["refused", "may import only files under"]),
        ("[1, 2]", ["expected the scenario to be an object"]),
    ],
    ids=["typo-key", "wrong-type", "missing-key", "unknown-check-kind", "two-actions", "jsonnet-syntax",
         "import-outside", "not-an-object"],
)
def test_broken_scenarios_explain_themselves(tmp_path: Path, body: str, needles: list[str]) -> None:
    f = write(tmp_path, body)
    with pytest.raises(ScenarioError) as info:
        engine.load(f)
    msg = str(info.value)
    assert str(f) in msg
    for n in needles:
        assert n in msg


def test_cli_check_exits_2_with_the_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, BASE + "a.base { name: 'x', checkz: [] }")
    assert main(["check", str(f)]) == 2
    err = capsys.readouterr().err
    assert "checkz: unknown key" in err and str(f) in err


def test_cli_missing_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "no/such/file.jsonnet"]) == 2
    assert "no such scenario file or folder" in capsys.readouterr().err


def test_every_shipped_scenario_validates() -> None:
    root = Path(__file__).resolve().parents[2] / "scenarios"
    files = [f for f in root.rglob("*.jsonnet") if "lib" not in f.relative_to(root).parts[:-1]
             and "templates" not in f.relative_to(root).parts]
    assert files
    for f in files:
        sc = engine.load(f)
        assert sc.checks, f"{f.name} has no checks"
