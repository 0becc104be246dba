"""A faithful local mock of Ansira's OAuth token endpoint and v2 user API (see docs/mock_ansira.md)."""

from __future__ import annotations

from mock_ansira.app import create_app

__all__ = ["create_app"]
