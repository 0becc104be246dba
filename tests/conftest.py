"""Shared fixtures: scenario variants rendered from the shipped library in a throw-away scenarios folder."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.scenario import engine

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def scenario_file(tmp_path: Path) -> Callable[[str], Path]:
    """Write jsonnet that can `import 'lib/ansira.libsonnet'` (bound to `a`) and return its path."""
    root = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios" / "lib", root / "lib")

    def write(body: str, name: str = "variant") -> Path:
        f = root / f"{name}.jsonnet"
        f.write_text("local a = import 'lib/ansira.libsonnet';\n" + body, encoding="utf-8")
        return f

    return write


@pytest.fixture
def run_variant(scenario_file: Callable[[str], Path]) -> Callable[[str], engine.ScenarioResult]:
    def run(body: str) -> engine.ScenarioResult:
        return engine.run_file(scenario_file(body))

    return run


def failed_checks(result: engine.ScenarioResult) -> list[dict]:
    return [c.to_dict() for c in result.checks if not c.ok]
