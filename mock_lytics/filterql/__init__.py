"""FilterQL, the Lytics audience language (qlbridge dialect): parse, print and evaluate.

    >>> from mock_lytics.filterql import parse, evaluate
    >>> f = parse("FILTER AND (EXISTS email, NOT EXISTS ansira_uuid) FROM user ALIAS ansira_enrichment_source")
    >>> evaluate(f, {"email": "a@example.com"}), evaluate(f, {"email": "a@example.com", "ansira_uuid": "u1"})
    (True, False)

Modules: lexer (text -> tokens), parser (tokens -> ast), ast (nodes, ``to_ql()``),
evaluator (ast -> bool per profile), compare (value-vs-literal rules), values (coercions),
functions (builtins), analysis (fields read, includes, clock dependence).
Evaluation rules and where they come from: SEMANTICS.md in this directory.
"""

from __future__ import annotations

from .analysis import included_segments, referenced_fields, time_dependent
from .ast import Filter, Node
from .errors import FilterQLError
from .evaluator import DEFAULT_SEMANTICS, Semantics, evaluate
from .parser import parse, parse_all, parse_condition

__all__ = [
    "DEFAULT_SEMANTICS",
    "Filter",
    "FilterQLError",
    "Node",
    "Semantics",
    "evaluate",
    "included_segments",
    "parse",
    "parse_all",
    "parse_condition",
    "referenced_fields",
    "time_dependent",
]
