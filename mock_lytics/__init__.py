"""A local simulator of the Lytics APIs the Ansira webhook-enrichment integration uses (see docs/mock_lytics.md).

`create_app` is imported lazily so that `import mock_lytics.lql` / `mock_lytics.filterql` stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_lytics.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from mock_lytics.app import create_app

        return create_app
    raise AttributeError(f"module 'mock_lytics' has no attribute {name!r}")
