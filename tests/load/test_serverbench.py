"""The server comparison (`make bench-servers`) serves both mocks on each server and measures real 2xx answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.load import serverbench

ROOT = Path(__file__).resolve().parents[2]


def test_each_server_serves_both_mocks_and_the_table_has_medians(tmp_path: Path) -> None:
    servers = ["lean", "waitress", "granian"]
    out = tmp_path / "samples.json"
    done = subprocess.run([sys.executable, "-m", "harness.load.serverbench", "--servers", ",".join(servers),
                           "--repeats", "1", "--duration", "0.3", "--connections", "2", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    samples = json.loads(out.read_text())
    present = [s for s in servers if serverbench.installed(s)]
    assert sorted(samples) == sorted(f"{s}/{m}" for s in present for m in ("ansira", "lytics"))
    for key, [sample] in samples.items():
        expected = "201" if key.endswith("/ansira") else "200"  # a created user; an accepted collect
        assert sample["errors"] == 0 and set(sample["statuses"]) == {expected}, (key, sample)
        assert sample["requests_per_s"] > 0 and sample["cpu_ms_per_request"] > 0, (key, sample)
    rows = [line for line in done.stdout.splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == [*present, *(s for s in servers if s not in present)]
    assert all("not installed" in r for r in rows[len(present):])


def test_an_unknown_server_is_refused_with_the_known_ones() -> None:
    done = subprocess.run([sys.executable, "-m", "harness.load.serverbench", "--servers", "lean,nginx"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "unknown server(s) nginx" in done.stderr and "gunicorn" in done.stderr
