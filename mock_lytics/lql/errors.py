"""The one error LQL raises, positioned so a user can find the bad token in a multi-line query file."""

from __future__ import annotations


class LQLError(ValueError):
    """A query or expression that does not lex or parse; `str()` reads `line 3, col 5: expected ...`."""

    def __init__(self, message: str, *, pos: int = 0, line: int = 1, col: int = 1) -> None:
        self.message = message
        self.pos = pos
        self.line = line
        self.col = col
        super().__init__(f"line {line}, col {col}: {message}")

    @classmethod
    def at(cls, text: str, pos: int, message: str) -> LQLError:
        """Build the error for offset `pos` of `text`, working out the 1-based line and column."""
        pos = max(0, min(pos, len(text)))
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        return cls(message, pos=pos, line=line, col=col)

    def __reduce__(self) -> tuple[object, tuple[str, int, int, int]]:
        # keyword-only __init__ breaks default exception pickling (multiprocessing, pytest-xdist)
        return (_rebuild, (self.message, self.pos, self.line, self.col))


def _rebuild(message: str, pos: int, line: int, col: int) -> LQLError:
    return LQLError(message, pos=pos, line=line, col=col)
