"""pytest plugin: `pytest scenarios/` runs each scenario as a test; fixtures give users the mocks and the stack.

Registered through the `pytest11` entry point. Nothing here imports locust (gevent must stay out of pytest).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from harness.mockclients import HEALTH, RESET
from harness.ready import AnsiraEndpoint, LyticsEndpoint
from harness.scenario import discovery
from harness.servers import ServerThread


def _is_scenario(path: Path, config: pytest.Config) -> bool:
    """A .jsonnet file under a `scenarios` folder, by the rule `harness run DIR` uses (harness.scenario.discovery),
    walked from the path named on the command line that holds it (never from above the `scenarios` folder)."""
    file = path.resolve()
    parts = file.parts
    if file.suffix != ".jsonnet" or "scenarios" not in parts[:-1]:
        return False
    here = config.invocation_params.dir
    named = [here / str(a).split("::")[0] for a in config.args] or [here]
    root = discovery.named_root(file, named)
    if root is None:
        return False
    scenarios_dir = Path(*parts[:len(parts) - parts[::-1].index("scenarios")])
    return discovery.is_scenario(file, max(root, scenarios_dir, key=lambda p: len(p.parts)))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario: a scenario file run end to end (`pytest scenarios/ -m scenario`)")


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if _is_scenario(file_path, parent.config):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        item = ScenarioItem.from_parent(self, name=self.path.stem)
        item.add_marker("scenario")
        yield item


class ScenarioFailed(Exception):
    pass


class ScenarioItem(pytest.Item):
    def runtest(self) -> None:
        from harness.scenario import engine

        self.result = engine.run_file(self.path)
        if not self.result.ok:
            raise ScenarioFailed(self.result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        from harness.errors import HarnessError
        from harness.redact import REDACTOR

        if isinstance(excinfo.value, ScenarioFailed):
            return REDACTOR(failure_text(excinfo.value.args[0], self.path))
        if isinstance(excinfo.value, HarnessError):  # a bad scenario: the message names file and path already
            text = str(excinfo.value)
            return REDACTOR(text if str(self.path) in text else f"{self.path}: {text}")
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.name}"


def failure_text(r: Any, path: Path) -> str:
    """What failed first, expected vs actual (CI shows a failure's first line, JUnit messages get cut), then the
    scenario and the checks that held. Check names are the JUnit testcase names of `harness run --report junit`."""
    from harness.scenario.report_ci import case_names

    named = list(zip(case_names(r.checks), r.checks, strict=True))
    lines = [f"error: {r.error}"] if r.error else []
    for name, c in named:
        if not c.ok:
            lines.append(f"[FAIL] {name}: {c.reason}")
            lines.extend(f"    - {d}" for d in c.details)
    failed = sum(not c.ok for c in r.checks)
    lines.append(f"scenario {r.name} failed ({path}): {failed} of {len(r.checks)} checks failed"
                 + (", and the run did not finish" if r.error else ""))
    if r.description:
        lines.append(f"  {r.description}")
    lines.extend(f"  [ok] {name}: {c.reason}" for name, c in named if c.ok)
    return "\n".join(lines)


# -- fixtures for users' own tests ---------------------------------------------------------------------------
@dataclass
class MockHandle:
    """A running mock: its base URL, credentials and a session that already carries them."""

    url: str
    session: requests.Session = field(repr=False)
    credentials: dict[str, Any] = field(repr=False)  # client secret / API key: never in a failure's repr

    def reset(self) -> None:
        self.session.post(self.url + RESET).raise_for_status()


@pytest.fixture(scope="session")
def _ansira_server() -> Iterator[tuple[ServerThread, dict[str, Any]]]:
    from harness.stack import prepare_behaviour
    from mock_ansira import create_app

    behaviour = prepare_behaviour(None, 0)
    srv = ServerThread(create_app({"BEHAVIOUR": behaviour}), name="ansira-fixture").start(ready_path=HEALTH)
    yield srv, behaviour
    srv.stop()


@pytest.fixture
def ansira_mock(_ansira_server: tuple[ServerThread, dict[str, Any]]) -> Iterator[MockHandle]:
    """Mock Ansira on an OS-chosen loopback port, reset before each test."""
    srv, behaviour = _ansira_server
    handle = MockHandle(srv.url, requests.Session(), AnsiraEndpoint.from_behaviour(srv.url, behaviour).credentials())
    handle.reset()
    yield handle
    handle.session.close()


@pytest.fixture(scope="session")
def _lytics_server() -> Iterator[tuple[ServerThread, str]]:
    from mock_lytics import create_app

    key = "lk_" + secrets.token_urlsafe(16)
    srv = ServerThread(create_app({"API_KEY": key}), name="lytics-fixture").start(ready_path=HEALTH)
    yield srv, key
    srv.stop()


@pytest.fixture
def lytics_mock(_lytics_server: tuple[ServerThread, str]) -> Iterator[MockHandle]:
    """Mock Lytics on an OS-chosen loopback port, reset before each test; the session carries the API key."""
    srv, key = _lytics_server
    session = requests.Session()
    session.headers["Authorization"] = key
    handle = MockHandle(srv.url, session, LyticsEndpoint(srv.url, key).credentials())
    handle.reset()
    yield handle
    session.close()


@pytest.fixture
def enrichment_stack() -> Iterator[Any]:
    """A fresh stack (both mocks + the runner) per test; `stack.ready_info()` has URLs and credentials."""
    from harness.stack import Stack

    with Stack() as stack:
        yield stack
