"""LQL text -> tokens. Kept apart from the parser so every error can name the exact offending character."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import LQLError

KEYWORDS = frozenset(
    {
        "SELECT", "FROM", "INTO", "BY", "OR", "AND", "NOT", "WHERE", "ALIAS", "AS", "IF", "KIND", "MERGEOP",
        "SHORTDESC", "LONGDESC", "EXISTS", "IN", "CONTAINS", "LIKE", "TRUE", "FALSE", "NULL",
    }
)  # fmt: skip


class T(StrEnum):
    """Token kinds."""

    KEYWORD = "keyword"
    IDENT = "identifier"
    STRING = "string"
    NUMBER = "number"
    OP = "operator"
    EOF = "end of input"


@dataclass(frozen=True, slots=True)
class Token:
    """One lexeme: `value` is the decoded value (keyword upper-cased, string unescaped, number parsed)."""

    kind: T
    value: Any
    pos: int
    text: str
    quoted: bool = False  # a backtick identifier: never a keyword, never a function name

    def describe(self) -> str:
        """How an error message names this token: `'INTO'`, `end of input`."""
        return "end of input" if self.kind is T.EOF else repr(self.text)

    def is_kw(self, *words: str) -> bool:
        return self.kind is T.KEYWORD and self.value in words

    def is_op(self, *ops: str) -> bool:
        return self.kind is T.OP and self.value in ops


_IDENT = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*"
_NUMBER = r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
# Longest operators first so `>=` never lexes as `>` then `=`.
_OPS = ("==", "!=", "<>", "<=", ">=", "&&", "||", "=", "<", ">", "(", ")", "[", "]", ",", "+", "-", "*", "/",
        "%", "!", ";")  # fmt: skip
_OP_CANON = {"=": "==", "<>": "!=", "&&": "AND", "||": "OR", "!": "NOT"}
_MASTER = re.compile(
    r"(?P<ws>\s+)|(?P<comment>(?:--|\#)[^\n]*)|(?P<number>" + _NUMBER + r")|(?P<ident>" + _IDENT + r")"
    r"|(?P<op>" + "|".join(re.escape(o) for o in _OPS) + r")"
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0"}
_ESCAPES.update({c: c for c in "\\\"'/`"})


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens ending with one EOF token; raise LQLError at the first unlexable character."""
    tokens: list[Token] = []
    pos, n = 0, len(text)
    while pos < n:
        ch = text[pos]
        if ch in "\"'":
            string, end = _read_string(text, pos)
            tokens.append(Token(T.STRING, string, pos, text[pos:end]))
            pos = end
            continue
        if ch == "`":
            name, end = _read_backtick(text, pos)
            tokens.append(Token(T.IDENT, name, pos, text[pos:end], quoted=True))
            pos = end
            continue
        m = _MASTER.match(text, pos)
        if m is None:
            raise LQLError.at(text, pos, f"unexpected character {ch!r}")
        kind, lexeme = m.lastgroup, m.group()
        if kind == "number":
            try:
                value: Any = float(lexeme) if any(c in lexeme for c in ".eE") else int(lexeme)
            except ValueError:  # past Python's 4300-digit limit for int(str)
                raise LQLError.at(text, pos, f"number literal of {len(lexeme)} digits is too long") from None
            tokens.append(Token(T.NUMBER, value, pos, lexeme))
        elif kind == "ident":
            upper = lexeme.upper()
            if upper in KEYWORDS:
                tokens.append(Token(T.KEYWORD, upper, pos, lexeme))
            else:
                tokens.append(Token(T.IDENT, lexeme, pos, lexeme))
        elif kind == "op":
            canon = _OP_CANON.get(lexeme, lexeme)
            tok_kind = T.KEYWORD if canon in ("AND", "OR", "NOT") else T.OP
            tokens.append(Token(tok_kind, canon, pos, lexeme))
        pos = m.end()
    tokens.append(Token(T.EOF, None, n, ""))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    quote, out, pos = text[start], list[str](), start + 1
    while pos < len(text):
        ch = text[pos]
        if ch == quote:
            return "".join(out), pos + 1
        if ch == "\\":
            if pos + 1 >= len(text):
                break
            esc = text[pos + 1]
            if esc == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[pos + 2 : pos + 6]):
                out.append(chr(int(text[pos + 2 : pos + 6], 16)))
                pos += 6
                continue
            if esc not in _ESCAPES:
                raise LQLError.at(text, pos, f"unknown escape \\{esc} in string")
            out.append(_ESCAPES[esc])
            pos += 2
            continue
        out.append(ch)
        pos += 1
    raise LQLError.at(text, start, f"unterminated string: no closing {quote}")


def _read_backtick(text: str, start: int) -> tuple[str, int]:
    out, pos = [], start + 1
    while pos < len(text):
        ch = text[pos]
        if ch == "`":
            if text.startswith("``", pos):  # a doubled backtick is a literal backtick
                out.append("`")
                pos += 2
                continue
            if not out:
                raise LQLError.at(text, start, "empty backtick identifier")
            return "".join(out), pos + 1
        if ch == "\n":
            break
        out.append(ch)
        pos += 1
    raise LQLError.at(text, start, "unterminated identifier: no closing `")
