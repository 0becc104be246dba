"""LQL, the Lytics Query Language used for schema mappings: lexer -> parser -> AST -> compiled evaluator.

    q = parse("SELECT email(`response.email`) AS email, `response.uuid` AS ansira_uuid "
              "FROM ansira INTO user BY email ALIAS ansira_enrich")
    evaluate_query(q, {"response.email": "Bob <BOB@x.com>", "response.uuid": "u-1"})
    # -> {"email": "bob@x.com", "ansira_uuid": "u-1"}
    query_mappings(q)   # the same query as Lytics v2 mapping dicts (query_fields(q): its field definitions)

A v2 mapping's `expr` / `guard_expr` go through parse_expr / parse_condition and evaluate / truthy.
"""

from __future__ import annotations

from .ast import Column, Expr, Query
from .errors import LQLError
from .evaluator import evaluate, evaluate_column, evaluate_query, truthy
from .meta import aggregate_of, default_mergeop, infer_kind, query_fields, query_mappings, referenced_fields
from .parser import parse, parse_condition, parse_expr

__all__ = [
    "Column",
    "Expr",
    "LQLError",
    "Query",
    "aggregate_of",
    "default_mergeop",
    "evaluate",
    "evaluate_column",
    "evaluate_query",
    "infer_kind",
    "parse",
    "parse_condition",
    "parse_expr",
    "query_fields",
    "query_mappings",
    "referenced_fields",
    "truthy",
]
