"""AST -> value against one stream event.

Mappings run on every collected event, so each node is compiled once into a Python closure (cached on the
node) and evaluation is a chain of direct calls: no per-event type dispatch or function-name lookups.
Evaluation never raises for data reasons: a missing field or a function given unusable input is None.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from .ast import (
    Array,
    Binary,
    Call,
    Column,
    Contains,
    Exists,
    Expr,
    Ident,
    In,
    Like,
    Literal,
    Neg,
    Not,
    Query,
)
from .errors import LQLError
from .functions import lookup
from .values import LISTS, arith, coerce_kind, compare, contains, in_list, is_empty, is_number, like, to_bool

Event = Mapping[str, Any]
Code = Callable[[Event, "datetime | None"], Any]
# What a builtin may raise on odd input; the contract is "bad input -> None", never an exception.
_BAD_INPUT = (TypeError, ValueError, AttributeError, KeyError, IndexError, ArithmeticError, re.error)


def evaluate(expr: Expr, event: Event, *, now: datetime | None = None) -> Any:
    """The value of `expr` for `event` (a flat dict with dotted keys); None means "no value".

    Empty strings, lists and maps are also returned as None: Lytics does not store them on a profile.
    `now` fixes what now() and "now-1d" date math see (default: the wall clock at call time).
    """
    v = compile_expr(expr)(event, now)
    return None if is_empty(v) else v


def truthy(expr: Expr | None, event: Event, *, now: datetime | None = None) -> bool:
    """Whether an IF / WHERE / guard_expr condition holds; a missing condition (None) always holds."""
    if expr is None:
        return True
    return _truth(compile_expr(expr)(event, now))


def evaluate_query(query: Query, event: Event, *, now: datetime | None = None) -> dict[str, Any]:
    """{field: value} this event contributes through `query`: WHERE, IF and KIND applied, empties dropped.

    When several columns feed one field, the first with a value wins (the store's merge op handles events).
    """
    if not truthy(query.where, event, now=now):
        return {}
    out: dict[str, Any] = {}
    for col in query.columns:
        if col.name not in out:
            value = evaluate_column(col, event, now=now)
            if value is not None:
                out[col.name] = value
    return out


def evaluate_column(column: Column, event: Event, *, now: datetime | None = None) -> Any:
    """The column's value cast to its KIND, or None when its IF does not hold or the cast fails."""
    if not truthy(column.condition, event, now=now):
        return None
    value = evaluate(column.expr, event, now=now)
    return coerce_kind(value, column.kind, now) if column.kind and value is not None else value


def _truth(v: Any) -> bool:
    if v is True or v is False:
        return v
    if v is None:
        return False
    if isinstance(v, str):
        return to_bool(v) is True
    if is_number(v):
        return v != 0
    return not is_empty(v)


def compile_expr(expr: Expr) -> Code:
    """The closure evaluating `expr`; built on first use and kept on the node."""
    code: Code | None = getattr(expr, "_code", None)
    if code is None:
        if not isinstance(expr, Expr):
            raise TypeError(f"expected an LQL expression node, got {type(expr).__name__}")
        code = _COMPILERS[type(expr)](expr)
        object.__setattr__(expr, "_code", code)
    return code


def _literal(node: Literal) -> Code:
    value = node.value
    return lambda ev, now: value


def _ident(node: Ident) -> Code:
    name = node.name
    if "." not in name:
        return lambda ev, now: ev.get(name)

    def read(ev: Event, now: datetime | None) -> Any:
        v = ev.get(name)
        return v if v is not None else _nested(ev, name)

    return read


def _nested(obj: Mapping[str, Any], name: str) -> Any:
    """`a.b.c` in an event not (fully) flattened: event["a"]["b.c"], ["a"]["b"]["c"], ["a.b"]["c"]."""
    dot = name.find(".")
    while dot != -1:
        head = obj.get(name[:dot])
        if isinstance(head, Mapping):
            rest = name[dot + 1 :]
            v = head.get(rest)
            if v is None and "." in rest:
                v = _nested(head, rest)
            if v is not None:
                return v
        dot = name.find(".", dot + 1)
    return None


def _array(node: Array) -> Code:
    items = tuple(compile_expr(i) for i in node.items)
    return lambda ev, now: [f(ev, now) for f in items]


def _call(node: Call) -> Code:
    spec = node.fn or lookup(node.name)
    if spec is None:
        raise LQLError(f"unknown function {node.name!r}")
    impl, args = spec.impl, tuple(compile_expr(a) for a in node.args)

    if spec.contextual:

        def call_ctx(ev: Event, now: datetime | None) -> Any:
            try:
                return impl(ev, now, *[f(ev, now) for f in args])
            except _BAD_INPUT:
                return None

        return call_ctx
    if len(args) == 1:
        (a0,) = args

        def call1(ev: Event, now: datetime | None) -> Any:
            try:
                return impl(a0(ev, now))
            except _BAD_INPUT:
                return None

        return call1

    def call_n(ev: Event, now: datetime | None) -> Any:
        try:
            return impl(*[f(ev, now) for f in args])
        except _BAD_INPUT:
            return None

    return call_n


def _binary(node: Binary) -> Code:
    left, right, op = compile_expr(node.left), compile_expr(node.right), node.op
    if op == "AND":
        return lambda ev, now: _truth(left(ev, now)) and _truth(right(ev, now))
    if op == "OR":
        return lambda ev, now: _truth(left(ev, now)) or _truth(right(ev, now))
    if op in ("+", "-", "*", "/", "%"):
        return lambda ev, now: arith(op, left(ev, now), right(ev, now))
    return lambda ev, now: compare(op, left(ev, now), right(ev, now), now)


def _not(node: Not) -> Code:
    inner = compile_expr(node.expr)
    return lambda ev, now: not _truth(inner(ev, now))


def _neg(node: Neg) -> Code:
    inner = compile_expr(node.expr)
    return lambda ev, now: arith("-", 0, inner(ev, now))


def _exists(node: Exists) -> Code:
    inner = compile_expr(node.expr)
    return lambda ev, now: not is_empty(inner(ev, now))


def _in(node: In) -> Code:
    value, items, negated = compile_expr(node.expr), tuple(compile_expr(i) for i in node.items), node.negated

    def test(ev: Event, now: datetime | None) -> bool:
        candidates: list[Any] = []
        for f in items:
            v = f(ev, now)
            if isinstance(v, LISTS):  # `x IN (list_field)` tests against the list's elements
                candidates.extend(v)
            elif v is not None:
                candidates.append(v)
        return in_list(value(ev, now), candidates) != negated

    return test


def _contains(node: Contains) -> Code:
    value, needle, negated = compile_expr(node.expr), compile_expr(node.value), node.negated
    return lambda ev, now: contains(value(ev, now), needle(ev, now)) != negated


def _like(node: Like) -> Code:
    value, pattern, negated = compile_expr(node.expr), compile_expr(node.pattern), node.negated
    return lambda ev, now: like(value(ev, now), pattern(ev, now)) != negated


_COMPILERS: dict[type, Callable[[Any], Code]] = {
    Literal: _literal, Ident: _ident, Array: _array, Call: _call, Binary: _binary, Not: _not, Neg: _neg,
    Exists: _exists, In: _in, Contains: _contains, Like: _like,
}  # fmt: skip
