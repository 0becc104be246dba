"""The example CI files in docs/ci/ call real commands with real flags, and publish the files those commands write.

Every `harness` command line is parsed by the CLI's own parser (a renamed flag fails here, not in a user's
pipeline); the JUnit path each job publishes is the `--out` folder of its command plus `junit.xml`, and the
GitHub step summary reads that folder's `summary.md`.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.cli import build_parser
from harness.scenario.run_reports import FILES

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "docs" / "ci"


def _commands(lines: list[str]) -> list[list[str]]:
    return [shlex.split(line, comments=True) for line in lines if line.strip()]


def _harness(argv: list[str]) -> tuple[str, str] | None:
    """(command, --out folder) of a harness command line, after the CLI's parser accepted it; None otherwise."""
    i = next((i for i, tok in enumerate(argv) if tok.endswith("bin/harness") or tok == "harness"), None)
    if i is None:
        return None
    args = build_parser().parse_args(argv[i + 1:])  # SystemExit (a failed test) on an unknown flag or value
    for path in (getattr(args, "scenarios", None) or []) + ([args.scenario] if hasattr(args, "scenario") else []):
        assert (ROOT / path).exists(), f"{path} does not exist in the repository"
    assert args.out, f"{argv}: without --out the CI step has no junit.xml to publish"
    return args.command, args.out.rstrip("/")


def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    stamp = re.search(r"^STAMP\s*:=\s*\$\(VENV\)/(\S+)", text, re.M)
    venv = re.search(r"^VENV\s*:=\s*(\S+)", text, re.M)
    assert stamp and venv
    return {f"{venv.group(1)}/{stamp.group(1)}", *re.findall(r"^([a-z][a-z-]*):", text, re.M)}


def _check_make(argv: list[str]) -> None:
    if argv and argv[0] == "make":
        for target in argv[1:]:
            assert target in _make_targets(), f"make {target}: no such target in the Makefile"


def test_report_files_the_examples_rely_on_are_written() -> None:
    assert {"junit.xml", "summary.md"} <= set(FILES)


def test_github_actions_example() -> None:
    doc: dict[str, Any] = yaml.safe_load((CI / "github-actions.yml").read_text())
    assert doc["name"] and (doc.get(True) or doc.get("on")) is not None  # pyyaml reads the `on:` key as True
    seen = set()
    for name, job in doc["jobs"].items():
        steps = job["steps"]
        out = command = None
        for step in steps:
            for argv in _commands(str(step.get("run", "")).splitlines()):
                _check_make(argv)
                found = _harness(argv)
                if found:
                    command, out = found
        assert out, f"job {name} runs no harness command"
        seen.add(command)
        junit = [s for s in steps if str(s.get("uses", "")).startswith("mikepenz/action-junit-report@")]
        assert [s["with"]["report_paths"] for s in junit] == [f"{out}/junit.xml"], name
        summary = [s for s in steps if "GITHUB_STEP_SUMMARY" in str(s.get("run", ""))]
        assert len(summary) == 1 and f"{out}/summary.md" in summary[0]["run"], name
        for step in [*junit, *summary]:
            assert step.get("if") in ("${{ !cancelled() }}", "always()"), f"{name}: a failing run must still report"
        assert job["permissions"]["checks"] == "write"
    assert seen == {"run", "load"}


def test_gitlab_ci_example() -> None:
    doc: dict[str, Any] = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    for argv in _commands(doc["default"]["before_script"]):
        _check_make(argv)
    jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and "script" in v}
    seen = set()
    for name, job in jobs.items():
        assert job["stage"] in doc["stages"]
        assert job["artifacts"]["when"] == "always", f"{name}: a failing run must still publish its JUnit"
        junit = job["artifacts"]["reports"]["junit"]
        for argv in _commands(job["script"]):
            found = _harness(argv)
            if found:
                seen.add(found[0])
                assert junit == f"{found[1]}/junit.xml", name
            elif argv[0].endswith("bin/pytest"):
                flag = next(a for a in argv if a.startswith("--junitxml="))
                assert junit == flag.split("=", 1)[1], name
                assert argv[argv.index("-m") + 1] == "scenario"  # the marker the enrichsim plugin registers
                seen.add("pytest")
            else:
                pytest.fail(f"{name}: unexpected command {argv}")
    assert seen == {"run", "load", "pytest"}
