"""Helpers shared by the picture tests and the screenshot script (a uniquely named module: no __init__.py here)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import requests

from harness.http import lytics_session
from harness.scenario import engine
from tests.serving import start_serve, stop_serve

ROOT = Path(__file__).resolve().parents[2]


def serve(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """`harness serve` in a process of its own; returns once its ready file is there (written atomically)."""
    return start_serve(tmp_path / "ready.json", *extra)


def stop(proc: subprocess.Popen[str]) -> str:
    out, err = stop_serve(proc)
    assert proc.returncode == 0, err
    return out + err


def configure(info: dict[str, Any], scenario: str = "quickstart.jsonnet",
              ansira: dict[str, Any] | None = None) -> tuple[engine.ScenarioRun, Any]:
    """A scenario's fields, audience, template, auth and jobs, posted to a served stack over HTTP (no users)."""
    sc = engine.load(ROOT / "scenarios" / scenario)
    run = engine.ScenarioRun(sc)
    run.vars = info
    run.lytics = lytics_session(info["lytics_url"], info["lytics_api_key"], admin_key=info["admin_key"])
    patch = {k: v for k, v in (sc.ansira or {}).items() if k == "source_codes"} | (ansira or {})
    if patch:  # the scenario's Ansira knows its own source codes; the served one starts with the default
        resp = requests.patch(info["ansira_url"] + "/__admin/behaviour", json=patch,
                              headers={"X-Admin-Key": info["admin_key"]}, timeout=10)
        assert resp.status_code == 200, resp.text
    run._setup()
    for i, job in enumerate(sc.lytics.jobs):
        run._create_job(i, job)
    return run, sc
