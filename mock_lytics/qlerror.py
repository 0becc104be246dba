"""The positioned parse error both query languages raise (FilterQL and LQL), so a user finds the bad token."""

from __future__ import annotations

from typing import Self


class PositionedError(ValueError):
    """A text that does not lex or parse; `str()` reads `line 3, col 5: expected ...`.

    `pos` is the 0-based offset of the first offending character; `line`/`col` are 1-based. It subclasses
    ValueError so callers validating user input can catch it generically.
    """

    def __init__(self, message: str, *, pos: int = 0, line: int = 1, col: int = 1) -> None:
        self.message = message
        self.pos = pos
        self.line = line
        self.col = col
        super().__init__(f"line {line}, col {col}: {message}")

    @classmethod
    def at(cls, text: str, pos: int, message: str) -> Self:
        """Build the error for offset `pos` of `text`, working out the 1-based line and column."""
        pos = max(0, min(pos, len(text)))
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        return cls(message, pos=pos, line=line, col=col)

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # keyword-only __init__ breaks default exception pickling (multiprocessing, pytest-xdist)
        return (_rebuild, (type(self), self.message, self.pos, self.line, self.col))


def _rebuild(cls: type[PositionedError], message: str, pos: int, line: int, col: int) -> PositionedError:
    return cls(message, pos=pos, line=line, col=col)
