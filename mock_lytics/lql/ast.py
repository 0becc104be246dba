"""LQL syntax tree. Immutable and comparable, so tests can build expected trees and `to_lql()` round-trips.

`to_lql()` prints canonical LQL: keywords upper-case, `==` for `=`, dotted or odd field names in
backticks (the form Lytics' mapping docs use), and only the parentheses precedence needs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .lexer import KEYWORDS

if TYPE_CHECKING:
    from .registry import FunctionSpec

# Binding strength, loosest first; a child looser than its parent is parenthesised.
PREC_OR, PREC_AND, PREC_NOT, PREC_PRED, PREC_ADD, PREC_MUL, PREC_NEG, PREC_ATOM = range(1, 9)
BINARY_PREC = {
    "OR": PREC_OR, "AND": PREC_AND,
    "==": PREC_PRED, "!=": PREC_PRED, "<": PREC_PRED, "<=": PREC_PRED, ">": PREC_PRED, ">=": PREC_PRED,
    "+": PREC_ADD, "-": PREC_ADD, "*": PREC_MUL, "/": PREC_MUL, "%": PREC_MUL,
}  # fmt: skip
_BARE_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Expr:
    """Base of every expression node; `_code` caches the evaluator's compiled closure (not in equality)."""

    __slots__ = ("_code",)
    prec = PREC_ATOM

    def to_lql(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.to_lql()


def _wrap(child: Expr, min_prec: int) -> str:
    text = child.to_lql()
    return f"({text})" if child.prec < min_prec else text


def quote_ident(name: str) -> str:
    """Bare when the lexer would read it back as this identifier, else backtick-quoted."""
    if _BARE_IDENT.fullmatch(name) and name.upper() not in KEYWORDS:
        return name
    return "`" + name.replace("`", "``") + "`"


@dataclass(frozen=True, slots=True)
class Literal(Expr):
    """A string, number, boolean or NULL written in the query."""

    value: str | int | float | bool | None

    def to_lql(self) -> str:
        v = self.value
        if v is None:
            return "NULL"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        return repr(v)


@dataclass(frozen=True, slots=True)
class Ident(Expr):
    """A stream key such as `response.uuid` (read flat first, then as a nested path)."""

    name: str

    def to_lql(self) -> str:
        return quote_ident(self.name)


@dataclass(frozen=True, slots=True)
class Array(Expr):
    """`[a, b, ...]`: a list value."""

    items: tuple[Expr, ...]

    def to_lql(self) -> str:
        return "[" + ", ".join(i.to_lql() for i in self.items) + "]"


@dataclass(frozen=True, slots=True)
class Call(Expr):
    """`name(args)`; `fn` is resolved by the parser so evaluation never looks names up."""

    name: str
    args: tuple[Expr, ...]
    fn: FunctionSpec | None = field(default=None, compare=False, repr=False)

    def to_lql(self) -> str:
        return f"{self.name}(" + ", ".join(a.to_lql() for a in self.args) + ")"


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    """`left op right` for AND, OR, comparisons and arithmetic."""

    op: str
    left: Expr
    right: Expr

    @property
    def prec(self) -> int:  # type: ignore[override]
        return BINARY_PREC[self.op]

    def to_lql(self) -> str:
        p = self.prec
        # The parser builds left-leaning trees, so a right operand of equal precedence keeps its parentheses.
        return f"{_wrap(self.left, p)} {self.op} {_wrap(self.right, p + 1)}"


@dataclass(frozen=True, slots=True)
class Not(Expr):
    """`NOT expr`."""

    expr: Expr
    prec = PREC_NOT

    def to_lql(self) -> str:
        return "NOT " + _wrap(self.expr, PREC_NOT)


@dataclass(frozen=True, slots=True)
class Neg(Expr):
    """Unary minus on a non-literal (`-x`); `-5` is folded into a Literal by the parser."""

    expr: Expr
    prec = PREC_NEG

    def to_lql(self) -> str:
        return "-" + _wrap(self.expr, PREC_ATOM)


@dataclass(frozen=True, slots=True)
class Exists(Expr):
    """`EXISTS f`: true when f has a non-empty value."""

    expr: Expr
    prec = PREC_PRED

    def to_lql(self) -> str:
        return "EXISTS " + _wrap(self.expr, PREC_ATOM)


@dataclass(frozen=True, slots=True)
class In(Expr):
    """`f [NOT] IN (a, b, ...)`."""

    expr: Expr
    items: tuple[Expr, ...]
    negated: bool = False
    prec = PREC_PRED

    def to_lql(self) -> str:
        op = "NOT IN" if self.negated else "IN"
        return f"{_wrap(self.expr, PREC_ADD)} {op} (" + ", ".join(i.to_lql() for i in self.items) + ")"


@dataclass(frozen=True, slots=True)
class Contains(Expr):
    """`f [NOT] CONTAINS s`: substring test (any element, for a list)."""

    expr: Expr
    value: Expr
    negated: bool = False
    prec = PREC_PRED

    def to_lql(self) -> str:
        op = "NOT CONTAINS" if self.negated else "CONTAINS"
        return f"{_wrap(self.expr, PREC_ADD)} {op} {_wrap(self.value, PREC_ADD)}"


@dataclass(frozen=True, slots=True)
class Like(Expr):
    """`f [NOT] LIKE "a*"`: glob match, `*`/`%` any run, `?` one character."""

    expr: Expr
    pattern: Expr
    negated: bool = False
    prec = PREC_PRED

    def to_lql(self) -> str:
        op = "NOT LIKE" if self.negated else "LIKE"
        return f"{_wrap(self.expr, PREC_ADD)} {op} {_wrap(self.pattern, PREC_ADD)}"


@dataclass(frozen=True, slots=True)
class Column:
    """One SELECT column: where the value comes from and the profile field it feeds."""

    expr: Expr
    name: str
    condition: Expr | None = None
    kind: str | None = None
    mergeop: str | None = None
    shortdesc: str | None = None
    longdesc: str | None = None

    def to_lql(self) -> str:
        parts = [self.expr.to_lql()]
        if not (isinstance(self.expr, Ident) and self.expr.name == self.name):
            parts.append(f"AS {quote_ident(self.name)}")
        if self.condition is not None:
            parts.append(f"IF {self.condition.to_lql()}")
        if self.shortdesc is not None:
            parts.append(f"SHORTDESC {json.dumps(self.shortdesc, ensure_ascii=False)}")
        if self.longdesc is not None:
            parts.append(f"LONGDESC {json.dumps(self.longdesc, ensure_ascii=False)}")
        if self.kind is not None:
            parts.append(f"KIND {self.kind}")
        if self.mergeop is not None:
            parts.append(f"MERGEOP {self.mergeop.upper()}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Query:
    """A whole LQL statement: SELECT columns FROM stream INTO table BY ids [WHERE cond] ALIAS name."""

    columns: tuple[Column, ...]
    stream: str
    table: str
    by: tuple[str, ...]
    where: Expr | None
    alias: str

    def identity_fields(self) -> tuple[str, ...]:
        """The BY fields: the identity keys that merge this stream's rows into profiles."""
        return self.by

    def to_lql(self) -> str:
        lines = ["SELECT"]
        lines += [f"    {'' if i == 0 else ', '}{c.to_lql()}" for i, c in enumerate(self.columns)]
        lines += [f"FROM {quote_ident(self.stream)}", f"INTO {quote_ident(self.table)}"]
        lines.append("BY " + " OR ".join(quote_ident(b) for b in self.by))
        if self.where is not None:
            lines.append(f"WHERE {self.where.to_lql()}")
        lines.append(f"ALIAS {quote_ident(self.alias)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_lql()
