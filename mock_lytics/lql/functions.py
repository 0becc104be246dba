"""Function lookup for the parser: importing the builtin modules fills the registry exactly once."""

from __future__ import annotations

from . import builtins_core, builtins_text  # noqa: F401  (imported for their registrations)
from .registry import FUNCTIONS, FunctionSpec


def lookup(name: str) -> FunctionSpec | None:
    """The builtin called `name` (case-insensitive), or None."""
    return FUNCTIONS.get(name.lower())


def names() -> list[str]:
    return sorted(FUNCTIONS)


__all__ = ["FUNCTIONS", "FunctionSpec", "lookup", "names"]
