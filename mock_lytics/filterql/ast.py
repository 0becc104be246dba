"""FilterQL syntax tree: frozen dataclasses that print themselves back as canonical FilterQL.

``to_ql()`` lets the segment API echo a normalised ``segment_ql``; ``parse(node.to_ql())``
gives an equal tree. Literals work out what they could mean (number, date, boolean) once, here,
so evaluation never re-parses them. Every node carries a private ``_cache`` the evaluator uses to
keep its compiled form; it takes no part in equality or repr.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field  # some dataclasses here have a member named `field`
from typing import Any

from . import values as V
from .lexer import KEYWORDS, quote_ident

COMPARE_OPS = frozenset({"==", "!=", ">", ">=", "<", "<="})
_BARE_TARGET = re.compile(r"[A-Za-z0-9_]+")


@dataclass(frozen=True)
class Node:
    """Base of every tree node."""

    _cache: dict[Any, Any] = dc_field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def to_ql(self) -> str:
        raise NotImplementedError

    def children(self) -> tuple[Node, ...]:
        return ()

    def walk(self) -> Iterator[Node]:
        """This node and all its descendants, depth first."""
        yield self
        for child in self.children():
            yield from child.walk()

    def __str__(self) -> str:
        return self.to_ql()

    def __getstate__(self) -> dict[str, Any]:
        # Compiled closures cannot be pickled; a copy recompiles on first use.
        return {**self.__dict__, "_cache": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


# ----------------------------------------------------------------------------------------- operands
@dataclass(frozen=True)
class Field(Node):
    """A profile field; ``("hits", "foo")`` reads ``profile["hits.foo"]``, else ``profile["hits"]["foo"]``."""

    path: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.path or not all(isinstance(p, str) and p for p in self.path):
            raise ValueError(f"a field path needs non-empty string parts, got {self.path!r}")

    @property
    def name(self) -> str:
        return ".".join(self.path)

    def to_ql(self) -> str:
        return ".".join(quote_ident(p) for p in self.path)


@dataclass(frozen=True)
class Literal(Node):
    """A constant. The derived attributes record every reading of it a comparison may need."""

    value: str | int | float | bool | None
    num: int | float | None = dc_field(init=False, repr=False, compare=False)
    text: str | None = dc_field(init=False, repr=False, compare=False)
    boolean: bool | None = dc_field(init=False, repr=False, compare=False)
    rel: tuple[int, str] | None = dc_field(init=False, repr=False, compare=False)  # date math: (amount, unit)
    epoch: int | None = dc_field(init=False, repr=False, compare=False)  # absolute time, epoch seconds
    is_date: bool = dc_field(init=False, repr=False, compare=False)  # makes the other side read as a date

    def __post_init__(self) -> None:
        v = self.value
        num: int | float | None = None
        boolean: bool | None = None
        rel: tuple[int, str] | None = None
        epoch: int | None = None
        is_date = False
        if isinstance(v, bool):
            boolean = v
        elif isinstance(v, int | float):
            num = v
            epoch = V.epoch_from_number(v)
        elif isinstance(v, str):
            num = V.strict_number(v)
            boolean = V.go_bool(v)
            rel = V.datemath(v)
            if num is not None:
                epoch = V.epoch_from_number(num)
            elif rel is None:
                epoch = V.parse_date_string(v)
            is_date = rel is not None or (num is None and epoch is not None)
        elif v is not None:
            raise ValueError(f"a literal must be a string, number, boolean or null, got {type(v).__name__}")
        for name, val in (("num", num), ("boolean", boolean), ("rel", rel), ("epoch", epoch),
                          ("is_date", is_date), ("text", None if v is None else V.go_string(v))):  # fmt: skip
            object.__setattr__(self, name, val)

    def to_ql(self) -> str:
        v = self.value
        if v is None:
            return "NULL"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        esc = v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        return '"' + esc.replace("\r", "\\r") + '"'


@dataclass(frozen=True)
class Func(Node):
    """A function call such as ``tolower(name)``; the name is stored lower-case."""

    name: str
    args: tuple[Node, ...] = ()

    def children(self) -> tuple[Node, ...]:
        return self.args

    def to_ql(self) -> str:
        return f"{self.name}({', '.join(a.to_ql() for a in self.args)})"


Operand = Field | Literal | Func


# -------------------------------------------------------------------------------------- predicates
@dataclass(frozen=True)
class MatchAll(Node):
    """``*`` / ``match_all``: every profile."""

    def to_ql(self) -> str:
        return "*"


@dataclass(frozen=True)
class Include(Node):
    """``INCLUDE x``: the result of another segment, found by slug or id at evaluation time."""

    target: str

    def __post_init__(self) -> None:
        if not isinstance(self.target, str) or not self.target:
            raise ValueError(f"INCLUDE needs a non-empty segment slug or id, got {self.target!r}")

    def to_ql(self) -> str:
        t = self.target
        bare = _BARE_TARGET.fullmatch(t) and t.upper() not in KEYWORDS
        return "INCLUDE " + (t if bare else "`" + t.replace("`", "``") + "`")


@dataclass(frozen=True)
class Exists(Node):
    field: Node

    def children(self) -> tuple[Node, ...]:
        return (self.field,)

    def to_ql(self) -> str:
        return f"EXISTS {self.field.to_ql()}"


@dataclass(frozen=True)
class Compare(Node):
    """``left op right`` with op one of == != > >= < <= (``=`` and ``<>`` are normalised away)."""

    left: Node
    op: str
    right: Node

    def __post_init__(self) -> None:
        if self.op not in COMPARE_OPS:
            raise ValueError(f"unknown comparison operator {self.op!r}")

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)

    def to_ql(self) -> str:
        return f"{self.left.to_ql()} {self.op} {self.right.to_ql()}"


def _neg(negated: bool) -> str:
    return "NOT " if negated else ""


@dataclass(frozen=True)
class Contains(Node):
    field: Node
    value: Node
    negated: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.field, self.value)

    def to_ql(self) -> str:
        return f"{self.field.to_ql()} {_neg(self.negated)}CONTAINS {self.value.to_ql()}"


@dataclass(frozen=True)
class Like(Node):
    """Glob match; ``regex`` is None for a malformed pattern, which then never matches (as qlbridge)."""

    field: Node
    pattern: str
    negated: bool = False
    regex: re.Pattern[str] | None = dc_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", V.like_regex(self.pattern))

    def children(self) -> tuple[Node, ...]:
        return (self.field,)

    def to_ql(self) -> str:
        return f"{self.field.to_ql()} {_neg(self.negated)}LIKE {Literal(self.pattern).to_ql()}"


@dataclass(frozen=True)
class _Membership(Node):
    field: Node
    values: tuple[Literal, ...] | Field
    negated: bool = False
    keyword = ""

    def children(self) -> tuple[Node, ...]:
        rhs = (self.values,) if isinstance(self.values, Field) else self.values
        return (self.field, *rhs)

    def to_ql(self) -> str:
        if isinstance(self.values, Field):
            rhs = self.values.to_ql()
        else:
            rhs = "(" + ", ".join(v.to_ql() for v in self.values) + ")"
        return f"{self.field.to_ql()} {_neg(self.negated)}{self.keyword} {rhs}"


@dataclass(frozen=True)
class In(_Membership):
    keyword = "IN"


@dataclass(frozen=True)
class Intersects(_Membership):
    keyword = "INTERSECTS"


@dataclass(frozen=True)
class Between(Node):
    field: Node
    lo: Node
    hi: Node
    negated: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.field, self.lo, self.hi)

    def to_ql(self) -> str:
        return f"{self.field.to_ql()} {_neg(self.negated)}BETWEEN {self.lo.to_ql()} AND {self.hi.to_ql()}"


# ------------------------------------------------------------------------------------------- logic
@dataclass(frozen=True)
class Not(Node):
    expr: Node

    def children(self) -> tuple[Node, ...]:
        return (self.expr,)

    def to_ql(self) -> str:
        inner = self.expr.to_ql()
        if isinstance(self.expr, And | Or | Not | Include | Exists | MatchAll):
            return f"NOT {inner}"
        return f"NOT ({inner})"


@dataclass(frozen=True)
class And(Node):
    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items

    def to_ql(self) -> str:
        return "AND ( " + ", ".join(i.to_ql() for i in self.items) + " )"


@dataclass(frozen=True)
class Or(Node):
    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items

    def to_ql(self) -> str:
        return "OR ( " + ", ".join(i.to_ql() for i in self.items) + " )"


@dataclass(frozen=True)
class Filter(Node):
    """A whole statement: ``FILTER expr [FROM table] [LIMIT n] [WITH k=v, ...] [ALIAS slug]``."""

    expr: Node
    table: str = "user"
    alias: str | None = None
    limit: int | None = None
    with_: Mapping[str, Any] = dc_field(default_factory=dict)

    def children(self) -> tuple[Node, ...]:
        return (self.expr,)

    def to_ql(self) -> str:
        parts = [f"FILTER {self.expr.to_ql()}", "FROM " + ".".join(quote_ident(p) for p in self.table.split("."))]
        if self.limit is not None:
            parts.append(f"LIMIT {self.limit}")
        if self.with_:
            kv = ", ".join(f"{quote_ident(k)} = {Literal(v).to_ql()}" for k, v in self.with_.items())
            parts.append(f"WITH {kv}")
        if self.alias is not None:
            parts.append(f"ALIAS {quote_ident(self.alias)}")
        return " ".join(parts)
