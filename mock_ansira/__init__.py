"""A faithful local mock of Ansira's OAuth token endpoint and v2 user API (see docs/mock_ansira.md).

`create_app` is imported lazily so that `mock_ansira.paths` (the URLs the harness names in clients and ready
files) stays light: importing the app costs Flask, the contract's jsonschema and the behaviour model, ~0.25 s
of every `harness` command's start-up otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_ansira.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from mock_ansira.app import create_app

        return create_app
    raise AttributeError(f"module 'mock_ansira' has no attribute {name!r}")
