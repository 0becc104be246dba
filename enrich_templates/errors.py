"""The template engine's own errors, so runner, mock Lytics and CLI catch by meaning without importing each other.

    TemplateError                 root: a template, or its render inputs, cannot produce a payload
    ├── TemplateInputError        the inputs are unusable (entity not an object, non-JSON config, bad option)
    ├── TemplateAssertionFailed   a jsonnet `assert` failed: Lytics omits that user
    ├── TemplateEvalError         syntax/runtime error (line, col)
    │   └── TemplateImportRefused an import outside the sandbox
    └── TemplateTimeout           evaluation ran past its bound

harness.errors re-exports these names; a harness caller maps TemplateInputError to its usage exit code.
"""

from __future__ import annotations


class TemplateError(Exception):
    """Root of every error the template engine raises on purpose."""


class TemplateInputError(TemplateError, ValueError):
    """What the caller handed the engine is unusable: the caller's fault, not the template's."""


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
