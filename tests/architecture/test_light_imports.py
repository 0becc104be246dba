"""Modules other packages import for a few names stay light: they must not drag a Flask app in with them.

`harness.ready` (every ready file, every CLI start) takes mock Ansira's URLs from `mock_ansira.paths`, and the
query languages of mock Lytics are used on their own; loading an app there cost every `harness` command ~0.25 s
of start-up, paid by each of the suite's many subprocesses.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("flask", "jsonschema", "mock_ansira.app", "mock_lytics.app")


@pytest.mark.parametrize("module", ["mock_ansira.paths", "harness.ready", "mock_lytics.lql", "mock_lytics.filterql"])
def test_importing_it_loads_no_app(module: str) -> None:
    code = f"import json, sys, {module}; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [], f"importing {module} loaded {proc.stdout.strip()}"


def test_the_app_factories_are_still_where_they_were() -> None:
    import mock_ansira
    import mock_lytics

    assert callable(mock_ansira.create_app) and callable(mock_lytics.create_app)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        mock_ansira.nope  # noqa: B018
