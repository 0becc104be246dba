from __future__ import annotations

import sys
from pathlib import Path

import pytest

# No __init__.py in test dirs: make `import lytics_helpers` work however pytest imports this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from flask import Flask
from lytics_helpers import API_KEY, Api, FakeClock

from mock_lytics import create_app


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(clock: FakeClock) -> Flask:
    return create_app({"API_KEY": API_KEY, "CLOCK": clock})


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app)
