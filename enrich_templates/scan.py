"""A small jsonnet lexer: enough to find imports and the names a template mentions, without evaluating it.

Two uses: the sandbox refuses a forbidden import before anything runs (even one a lazy evaluation would
never reach), and the engine serves each template only the library members it names. The lexer never
raises: on text it cannot tokenize (an unterminated string, say) it stops, and go-jsonnet reports the
syntax error with its own position when the template is evaluated or checked.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

IMPORT_KEYWORDS = frozenset({"import", "importstr", "importbin"})
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


@dataclass(frozen=True)
class Token:
    kind: str  # "ident" | "string" | "op"
    value: str
    line: int
    col: int
    start: int = 0  # offsets into the source: source[start:end] is the token as written
    end: int = 0


@dataclass(frozen=True)
class ImportRef:
    """One `import`/`importstr`/`importbin` with its literal path and where it sits (1-based)."""

    keyword: str
    path: str
    line: int
    col: int
    start: int = 0  # source[start:end] is the whole `import 'path'` expression
    end: int = 0


@dataclass(frozen=True)
class Scan:
    imports: tuple[ImportRef, ...]
    names: frozenset[str]  # every identifier and string-literal value in the source
    bare_names: frozenset[str]  # identifiers not written after a '.' (variables rather than field accesses)


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.line_start = 0

    def _advance_to(self, end: int) -> None:
        chunk = self.text[self.pos : end]
        newlines = chunk.count("\n")
        if newlines:
            self.line += newlines
            self.line_start = self.pos + chunk.rindex("\n") + 1
        self.pos = end

    def tokens(self) -> list[Token]:
        out: list[Token] = []
        text, n = self.text, len(self.text)
        while self.pos < n:
            ch = text[self.pos]
            start = self.pos
            line, col = self.line, self.pos - self.line_start + 1
            if ch in " \t\r\n":
                self._advance_to(self.pos + 1)
            elif ch == "#" or text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self._advance_to(n if end < 0 else end)
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    break
                self._advance_to(end + 2)
            elif ch.isalpha() or ch == "_":
                end = self.pos + 1
                while end < n and (text[end].isalnum() or text[end] == "_"):
                    end += 1
                out.append(Token("ident", text[self.pos : end], line, col, start, end))
                self._advance_to(end)
            elif ch in "\"'" or (ch == "@" and text[self.pos + 1 : self.pos + 2] in ("'", '"')):
                value = self._string()
                if value is None:
                    break
                out.append(Token("string", value, line, col, start, self.pos))
            elif text.startswith("|||", self.pos):
                value = self._text_block()
                if value is None:
                    break
                out.append(Token("string", value, line, col, start, self.pos))
            else:
                out.append(Token("op", ch, line, col, start, start + 1))
                self._advance_to(self.pos + 1)
        return out

    def _string(self) -> str | None:
        text, start = self.text, self.pos
        verbatim = text[start] == "@"
        quote = text[start + 1] if verbatim else text[start]
        i, chars = start + (2 if verbatim else 1), []
        while i < len(text):
            ch = text[i]
            if verbatim and ch == quote:
                if text[i + 1 : i + 2] == quote:  # doubled quote inside @'...'
                    chars.append(quote)
                    i += 2
                    continue
                self._advance_to(i + 1)
                return "".join(chars)
            if not verbatim and ch == quote:
                self._advance_to(i + 1)
                return "".join(chars)
            if not verbatim and ch == "\\":
                nxt = text[i + 1 : i + 2]
                if nxt == "u":
                    code = _hex4(text, i + 2)
                    if code is None:
                        return None
                    i += 6
                    low = _hex4(text, i + 2) if text.startswith("\\u", i) else None
                    if 0xD800 <= code < 0xDC00 and low is not None and 0xDC00 <= low < 0xE000:
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)  # a surrogate pair
                        i += 6
                    chars.append(chr(code))
                    continue
                if nxt not in _ESCAPES:
                    return None
                chars.append(_ESCAPES[nxt])
                i += 2
                continue
            chars.append(ch)
            i += 1
        return None

    def _text_block(self) -> str | None:
        # |||[-]\n  lines...\n|||  : the block ends at the first later line whose content starts with |||.
        text = self.text
        first_nl = text.find("\n", self.pos)
        if first_nl < 0:
            return None
        i, lines = first_nl + 1, list[str]()
        while i < len(text):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            line = text[i:end]
            if line.lstrip().startswith("|||"):
                self._advance_to(i + line.index("|||") + 3)
                return "\n".join(lines)
            lines.append(line.strip())
            i = end + 1
        return None


def _hex4(text: str, start: int) -> int | None:
    digits = text[start : start + 4]
    if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        return None
    return int(digits, 16)


@lru_cache(maxsize=512)
def scan(source: str) -> Scan:
    """Imports and mentioned names of a jsonnet source; cached because the engine scans on every render."""
    tokens = _Lexer(source).tokens()
    imports: list[ImportRef] = []
    for tok, nxt in itertools.pairwise(tokens):
        if tok.kind == "ident" and tok.value in IMPORT_KEYWORDS and nxt.kind == "string":
            imports.append(ImportRef(tok.value, nxt.value, tok.line, tok.col, tok.start, nxt.end))
    # An import keyword with no literal after it is a syntax error go-jsonnet will report; an import keyword
    # as the very last token likewise. Either way nothing can be imported.
    names = frozenset(t.value for t in tokens if t.kind in ("ident", "string"))
    bare = frozenset(
        t.value
        for prev, t in itertools.pairwise([Token("op", "", 0, 0), *tokens])
        if t.kind == "ident" and not (prev.kind == "op" and prev.value == ".")
    )
    return Scan(tuple(imports), names, bare)
