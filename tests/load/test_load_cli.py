"""`harness load` end to end, in subprocesses (locust's gevent never enters pytest): the smoke of `make test`."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from harness.pictures.assets import asset

ROOT = Path(__file__).resolve().parents[2]


def _harness(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def test_load_smoke_distributed_joined_report(tmp_path: Path) -> None:
    """A locust master and one worker drive the smoke scenario; the joined report holds both sides."""
    key = "lk_test_" + secrets.token_urlsafe(16)
    out = tmp_path / "out"
    proc = _harness("load", "scenarios/load/smoke.jsonnet", "--duration", "2", "--workers", "1", "--report", "json",
                    "--out", str(out), "--api-key-env", "LOAD_TEST_KEY", env={"LOAD_TEST_KEY": key})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads(proc.stdout)
    m = doc["metrics"]
    assert doc["ok"] and not doc["errors"] and all(t["ok"] for t in doc["thresholds"])
    assert doc["locust"]["mode"] == "master" and doc["locust"]["workers"] == 1
    assert m["collect_requests"] > 0 and m["collect_failures"] == 0 and m["new_users_sent"] > 0
    assert m["ansira_requests"] >= m["users_enriched"] == m["backfill_users"] + m["realtime_users"]
    assert m["backfill_users"] == 100 and m["lost_users"] == 0 and m["users_pending"] == 0
    assert m["enrich_latency_p50_ms"] is not None and m["enrich_latency_p99_ms"] >= m["enrich_latency_p50_ms"]
    assert m["runner_peak_rss_mb"] is None or m["runner_peak_rss_mb"] > 10
    assert [row["measure"] for row in doc["table"]][:3] == ["requests sent", "rate", "429s"]
    for name in ("locust_stats.csv", "locust.html", "report.json", "report.txt", "report.html",
                 "runner-outcomes.jsonl"):
        assert (out / name).is_file(), name
    assert "collect new_user" in (out / "locust_stats.csv").read_text()
    assert asset("uPlot.iife.min.js") in (out / "report.html").read_text(encoding="utf-8")  # intact, not redacted
    texts = [proc.stdout, proc.stderr, *(p.read_text(errors="replace") for p in out.iterdir())]
    assert not any(key in t for t in texts), "the Lytics API key leaked into an artefact"


def test_impossible_threshold_fails_the_run(scenario_file: Callable[[str], Path]) -> None:
    """A backfill-only run (no locust): a threshold it cannot meet and one with no samples both fail it."""
    f = scenario_file("""a.base {
      name: 'impossible', profiles+: { generate: { count: 20 } },
      load: { drain_timeout_s: 30, thresholds: [
        'enrichments_per_s > 1e9', 'lost_users == 0', 'enrich_latency_p99_ms < 250'] },
    }""")
    proc = _harness("load", str(f))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].endswith(": FAIL")
    breach = next(ln for ln in lines if "enrichments_per_s > 1e9" in ln)
    assert breach.strip().startswith("FAIL") and "is false: under by" in breach
    assert next(ln for ln in lines if "lost_users == 0" in ln).strip().startswith("PASS")
    no_samples = next(ln for ln in lines if "enrich_latency_p99_ms < 250" in ln)  # no client load: no samples
    assert no_samples.strip().startswith("FAIL") and "no samples for enrich_latency_p99_ms" in no_samples
    assert any(ln.strip().startswith("users ") and "lost 0" in ln for ln in lines)
