"""One error hierarchy for the harness, so callers catch by meaning rather than by module.

    HarnessError
    ├── ConfigError            bad scenario, bad CLI arguments, bad job config (exit code 2)
    │   ├── ScenarioError      a scenario file that does not render or validate (carries file + path)
    │   └── ScenarioErrors     several of those, all reported at once
    ├── TemplateError          a webhook template that cannot be used
    │   ├── TemplateAssertionFailed   a jsonnet `assert` failed: Lytics omits that user
    │   ├── TemplateEvalError         syntax/runtime error (line, col)
    │   │   └── TemplateImportRefused an import outside the sandbox
    │   └── TemplateTimeout           evaluation ran past its bound
    ├── RemoteError            a remote service answered badly or not at all
    │   ├── AuthError          the token endpoint refused or failed
    │   └── TransportError     connection refused/reset, timeout
    └── ExpectationFailed      a scenario check did not hold

Messages never carry secrets: build them from redacted values only (see harness.redact).
"""

from __future__ import annotations


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


class TemplateError(HarnessError):
    """A webhook template that cannot produce a payload."""


class TemplateAssertionFailed(TemplateError):
    """A jsonnet `assert` failed; Lytics omits the user and logs the message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TemplateEvalError(TemplateError):
    """Jsonnet could not evaluate the template; carries the template position when known."""

    def __init__(
        self, message: str, *, filename: str | None = None, line: int | None = None, col: int | None = None
    ) -> None:
        self.message = message
        self.filename = filename
        self.line = line
        self.col = col
        where = ""
        if filename:
            where = filename
            if line is not None:
                where += f":{line}" + (f":{col}" if col is not None else "")
            where += ": "
        super().__init__(where + message)


class TemplateImportRefused(TemplateEvalError):
    """The template tried to import something other than lytemplates.libsonnet."""


class TemplateTimeout(TemplateError):
    """Evaluation ran past its time bound."""


class RemoteError(HarnessError):
    """A remote service answered with an error or not at all."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(RemoteError):
    """The OAuth token endpoint refused the credentials or failed."""


class TransportError(RemoteError):
    """The request never got an HTTP answer (refused, reset, timed out)."""


class ExpectationFailed(HarnessError):
    """A scenario check failed; the message shows expected vs actual."""
