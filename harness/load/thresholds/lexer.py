"""Tokens of the threshold language (`enrich_latency_p99_ms < 250`, `achieved_rate >= 0.95 * ansira_limit`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    NUMBER = "number"
    METRIC = "metric"
    OP = "operator"  # + - * /
    CMP = "comparison"  # < <= > >= == !=
    LPAREN = "("
    RPAREN = ")"
    END = "end of text"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str
    pos: int  # 0-based column in the threshold text


class ThresholdSyntaxError(ValueError):
    """A threshold that does not parse; `pos` is the 0-based column, shown with a caret by `__str__`."""

    def __init__(self, message: str, text: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.pos = pos

    def __str__(self) -> str:
        return f"{self.message} at column {self.pos + 1}\n    {self.text}\n    {' ' * self.pos}^"


_NUMBER = re.compile(r"(?:\d(?:_?\d)*)?(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d+)?")
_METRIC = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CMP = ("<=", ">=", "==", "!=", "<", ">")


def tokenize(text: str) -> list[Token]:
    """Split a threshold into tokens; the list always ends with an END token."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t":
            i += 1
            continue
        if ch.isascii() and (ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit())):
            m = _NUMBER.match(text, i)
            assert m is not None and m.end() > i
            if m.end() < n and (text[m.end()].isalpha() or text[m.end()] == "_"):
                raise ThresholdSyntaxError(f"a number cannot run into a name ({text[i:m.end() + 1]!r}); "
                                           "write units into the metric name (e.g. _ms)", text, m.end())
            tokens.append(Token(Kind.NUMBER, m.group(), i))
            i = m.end()
            continue
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            m = _METRIC.match(text, i)
            assert m is not None
            tokens.append(Token(Kind.METRIC, m.group(), i))
            i = m.end()
            continue
        cmp = next((c for c in _CMP if text.startswith(c, i)), None)
        if cmp is not None:
            tokens.append(Token(Kind.CMP, cmp, i))
            i += len(cmp)
            continue
        if ch in "+-*/":
            tokens.append(Token(Kind.OP, ch, i))
        elif ch == "(":
            tokens.append(Token(Kind.LPAREN, ch, i))
        elif ch == ")":
            tokens.append(Token(Kind.RPAREN, ch, i))
        elif ch == "=":
            raise ThresholdSyntaxError("single '=' is not a comparison; use '=='", text, i)
        else:
            raise ThresholdSyntaxError(f"unexpected character {ch!r}; expected a metric name, a number, "
                                       "+ - * / ( ) or a comparison (< <= > >= == !=)", text, i)
        i += 1
    tokens.append(Token(Kind.END, "", n))
    return tokens
