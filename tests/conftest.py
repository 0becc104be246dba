"""Shared fixtures: scenario variants rendered from the shipped library in a throw-away scenarios folder."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.scenario import engine

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_leftover_log_filters() -> Iterator[None]:
    """`harness.cli.main()` puts the redacting filter on every root handler, pytest's capture handlers included;
    left there, a later test that greps raw log records for a secret sees it masked and fails by test order."""
    before = {id(h): list(h.filters) for h in logging.getLogger().handlers}
    yield
    for handler in logging.getLogger().handlers:
        if id(handler) in before:
            handler.filters[:] = before[id(handler)]


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
