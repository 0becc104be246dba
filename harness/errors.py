"""One error hierarchy for the harness, so callers catch by meaning rather than by module.

    HarnessError
    ├── ConfigError            bad scenario, bad CLI arguments, bad job config (exit code 2)
    │   ├── ScenarioError      a scenario file that does not render or validate (carries file + path)
    │   └── ScenarioErrors     several of those, all reported at once
    ├── RemoteError            a remote service answered badly or not at all
    │   ├── AuthError          the token endpoint refused or failed
    │   └── TransportError     connection refused/reset, timeout

A check that does not hold is not an exception: checks return pass/fail with expected vs actual
(harness.scenario.checks).

The template errors (TemplateError and its children) have their own root in enrich_templates.errors, the
engine's package, and are re-exported here; the CLI maps TemplateInputError to exit code 2 like ConfigError.

Messages never carry secrets: build them from redacted values only (see harness.redact).
"""

from __future__ import annotations

from enrich_templates.errors import (
    TemplateAssertionFailed,
    TemplateError,
    TemplateEvalError,
    TemplateImportRefused,
    TemplateInputError,
    TemplateTimeout,
)

__all__ = [
    "AuthError",
    "ConfigError",
    "HarnessError",
    "RemoteError",
    "ScenarioError",
    "ScenarioErrors",
    "TemplateAssertionFailed",
    "TemplateError",
    "TemplateEvalError",
    "TemplateImportRefused",
    "TemplateInputError",
    "TemplateTimeout",
    "TransportError",
]


class HarnessError(Exception):
    """Root of every error the harness raises on purpose."""


class ConfigError(HarnessError):
    """Input the user gave us is unusable; the CLI exits 2."""


class ScenarioError(ConfigError):
    """A scenario that does not render or validate; names the file and the path inside it."""

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None,
                 line: int | None = None, col: int | None = None) -> None:
        self.file = file
        self.path = path
        self.line = line  # 1-based position in `file`, when the error sits at a place in its text
        self.col = col
        position = f"{file}:{line}" + (f":{col}" if col is not None else "") if file and line is not None else file
        where = ":".join(p for p in (position, path) if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message


class ScenarioErrors(ConfigError):
    """Several scenario files that do not render or validate: each is reported, not just the first."""

    def __init__(self, errors: list[ConfigError], total: int) -> None:
        self.errors = errors
        head = f"{len(errors)} of {total} scenario files are invalid:" if total > 1 else ""
        super().__init__("\n".join([head, *map(str, errors)]) if head else str(errors[0]))


class RemoteError(HarnessError):
    """A remote service answered with an error or not at all."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(RemoteError):
    """The OAuth token endpoint refused the credentials or failed."""


class TransportError(RemoteError):
    """The request never got an HTTP answer (refused, reset, timed out)."""
