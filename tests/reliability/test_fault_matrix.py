"""The fault matrix (scenarios/faults): each case runs through the scenario engine and all its checks must hold.

Short versions run in `make test`; `make reliability` (RELIABILITY_FULL=1) adds the long ones in
scenarios/faults/full. Cases run two at a time: most of a case's wall time is the runner backing off or sleeping
out a Retry-After, not CPU.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.scenario import engine

ROOT = Path(__file__).resolve().parents[2]
FULL = os.environ.get("RELIABILITY_FULL") == "1"
SHORT_CASES = sorted((ROOT / "scenarios" / "faults").glob("*.jsonnet"))
FULL_CASES = sorted((ROOT / "scenarios" / "faults" / "full").glob("*.jsonnet"))
CASES = [pytest.param(p, id=p.stem) for p in SHORT_CASES]
CASES += [pytest.param(p, id=f"full-{p.stem}") for p in FULL_CASES] if FULL else []
PARALLEL = 2 if FULL else 3  # the long cases are CPU-heavy; two at a time keeps them off each other's toes


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest) -> Iterator[dict[Path, Future[engine.ScenarioResult]]]:
    """Start every selected case at once on a small pool; each test then waits for its own."""
    # Stacks may start side by side: werkzeug compiles URL rules through `ast`, which harness.astguard serialises
    selected = [item.callspec.params["case"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec") and "case" in item.callspec.params]
    pool = ThreadPoolExecutor(PARALLEL, thread_name_prefix="fault-case")
    try:
        yield {case: pool.submit(engine.run_file, case) for case in dict.fromkeys(selected)}
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("case", CASES)
def test_fault_case_holds(case: Path, runs: dict[Path, Future[engine.ScenarioResult]]) -> None:
    result = runs[case].result(timeout=900)
    failed = [f"{c.name}: {c.reason} {c.details[:3]}" for c in result.checks if not c.ok]
    assert result.error is None, result.error
    assert not failed, "\n".join(failed)
    kinds = {c.name for c in result.checks}
    assert {"every user enriched or omitted with a reason (zero unaccounted)",
            "no Ansira call after a user was enriched"} <= kinds, "every fault case must carry the common proof"


def test_every_short_case_has_a_full_version() -> None:
    short = {p.stem for p in SHORT_CASES}
    full = {p.stem.removesuffix("_10s") for p in FULL_CASES}
    assert short - full <= {"token_revoked"}, f"cases without a long version: {sorted(short - full)}"
    assert full <= short, f"long versions without a short one: {sorted(full - short)}"
