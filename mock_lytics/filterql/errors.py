"""The one error FilterQL raises, positioned so a segment author can find the mistake."""

from __future__ import annotations


class FilterQLError(ValueError):
    """A FilterQL text that does not lex or parse.

    ``pos`` is the 0-based offset of the first offending character; ``line``/``col`` are 1-based.
    It subclasses ValueError so callers validating user input can catch it generically.
    """

    def __init__(self, message: str, *, pos: int, line: int, col: int) -> None:
        self.message = message
        self.pos = pos
        self.line = line
        self.col = col
        super().__init__(f"line {line}, col {col}: {message}")

    @classmethod
    def at(cls, text: str, pos: int, message: str) -> FilterQLError:
        """Build the error for offset ``pos`` in ``text`` (line/col derived from the text)."""
        pos = max(0, min(pos, len(text)))
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        return cls(message, pos=pos, line=line, col=col)
