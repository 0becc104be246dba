"""Callbacks handed to gojsonnet never raise: an exception raised inside one garbles the binding's error text.

The binding reads the Python exception's message past its buffer (a UnicodeDecodeError or mangled text, more
often when the evaluation runs on a worker thread). So every import and native callback goes through a guard:
a refused import, or any unexpected exception, is recorded on the Python side and the evaluation gets a file
that evaluates to a jsonnet `error` instead. Callers report from the record, never by parsing go-jsonnet's text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ImportCallback = Callable[[str, str], tuple[str, bytes]]


class ImportRefused(Exception):  # a signal between an importer and its guard
    """Raised by an importer (inside a guard only) to refuse `rel`; the guard records it and serves an error file."""

    def __init__(self, reason: str, *, target: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.target = target


@dataclass(frozen=True)
class Refusal:
    """An import the evaluation asked for and did not get: where from, what, and why."""

    base: str  # the importing file's folder, as go-jsonnet passed it
    rel: str  # the path as written in the import
    reason: str
    target: str | None = None  # the file it resolved to, when it got that far
    unexpected: bool = False  # the importer failed (a bug), rather than refused on purpose


def error_file(rel: str, reason: str) -> tuple[str, bytes]:
    """A stand-in for a refused import: evaluating it fails with `reason` (importstr reads it as text)."""
    return f"<refused>/{rel}", ("error " + json.dumps(f"import {rel!r}: {reason}")).encode()


def guard_import(importer: ImportCallback, refusals: list[Refusal]) -> ImportCallback:
    """`importer`, except that it returns an error file (and records a Refusal) instead of raising."""

    def guarded(base: str, rel: str) -> tuple[str, bytes]:
        try:
            return importer(base, rel)
        except ImportRefused as exc:
            refusal = Refusal(base, rel, exc.reason, exc.target)
        except Exception as exc:  # nothing may cross the binding
            refusal = Refusal(base, rel, f"the importer failed: {type(exc).__name__}: {exc}", unexpected=True)
        refusals.append(refusal)
        return error_file(rel, refusal.reason)

    return guarded


def guard_native(fn: Callable[..., Any], failures: list[str], *, fallback: Any = None) -> Callable[..., Any]:
    """`fn` as a native callback that returns `fallback` (and records why) instead of raising.

    The caller must check `failures` after the evaluation: the fallback value is only there to let it finish.
    """

    def guarded(*args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:  # nothing may cross the binding
            failures.append(f"{getattr(fn, '__name__', 'native callback')} failed: {type(exc).__name__}: {exc}")
            return fallback

    return guarded
