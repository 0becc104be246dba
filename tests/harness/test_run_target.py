"""`harness run SCENARIO --target READY_FILE` against a running `harness serve` (issue #14 item 4)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.cli import main
from tests.serving import serving

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, dict]]:
    with serving(tmp_path) as stack:
        yield stack


def test_quickstart_passes_against_a_running_serve(served: tuple[Path, dict], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    ready, info = served
    out = tmp_path / "out"
    assert main(["run", str(ROOT / "scenarios/quickstart.jsonnet"), "--target", str(ready), "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    (result,) = report["scenarios"] if isinstance(report, dict) else report
    assert result["ok"] and all(c["ok"] for c in result["checks"])
    assert {c["name"] for c in result["checks"]} >= {"no user left pending", "nobody omitted"}  # runner state read
    # it ran against the served stack, not one of its own: serve's Ansira holds the calls and the source code
    admin = {"X-Admin-Key": info["admin_key"]}
    summary = requests.get(info["ansira_url"] + "/__admin/journal/summary", headers=admin, timeout=10).json()
    journal = requests.get(info["ansira_url"] + "/__admin/journal", params={"limit": 10000}, headers=admin,
                           timeout=10).json()["entries"]
    created = [e for e in journal if e["operation"] == "create_user" and e["status"] == 201]
    assert len(created) == len({e["email"] for e in created}) > 100, summary
    behaviour = requests.get(info["ansira_url"] + "/__admin/behaviour", headers=admin, timeout=10).json()
    assert behaviour["source_codes"] == ["LYTICS2024"]  # the quickstart's Ansira section was installed
    state = requests.get(info["runner_state_url"], headers=admin, timeout=10).json()
    assert sum(o["summary"]["enriched"] for o in state["outcomes"].values()) == len(created)
    assert requests.get(info["runner_state_url"], timeout=10).status_code == 401  # the admin key guards it
    text = capsys.readouterr()
    assert info["lytics_api_key"] not in text.out + text.err and info["admin_key"] not in text.out + text.err


@pytest.mark.parametrize(("extra", "doc", "words"), [
    (["--dry-run"], None, "with --target the running stack's runner is used"),
    ([], {"lytics_url": "http://127.0.0.1:1"}, "lack lytics_api_key, ansira_url"),
    ([], "not json", "not a readable ready file"),
])
def test_bad_targets_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
                                      doc: object, words: str) -> None:
    ready = tmp_path / "stack.json"
    ready.write_text(doc if isinstance(doc, str) else json.dumps(doc or {}), encoding="utf-8")
    assert main(["run", str(ROOT / "scenarios/quickstart.jsonnet"), "--target", str(ready), *extra]) == 2
    assert words in capsys.readouterr().err


def _start(args: list[str], ready: Path, env: dict[str, str], procs: list[subprocess.Popen[str]]) -> dict:
    proc = subprocess.Popen([sys.executable, "-m", "harness", *args, "--ready-file", str(ready)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    procs.append(proc)
    deadline = time.monotonic() + 60
    while not ready.exists():  # written atomically once the part answers
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, f"{args[:2]}: ready file never appeared"
        time.sleep(0.05)
    return json.loads(ready.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_quickstart_passes_against_a_mock_pair_and_a_runner(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "T_LYTICS_KEY": "lk-target-1f9e", "T_ADMIN_KEY": "adm-target-5c2a"}
    procs: list[subprocess.Popen[str]] = []
    try:
        ly = _start(["mock", "lytics", "--api-key-env", "T_LYTICS_KEY", "--admin-key-env", "T_ADMIN_KEY"],
                    tmp_path / "lytics.json", env, procs)
        _start(["mock", "ansira", "--admin-key-env", "T_ADMIN_KEY"], tmp_path / "ansira.json", env, procs)
        runner = _start(["runner", "--lytics-url", ly["lytics_url"], "--api-key-env", "T_LYTICS_KEY",
                         "--admin-key-env", "T_ADMIN_KEY", "--state-port", "0"], tmp_path / "runner.json", env, procs)
        assert runner["runner_state_url"].endswith("/__runner/state") and ly["admin_key"] == "adm-target-5c2a"
        assert requests.get(runner["runner_state_url"], timeout=10).status_code == 401
        targets = [str(tmp_path / f"{n}.json") for n in ("lytics", "ansira", "runner")]
        code = main(["run", str(ROOT / "scenarios/quickstart.jsonnet"), "--report", "json",
                     *[a for t in targets for a in ("--target", t)]])
        assert code == 0
        state = requests.get(runner["runner_state_url"], headers={"X-Admin-Key": "adm-target-5c2a"},
                             timeout=10).json()
        assert sum(o["summary"]["enriched"] for o in state["outcomes"].values()) > 100
    finally:
        for proc in procs:  # only the processes this test started
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in procs:
            proc.communicate(timeout=30)
