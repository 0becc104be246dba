"""The `load` section is validated when `harness load` reads the scenario: bad input names its path."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.load.spec import load_spec
from harness.scenario import engine


def _spec(scenario_file: Callable[[str], Path], load: str):  # type: ignore[no-untyped-def]
    f = scenario_file(f"a.base {{ name: 'x', load: {load} }}")
    return load_spec(engine.load(f), file=str(f))


@pytest.mark.parametrize(
    ("load", "needles"),
    [
        ("{ arrival_rat: 5 }", ["load.arrival_rat: unknown key"]),
        ("{ arrival_rate: -1 }", ["load.arrival_rate", "greater than or equal to 0"]),
        ("{ thresholds: ['p99 < 250'] }", ["unknown metric p99", "docs/load-testing.md"]),
        ("{ thresholds: ['lost_users = 0'] }", ["single '=' is not a comparison", "column 12"]),
        ("{ thresholds: ['lost_users == 0', 'enrich_latency_p99_ms <'] }", ["[1] expected a number or metric"]),
        ("{ arrival_rate: 5, stages: [{ duration_s: 1, rate: 5 }] }", ["arrival_rate + duration_s, or stages"]),
        ("{ stages: [{ duration_s: 0, rate: 5 }] }", ["load.stages[0].duration_s"]),
        ("{ events: { batch: 0 } }", ["load.events.batch"]),
        ("{ server: 'gunicorn' }", ["load.server", "werkzeug-keepalive", "waitress"]),
        ("{ start_after_step: 7 }", ["start_after_step: 7 is past the last step"]),
    ],
    ids=["typo", "negative-rate", "unknown-metric", "single-equals", "second-threshold", "rate-and-stages",
         "zero-stage", "zero-batch", "unknown-server", "step-out-of-range"],
)
def test_bad_load_sections_explain_themselves(scenario_file: Callable[[str], Path], load: str,
                                              needles: list[str]) -> None:
    with pytest.raises(ScenarioError) as info:
        _spec(scenario_file, load)
    msg = str(info.value)
    for n in needles:
        assert n in msg, msg


def test_a_scenario_without_load_section_is_refused(scenario_file: Callable[[str], Path]) -> None:
    f = scenario_file("a.base { name: 'x', allow_no_checks: true }")
    with pytest.raises(ScenarioError, match="no `load` section"):
        load_spec(engine.load(f), file=str(f))


def test_defaults_and_derived_plan(scenario_file: Callable[[str], Path]) -> None:
    spec = _spec(scenario_file, "{ arrival_rate: 200, duration_s: 30, thresholds: ['lost_users == 0'] }")
    assert spec.has_client_load and spec.load_duration_s == 30 and spec.locust_users() == 50
    assert [t.to_text() for t in spec.parsed_thresholds] == ["lost_users == 0"]
    ramp = _spec(scenario_file, "{ stages: [{ duration_s: 5, rate: 100 }, { duration_s: 5, rate: 0 }] }")
    assert ramp.start_rate == 0 and ramp.peak_rate == 100 and ramp.load_duration_s == 10
    idle = _spec(scenario_file, "{}")
    assert not idle.has_client_load


def test_cli_exits_2_on_a_bad_load_section(scenario_file: Callable[[str], Path]) -> None:
    f = scenario_file("a.base { name: 'x', load: { thresholds: ['lost < 1'] } }")
    proc = subprocess.run([sys.executable, "-m", "harness", "load", str(f)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "unknown metric lost" in proc.stderr


def test_every_shipped_load_scenario_validates() -> None:
    root = Path(__file__).resolve().parents[2] / "scenarios"
    files = [*sorted((root / "load").glob("*.jsonnet")), root / "rate_limit_backfill.jsonnet"]
    assert len(files) >= 2
    for f in files:
        spec = load_spec(engine.load(f), file=str(f))
        assert spec.thresholds, f"{f}: a load scenario without thresholds checks nothing"
