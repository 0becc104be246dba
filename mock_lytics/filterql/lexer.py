"""FilterQL text -> tokens with offsets.

Kept separate from the parser so every token carries the exact source span an error message
can point at. Comments vanish here; newlines survive as tokens because the parser treats them
as item separators inside ``AND ( ... )`` / ``OR ( ... )``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from .errors import FilterQLError

KEYWORDS = frozenset(
    {
        "FILTER", "SELECT", "FROM", "WHERE", "LIMIT", "WITH", "ALIAS",
        "AND", "OR", "NOT", "INCLUDE", "EXISTS", "IN", "INTERSECTS", "CONTAINS", "LIKE", "BETWEEN",
        "TRUE", "FALSE", "NULL",
    }
)  # fmt: skip

# Token kinds. Single-character punctuation uses the character itself as its kind.
IDENT, KW, STRING, NUMBER, OP, NEWLINE, EOF = "IDENT", "KW", "STRING", "NUMBER", "OP", "NEWLINE", "EOF"
PUNCT = frozenset("(),*;[]")
_OPS = ("==", "!=", "<>", ">=", "<=", "=", ">", "<")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}
_IDENT_EXTRA = "_@-"  # besides letters/digits, as qlbridge's IDENTITY_SQL_CHARS (minus '.', the path separator)
_DIGITS = frozenset("0123456789")  # str.isdigit() also accepts "²", which int() rejects
_PRINT_QUOTED = re.compile(r"match_all|now(?:[+-]\d+[yMwdhms])?", re.IGNORECASE)  # re-read as * / date


@dataclass(frozen=True, slots=True)
class Token:
    """One lexeme. ``value`` is: keyword (upper case), path tuple, decoded string, number or operator."""

    kind: str
    value: Any
    pos: int
    end: int
    bare: bool = True  # for IDENT: no part was backtick-quoted

    def describe(self, text: str) -> str:
        if self.kind == EOF:
            return "end of input"
        if self.kind == NEWLINE:
            return "newline"
        raw = text[self.pos : self.end]
        return repr(raw if len(raw) <= 40 else raw[:37] + "...")


def keyword_hint(text: str, tokens: list[Token], tok: Token) -> str:
    """A misspelt keyword lexes as a field name, and the error lands on it or on the token after it: name it.

    A hint in the message text only (real Lytics gives none); status codes and error shapes stay as they are.
    """
    at = tokens.index(tok) if tok in tokens else -1
    for cand in (tok, tokens[at - 1] if at > 0 else None):
        if cand is None or cand.kind != IDENT or not cand.bare or len(cand.value) != 1:
            continue
        match = difflib.get_close_matches(cand.value[0].upper(), sorted(KEYWORDS), n=1, cutoff=0.65)
        if match:
            return f" ({cand.describe(text)} is not a keyword: did you mean {match[0]}?)"
    return ""


def is_bare_ident(part: str) -> bool:
    """True when ``part`` can be written without backticks and lexes back to the same single part."""
    if not part or not (part[0].isalpha() or part[0] == "_") or part.upper() in KEYWORDS:
        return False
    if _PRINT_QUOTED.fullmatch(part):
        return False
    return "--" not in part and all(c.isalnum() or c in _IDENT_EXTRA for c in part)


def quote_ident(part: str) -> str:
    return part if is_bare_ident(part) else "`" + part.replace("`", "``") + "`"


def tokenize(text: str) -> list[Token]:
    """Lex the whole text up front: statements are short and the parser needs lookahead."""
    return _Lexer(text).run()


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.out: list[Token] = []

    def fail(self, pos: int, message: str) -> FilterQLError:
        return FilterQLError.at(self.text, pos, message)

    def run(self) -> list[Token]:
        text, n = self.text, len(self.text)
        while self.i < n:
            c = text[self.i]
            if c == "\n":
                self.out.append(Token(NEWLINE, "\n", self.i, self.i + 1))
                self.i += 1
            elif c in " \t\r\f\v":
                self.i += 1
            elif text.startswith("--", self.i):
                nl = text.find("\n", self.i)
                self.i = n if nl < 0 else nl
            elif c in "\"'":
                self._string(c)
            elif c == "`" or c.isalpha() or c == "_":
                self._ident()
            elif c in _DIGITS or (c in "-+." and self._digit_at(self.i + 1)):
                self._number()
            elif c in PUNCT:
                self.out.append(Token(c, c, self.i, self.i + 1))
                self.i += 1
            else:
                op = next((o for o in _OPS if text.startswith(o, self.i)), None)
                if op is None:
                    raise self.fail(self.i, f"unexpected character {c!r}")
                self.out.append(Token(OP, op, self.i, self.i + len(op)))
                self.i += len(op)
        self.out.append(Token(EOF, None, n, n))
        return self.out

    def _digit_at(self, j: int) -> bool:
        return j < len(self.text) and self.text[j] in _DIGITS

    def _string(self, quote: str) -> None:
        text, start = self.text, self.i
        j, buf = start + 1, []
        while j < len(text):
            c = text[j]
            if c == "\\" and j + 1 < len(text):
                buf.append(_ESCAPES.get(text[j + 1], text[j + 1]))
                j += 2
            elif c == quote:
                if (text.startswith(quote * 2, j) and j > start + 1) or text.startswith(quote * 3, j):
                    buf.append(quote)  # SQL-style doubled quote, as qlbridge accepts ("Toys R"" Us")
                    j += 2
                    continue
                self.out.append(Token(STRING, "".join(buf), start, j + 1))
                self.i = j + 1
                return
            else:
                buf.append(c)
                j += 1
        raise self.fail(start, f"unterminated string starting with {quote}")

    def _ident(self) -> None:
        text, start = self.text, self.i
        parts: list[str] = []
        bare = True
        while True:
            if self.i < len(text) and text[self.i] == "`":
                parts.append(self._backtick())
                bare = False
            else:
                parts.append(self._bare_part())
            nxt = self.i + 1
            if (
                self.i < len(text)
                and text[self.i] == "."
                and nxt < len(text)
                and (text[nxt] == "`" or text[nxt].isalnum() or text[nxt] == "_")
            ):
                self.i = nxt
                continue
            break
        if bare and len(parts) == 1 and parts[0].upper() in KEYWORDS:
            self.out.append(Token(KW, parts[0].upper(), start, self.i))
        else:
            self.out.append(Token(IDENT, tuple(parts), start, self.i, bare))

    def _bare_part(self) -> str:
        text, start = self.text, self.i
        j = start
        while j < len(text) and (text[j].isalnum() or text[j] in _IDENT_EXTRA):
            if text.startswith("--", j):
                break
            j += 1
        self.i = j
        return text[start:j]

    def _backtick(self) -> str:
        text, start = self.text, self.i
        j, buf = start + 1, []
        while j < len(text):
            if text[j] == "`":
                if text.startswith("``", j):
                    buf.append("`")
                    j += 2
                    continue
                self.i = j + 1
                if not buf:
                    raise self.fail(start, "empty quoted identifier ``")
                return "".join(buf)
            buf.append(text[j])
            j += 1
        raise self.fail(start, "unterminated quoted identifier starting with `")

    def _number(self) -> None:
        text, start = self.text, self.i
        j = start + (1 if text[start] in "-+" else 0)
        while j < len(text) and text[j] in _DIGITS:
            j += 1
        is_float = False
        if j < len(text) and text[j] == "." and self._digit_at(j + 1):
            is_float = True
            j += 1
            while j < len(text) and text[j] in _DIGITS:
                j += 1
        if j < len(text) and text[j] in "eE":
            k = j + 1 + (1 if j + 1 < len(text) and text[j + 1] in "+-" else 0)
            if self._digit_at(k):
                is_float = True
                j = k
                while j < len(text) and text[j] in _DIGITS:
                    j += 1
        if j < len(text) and (text[j].isalnum() or text[j] == "_") and text[start] in _DIGITS:
            # A word that merely starts with digits, e.g. an INCLUDE target "3d4240482815b9848caf2e6f".
            self.i = start
            part = self._bare_part()
            self.out.append(Token(IDENT, (part,), start, self.i))
            return
        raw = text[start:j]
        try:
            value = float(raw) if is_float else int(raw)
        except ValueError:  # past Python's 4300-digit limit for int(str)
            raise self.fail(start, f"number literal of {len(raw)} digits is too long") from None
        self.out.append(Token(NUMBER, value, start, j))
        self.i = j
