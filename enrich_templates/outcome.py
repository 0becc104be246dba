"""One evaluation's result as plain data: what the engine returns and what the isolation child sends back.

Shared by the engine and the isolation parent, so neither imports the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from enrich_templates.errors import (
    TemplateAssertionFailed,
    TemplateError,
    TemplateEvalError,
    TemplateImportRefused,
    TemplateTimeout,
)
from enrich_templates.traces import RUNTIME_PREFIX


@dataclass(frozen=True)
class Evaluation:
    """One evaluation's result in plain data, so it can cross a process boundary."""

    text: str | None = None
    kind: str | None = None  # None = success; "assert" | "eval" | "refused" | "timeout"
    message: str = ""
    line: int | None = None
    col: int | None = None
    raw: str = ""  # the error text go-jsonnet printed (or an equivalent one for our own refusals)
    fields_read: tuple[str, ...] = ()

    def to_error(self, filename: str) -> TemplateError:
        if self.kind == "assert":
            return TemplateAssertionFailed(self.message)
        if self.kind == "timeout":
            return TemplateTimeout(self.message)
        cls = TemplateImportRefused if self.kind == "refused" else TemplateEvalError
        return cls(self.message, filename=filename, line=self.line, col=self.col)


def failure(exc: TemplateError, raw: str) -> Evaluation:
    """The Evaluation for a template fault (`raw` is go-jsonnet's text, or synthetic_raw() for our own)."""
    if isinstance(exc, TemplateAssertionFailed):
        return Evaluation(kind="assert", message=exc.message, raw=raw)
    if isinstance(exc, TemplateTimeout):
        return Evaluation(kind="timeout", message=str(exc), raw=raw)
    assert isinstance(exc, TemplateEvalError)
    kind = "refused" if isinstance(exc, TemplateImportRefused) else "eval"
    return Evaluation(kind=kind, message=exc.message, line=exc.line, col=exc.col, raw=raw)


def synthetic_raw(message: str, filename: str, line: int | None = None, col: int | None = None) -> str:
    """Error text in go-jsonnet's runtime-error shape, for faults the engine finds itself (render_text shows it)."""
    where = f"\n\t{filename}:{line}:{col}\t" if line is not None else ""
    return f"{RUNTIME_PREFIX}{message}{where}\n"
