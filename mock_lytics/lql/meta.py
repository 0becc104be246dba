"""What a schema store needs about mappings besides their values: aggregation, merge op, kind, inputs."""

from __future__ import annotations

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
from .functions import lookup

_AGG_MERGEOP = {"count": "sum", "set": "merge", "valuect": "merge", "map": "merge"}


def aggregate_of(expr: Expr) -> str | None:
    """count, set, valuect or map for an aggregating call (match() counts as map); else None."""
    if isinstance(expr, Call):
        spec = expr.fn or lookup(expr.name)
        return spec.aggregate if spec is not None else None
    return None


def default_mergeop(column: Column) -> str:
    """MERGEOP if given, else what its aggregate or kind implies (count: sum, set/map: merge) or latest."""
    if column.mergeop:
        return column.mergeop
    agg = aggregate_of(column.expr)
    if agg is not None:
        return _AGG_MERGEOP[agg]
    kind = column.kind or ""
    if kind.startswith(("[]", "map[", "ts[")):
        return "merge"
    return "latest"


def infer_kind(column: Column) -> str:
    """The column's KIND, else the natural type of its expression (email() -> string, count() -> int ...)."""
    return column.kind or _expr_kind(column.expr)


def _expr_kind(expr: Expr) -> str:
    if isinstance(expr, Call):
        spec = expr.fn or lookup(expr.name)
        return (spec.kind if spec is not None else None) or "string"
    if isinstance(expr, Literal):
        v = expr.value
        if isinstance(v, bool):
            return "bool"
        return "int" if isinstance(v, int) else "number" if isinstance(v, float) else "string"
    if isinstance(expr, Binary):
        return "bool" if expr.op not in ("+", "-", "*", "/", "%") else "number"
    if isinstance(expr, Not | Exists | In | Contains | Like):
        return "bool"
    if isinstance(expr, Neg):
        return "number"
    if isinstance(expr, Array):
        return "[]string"
    return "string"


def referenced_fields(node: Expr | Column | Query) -> frozenset[str]:
    """Stream keys read. match("user.") gives the pattern "user.*", since its keys are not known ahead."""
    out: set[str] = set()
    _walk(node, out)
    return frozenset(out)


def _walk(node: Any, out: set[str]) -> None:
    if node is None:
        return
    if isinstance(node, Query):
        for col in node.columns:
            _walk(col, out)
        _walk(node.where, out)
    elif isinstance(node, Column):
        _walk(node.expr, out)
        _walk(node.condition, out)
    elif isinstance(node, Ident):
        out.add(node.name)
    elif isinstance(node, Call):
        if node.name == "match":
            prefixes = [a.value for a in node.args if isinstance(a, Literal) and isinstance(a.value, str)]
            out.update(f"{p}*" for p in prefixes)
        for arg in node.args:
            _walk(arg, out)
    elif isinstance(node, Binary):
        _walk(node.left, out)
        _walk(node.right, out)
    elif isinstance(node, Not | Neg | Exists):
        _walk(node.expr, out)
    elif isinstance(node, In):
        _walk(node.expr, out)
        for item in node.items:
            _walk(item, out)
    elif isinstance(node, Contains):
        _walk(node.expr, out)
        _walk(node.value, out)
    elif isinstance(node, Like):
        _walk(node.expr, out)
        _walk(node.pattern, out)
    elif isinstance(node, Array):
        for item in node.items:
            _walk(item, out)


def guard_of(query: Query, column: Column) -> Expr | None:
    """The column's IF and the query's WHERE as one condition (WHERE first), or None when neither exists."""
    if query.where is not None and column.condition is not None:
        return Binary("AND", query.where, column.condition)
    return query.where if query.where is not None else column.condition


def query_mappings(query: Query) -> list[dict[str, Any]]:
    """One Lytics v2 mapping dict per column, so a schema store can treat LQL and v2 mappings alike."""
    out = []
    for col in query.columns:
        guard = guard_of(query, col)
        out.append(
            {
                "field": col.name,
                "stream": query.stream,
                "expr": col.expr.to_lql(),
                "guard_expr": guard.to_lql() if guard is not None else None,
                "kind": infer_kind(col),
                "mergeop": default_mergeop(col),
            }
        )
    return out


def query_fields(query: Query) -> list[dict[str, Any]]:
    """One v2 field per distinct column name; identity (BY) fields carry no mergeop, as Lytics requires."""
    fields: dict[str, dict[str, Any]] = {}
    for col in query.columns:
        if col.name in fields:
            continue
        is_id = col.name in query.by
        field: dict[str, Any] = {"id": col.name, "type": infer_kind(col), "is_identifier": is_id}
        field["is_pii"] = False
        if not is_id:
            field["mergeop"] = default_mergeop(col)
        if col.shortdesc is not None:
            field["shortdesc"] = col.shortdesc
        if col.longdesc is not None:
            field["longdesc"] = col.longdesc
        fields[col.name] = field
    return list(fields.values())
