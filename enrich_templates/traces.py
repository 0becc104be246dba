"""Turn go-jsonnet's error text into the engine's error types, positioned in the user's template.

go-jsonnet reports runtime errors as
    RUNTIME ERROR: <message>
    \t<file>:<line>:<col>-<endcol>\t<context>        (or <file>:(<l1>:<c1>)-(<l2>:<c2>) when multi-line)
    ...
innermost frame first, and static (parse) errors as `<file>:<line>:<col>[-<endcol>] <message>`.
A failed `assert` is a runtime error whose innermost frame is the assert itself in the user's template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from enrich_templates.errors import TemplateAssertionFailed, TemplateEvalError

RUNTIME_PREFIX = "RUNTIME ERROR: "
_POSITION = re.compile(r"(?:(\d+):(\d+)(?:-\d+)?|\((\d+):(\d+)\)-\(\d+:\d+\))")


@dataclass(frozen=True)
class Frame:
    filename: str
    line: int
    col: int


def _position(text: str) -> tuple[int, int, int] | None:
    """(line, col, length consumed) for a position at the start of `text`."""
    m = _POSITION.match(text)
    if m is None:
        return None
    if m.group(1) is not None:
        return int(m.group(1)), int(m.group(2)), m.end()
    return int(m.group(3)), int(m.group(4)), m.end()


def frames(raw: str, filenames: tuple[str, ...]) -> list[Frame]:
    """The stack frames of a runtime error that lie in one of `filenames`, innermost first."""
    out: list[Frame] = []
    for line in raw.split("\n"):
        if not line.startswith("\t"):
            continue
        entry = line[1:]
        for name in filenames:
            if entry.startswith(name + ":"):
                pos = _position(entry[len(name) + 1 :])
                if pos is not None:
                    out.append(Frame(name, pos[0], pos[1]))
                break
        else:
            out.append(Frame("", 0, 0))  # a frame elsewhere (std, the library): keeps "innermost" honest
    return out


def runtime_message(raw: str) -> str:
    body = raw[len(RUNTIME_PREFIX) :] if raw.startswith(RUNTIME_PREFIX) else raw
    end = body.find("\n\t")
    return (body if end < 0 else body[:end]).rstrip()


def _starts_with_keyword(source: str, frame: Frame, keyword: str) -> bool:
    lines = source.split("\n")
    if not 1 <= frame.line <= len(lines):
        return False
    rest = lines[frame.line - 1][frame.col - 1 :]
    return rest.startswith(keyword) and not (rest[len(keyword) : len(keyword) + 1].isalnum())


def classify(raw: str, *, source: str, filename: str, library_name: str) -> Exception:
    """The engine exception for one go-jsonnet error text."""
    if not raw.startswith(RUNTIME_PREFIX):
        return _static_error(raw, filename)
    message = runtime_message(raw)
    stack = frames(raw, (filename, library_name))
    if stack and stack[0].filename == filename and _starts_with_keyword(source, stack[0], "assert"):
        return TemplateAssertionFailed(message)
    user = next((f for f in stack if f.filename == filename), None)
    if message.startswith("max stack frames exceeded"):
        message = "max stack frames exceeded (infinite recursion?)"
    if user is None:
        return TemplateEvalError(message, filename=filename)
    return TemplateEvalError(message, filename=filename, line=user.line, col=user.col)


def _static_error(raw: str, filename: str) -> TemplateEvalError:
    first = raw.strip().split("\n", 1)[0]
    if first.startswith(filename + ":"):
        rest = first[len(filename) + 1 :]
        pos = _position(rest)
        if pos is not None:
            message = rest[pos[2] :].strip()
            return TemplateEvalError(message, filename=filename, line=pos[0], col=pos[1])
    return TemplateEvalError(first, filename=filename)
