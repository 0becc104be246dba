"""Shared fixtures: scenario variants rendered from the shipped library in a throw-away scenarios folder."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


# One Playwright per test session: a second sync_playwright() while one is open fails ("Sync API inside the
# asyncio loop"), so every browser test (reports, pictures) shares this browser.
CHROMIUM = os.environ.get("ENRICHSIM_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but there is no chromium at {CHROMIUM}: .ci/run installs it (apt-get install "
                        "chromium)")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium); browser tests need it")
    try:
        from playwright import sync_api
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI is set but the playwright package (dev extra) is not installed")
        pytest.skip("the playwright package (dev extra) is not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()
