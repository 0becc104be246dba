from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

# Test dirs have no __init__.py, and pytest may import this file as `tests.mock_ansira.conftest` (rootdir
# on sys.path) or as `conftest` (its own dir on sys.path); putting the dir on the path makes
# `import ansira_helpers` work in both cases.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ansira_helpers import AppFactory, FakeClock, SleepRecorder, base_behaviour
from flask import Flask
from flask.testing import FlaskClient

from mock_ansira import create_app


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps(clock: FakeClock) -> SleepRecorder:
    return SleepRecorder(clock)


@pytest.fixture
def make_app(clock: FakeClock, sleeps: SleepRecorder) -> AppFactory:
    """Apps on the fake clock whose sleeps are recorded instead of taken."""

    def factory(behaviour: dict[str, Any] | None = None, **config: Any) -> Flask:
        doc = behaviour if behaviour is not None else base_behaviour()
        return create_app({"BEHAVIOUR": doc, "CLOCK": clock, "SLEEP": sleeps, **config})

    return factory


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
