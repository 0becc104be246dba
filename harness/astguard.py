"""One `ast.parse` at a time in this process: CPython 3.11 corrupts its AST-conversion depth counter otherwise.

`ast.parse` converts the C syntax tree to Python objects with one recursion counter per interpreter; when a
garbage collection during that conversion runs a finalizer, another thread can take the GIL and parse too, and
the first then fails with `SystemError: AST constructor recursion depth mismatch` (python/cpython#106905; a
test reproduces it in a second). Threads here parse more than one expects: werkzeug compiles every URL rule
through `ast` when an app is built, and Python 3.11's `traceback` parses each source line it underlines, so a
mock serving requests while another logs a traceback is enough. It failed a fault-matrix case once in a suite
run. The wrapper only serialises the calls (re-entrant: a finalizer may itself parse).
"""

from __future__ import annotations

import ast
import functools
import threading
from typing import Any

_LOCK = threading.RLock()


def install() -> None:
    """Wrap `ast.parse` (idempotent); every caller, stdlib or library, looks it up on the module."""
    parse: Any = ast.parse
    if getattr(parse, "_enrichsim_serialised", False):
        return

    @functools.wraps(parse)
    def serialised(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return parse(*args, **kwargs)

    serialised._enrichsim_serialised = True  # type: ignore[attr-defined]
    ast.parse = serialised
