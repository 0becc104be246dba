"""Recursive-descent parser: tokens -> :mod:`.ast`.

Grammar (keywords case-insensitive; see SEMANTICS.md for how it relates to qlbridge)::

    statement := FILTER expr [FROM name] [LIMIT int] [WITH k = lit, ...] [ALIAS name] [';']
               | SELECT '*' [FROM name] (WHERE | FILTER) expr [LIMIT ..] [WITH ..] [ALIAS ..] [';']
    expr      := and_expr (OR and_expr)*
    and_expr  := unary (AND unary)*
    unary     := NOT unary | primary
    primary   := (AND | OR) '(' expr ((',' | newline) expr)* [','] ')' | '(' expr ')'
               | INCLUDE (name | string) | EXISTS operand | '*' | match_all | predicate
    predicate := operand [ op value | [NOT] (IN | INTERSECTS) (list | field)
                         | [NOT] CONTAINS value | [NOT] LIKE string | [NOT] BETWEEN value AND value ]

Newlines separate items only directly inside ``AND ( .. )`` / ``OR ( .. )``; everywhere else
(parentheses, IN lists, function arguments, between clauses) they are plain whitespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import ast as A
from .errors import FilterQLError
from .functions import FUNCTIONS
from .lexer import EOF, IDENT, KW, NEWLINE, NUMBER, OP, STRING, Token, keyword_hint, tokenize
from .values import datemath

_OP_NORMAL = {"=": "==", "<>": "!="}
_NEGATABLE = ("IN", "INTERSECTS", "CONTAINS", "LIKE", "BETWEEN")
_CLAUSES = ("FROM", "LIMIT", "WITH", "ALIAS")
_MAX_DEPTH = 64  # NOT, parentheses, AND(/OR( lists and call arguments; well off Python's stack limit


def parse(text: str) -> A.Filter:
    """Parse one FilterQL statement (``FILTER ...`` or ``SELECT * FROM t WHERE ...``)."""
    return _Parser(text).statement(require_keyword=True)


def parse_condition(text: str) -> A.Filter:
    """Parse a statement, or a bare expression such as ``AND (EXISTS email, x > 1)``."""
    return _Parser(text).statement(require_keyword=False)


def parse_all(text: str) -> list[A.Filter]:
    """Parse several statements separated by ';' (blank statements are skipped)."""
    p = _Parser(text)
    out: list[A.Filter] = []
    while True:
        p.skip_newlines()
        if p.peek().kind == EOF:
            return out
        out.append(p.statement(require_keyword=True, many=True))


class _Parser:
    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"FilterQL text must be str, not {type(text).__name__}")
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.nl_significant = [False]
        self.depth = 0

    @contextmanager
    def nested(self) -> Iterator[None]:
        """Bound the recursion of hostile input (NOT NOT ..., AND(AND(..., ((( ...) with a positioned error."""
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise FilterQLError.at(self.text, self.peek().pos, f"expression nested more than {_MAX_DEPTH} levels deep")
        try:
            yield
        finally:
            self.depth -= 1

    # ------------------------------------------------------------------------------ token access
    def peek(self) -> Token:
        if not self.nl_significant[-1]:
            while self.toks[self.i].kind == NEWLINE:
                self.i += 1
        return self.toks[self.i]

    def next(self) -> Token:
        tok = self.peek()
        if tok.kind != EOF:
            self.i += 1
        return tok

    def skip_newlines(self) -> bool:
        seen = False
        while self.toks[self.i].kind == NEWLINE:
            self.i += 1
            seen = True
        return seen

    def is_kw(self, *names: str) -> bool:
        tok = self.peek()
        return tok.kind == KW and tok.value in names

    def fail(self, tok: Token, expected: str) -> FilterQLError:
        message = f"expected {expected} but found {tok.describe(self.text)}"
        return FilterQLError.at(self.text, tok.pos, message + keyword_hint(self.text, self.toks, tok))

    def expect(self, kind: str, expected: str) -> Token:
        tok = self.peek()
        if tok.kind != kind:
            raise self.fail(tok, expected)
        return self.next()

    def expect_kw(self, name: str) -> Token:
        if not self.is_kw(name):
            raise self.fail(self.peek(), name)
        return self.next()

    # -------------------------------------------------------------------------------- statement
    def statement(self, *, require_keyword: bool, many: bool = False) -> A.Filter:
        table: str | None = None
        if self.is_kw("FILTER"):
            self.next()
        elif self.is_kw("SELECT"):
            self.next()
            self.expect("*", "'*' (column projections are not supported)")
            if self.is_kw("FROM"):
                self.next()
                table = self.name("a table name after FROM")
            if not self.is_kw("WHERE", "FILTER"):
                raise self.fail(self.peek(), "WHERE or FILTER")
            self.next()
        elif require_keyword:
            raise self.fail(self.peek(), "FILTER or SELECT")
        expr = self.expr()
        limit: int | None = None
        with_: dict[str, Any] = {}
        alias: str | None = None
        remaining = [c for c in _CLAUSES if not (c == "FROM" and table is not None)]
        while remaining:
            tok = self.peek()
            if tok.kind != KW or tok.value not in remaining:
                break
            remaining = remaining[remaining.index(tok.value) + 1 :]
            self.next()
            if tok.value == "FROM":
                table = self.name("a table name after FROM")
            elif tok.value == "LIMIT":
                lim = self.expect(NUMBER, "an integer after LIMIT")
                if not isinstance(lim.value, int) or lim.value < 0:
                    raise FilterQLError.at(self.text, lim.pos, "LIMIT must be a non-negative integer")
                limit = lim.value
            elif tok.value == "WITH":
                with_ = self.with_pairs()
            else:
                alias_tok = self.peek()
                alias = self.name("a name after ALIAS", allow_string=True).lower()
                if not alias:
                    raise FilterQLError.at(self.text, alias_tok.pos, "ALIAS needs a non-empty name")
        end = self.peek()
        if end.kind == ";":
            self.next()
        elif end.kind != EOF:
            raise self.fail(end, ", ".join(remaining) + " or end of input" if remaining else "end of input")
        if not many and self.peek().kind != EOF:
            raise self.fail(self.peek(), "end of input")
        return A.Filter(expr, table=table or "user", alias=alias, limit=limit, with_=with_)

    def name(self, expected: str, *, allow_string: bool = False) -> str:
        tok = self.peek()
        if tok.kind == IDENT or (allow_string and tok.kind == STRING):
            self.next()
            return ".".join(tok.value) if tok.kind == IDENT else tok.value
        raise self.fail(tok, expected)

    def with_pairs(self) -> dict[str, Any]:
        pairs: dict[str, Any] = {}
        while True:
            key = self.name("a key after WITH")
            op = self.expect(OP, "'='")
            if op.value not in ("=", "=="):
                raise self.fail(op, "'='")
            val = self.operand(value_position=True)
            if not isinstance(val, A.Literal):
                raise FilterQLError.at(self.text, self.toks[self.i - 1].pos, f"WITH {key} needs a literal value")
            pairs[key] = val.value
            if self.peek().kind != ",":
                return pairs
            self.next()

    # ------------------------------------------------------------------------------- expressions
    def expr(self) -> A.Node:
        items = [self.and_expr()]
        while self.is_kw("OR"):
            self.next()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else A.Or(tuple(items))

    def and_expr(self) -> A.Node:
        items = [self.unary()]
        while self.is_kw("AND"):
            self.next()
            items.append(self.unary())
        return items[0] if len(items) == 1 else A.And(tuple(items))

    def unary(self) -> A.Node:
        if self.is_kw("NOT"):
            self.next()
            with self.nested():
                return A.Not(self.unary())
        return self.primary()

    def primary(self) -> A.Node:
        tok = self.peek()
        if tok.kind == KW and tok.value in ("AND", "OR"):
            return self.bool_list()
        if tok.kind == KW and tok.value == "INCLUDE":
            self.next()
            target = self.peek()
            if target.kind not in (IDENT, STRING, NUMBER):
                raise self.fail(target, "a segment slug or id after INCLUDE")
            self.next()
            if target.kind == IDENT:
                return A.Include(".".join(target.value))
            name = target.value if target.kind == STRING else self.text[target.pos : target.end]
            if not name:
                raise FilterQLError.at(self.text, target.pos, "INCLUDE needs a non-empty segment slug or id")
            return A.Include(name)
        if tok.kind == KW and tok.value == "EXISTS" and self.toks[self.i + 1].kind != "(":
            self.next()
            return A.Exists(self.operand())
        if tok.kind == "*":
            self.next()
            return A.MatchAll()
        if tok.kind == IDENT and tok.bare and len(tok.value) == 1 and tok.value[0].lower() == "match_all":
            self.next()
            return A.MatchAll()
        if tok.kind == "(":
            return self.group(self.expr, "')'")
        return self.predicate()

    def group(self, inner: Any, closing: str) -> Any:
        """Parse ``( inner )`` with newlines insignificant inside."""
        self.next()
        self.nl_significant.append(False)
        try:
            with self.nested():
                node = inner()
            self.expect(")", closing)
        finally:
            self.nl_significant.pop()
        return node

    def bool_list(self) -> A.Node:
        kw = self.next()
        self.skip_newlines()
        if self.peek().kind != "(":
            raise self.fail(self.peek(), f"'(' after {kw.value}")
        self.next()
        self.nl_significant.append(True)
        items: list[A.Node] = []
        try:
            while True:
                self.skip_newlines()
                tok = self.peek()
                if tok.kind == ")" and items:
                    break
                if tok.kind in (")", ","):
                    raise self.fail(tok, "an expression")
                if tok.kind in (EOF, ";") or (tok.kind == KW and tok.value in _CLAUSES):
                    raise self.fail(tok, "an expression or ')'")
                with self.nested():
                    items.append(self.expr())
                separated = self.skip_newlines()
                if self.peek().kind == ",":
                    self.next()
                    separated = True
                    self.skip_newlines()
                if self.peek().kind == ")":
                    break
                if not separated:
                    raise self.fail(self.peek(), "',' or ')'")
        finally:
            self.nl_significant.pop()
        self.next()
        return A.And(tuple(items)) if kw.value == "AND" else A.Or(tuple(items))

    def predicate(self) -> A.Node:
        left = self.operand()
        tok = self.peek()
        if tok.kind == OP:
            self.next()
            return A.Compare(left, _OP_NORMAL.get(tok.value, tok.value), self.operand(value_position=True))
        negated = False
        if tok.kind == KW and tok.value == "NOT":
            after = self.toks[self.i + 1]
            if after.kind == KW and after.value in _NEGATABLE:
                self.next()
                negated = True
                tok = self.peek()
        if tok.kind == KW and tok.value in _NEGATABLE:
            self.next()
            if tok.value in ("IN", "INTERSECTS"):
                cls = A.In if tok.value == "IN" else A.Intersects
                return cls(left, self.membership_rhs(tok.value), negated)
            if tok.value == "CONTAINS":
                return A.Contains(left, self.operand(value_position=True), negated)
            if tok.value == "LIKE":
                pat = self.expect(STRING, "a quoted pattern after LIKE")
                return A.Like(left, pat.value, negated)
            lo = self.operand(value_position=True)
            self.expect_kw("AND")
            return A.Between(left, lo, self.operand(value_position=True), negated)
        if not self.at_item_end():
            raise self.fail(tok, "an operator (==, !=, >, >=, <, <=, IN, INTERSECTS, CONTAINS, LIKE, BETWEEN)")
        return left  # a bare operand is a predicate when it evaluates to a boolean

    def at_item_end(self) -> bool:
        tok = self.peek()
        if tok.kind in (EOF, NEWLINE, ")", ",", ";"):
            return True
        return tok.kind == KW and tok.value in ("AND", "OR", *_CLAUSES)

    def membership_rhs(self, keyword: str) -> tuple[A.Literal, ...] | A.Field:
        tok = self.peek()
        if tok.kind == IDENT:
            self.next()
            return A.Field(tok.value)
        if tok.kind == STRING:
            self.next()
            return (A.Literal(tok.value),)
        if tok.kind not in ("(", "["):
            raise self.fail(tok, f"'(' or a field after {keyword}")
        closing = ")" if tok.kind == "(" else "]"
        self.next()
        self.nl_significant.append(False)
        values: list[A.Literal] = []
        try:
            while self.peek().kind != closing:
                item = self.peek()
                lit = self.operand(value_position=True)
                if not isinstance(lit, A.Literal):
                    raise FilterQLError.at(self.text, item.pos, f"{keyword} lists take literals only")
                values.append(lit)
                if self.peek().kind == ",":
                    self.next()
                elif self.peek().kind != closing:
                    raise self.fail(self.peek(), f"',' or '{closing}'")
        finally:
            self.nl_significant.pop()
        self.next()
        return tuple(values)

    # ---------------------------------------------------------------------------------- operands
    def operand(self, *, value_position: bool = False) -> A.Node:
        tok = self.peek()
        if tok.kind == STRING:
            self.next()
            return A.Literal(tok.value)
        if tok.kind == NUMBER:
            self.next()
            return A.Literal(tok.value)
        if tok.kind == KW and tok.value in ("TRUE", "FALSE", "NULL"):
            self.next()
            return A.Literal(None if tok.value == "NULL" else tok.value == "TRUE")
        if tok.kind == KW and tok.value in ("EXISTS", "CONTAINS") and self.toks[self.i + 1].kind == "(":
            self.next()
            return self.call(tok)  # exists(x) / contains(a, b): keyword-named functions
        if tok.kind == "(":
            return self.group(lambda: self.operand(value_position=value_position), "')'")
        if tok.kind == IDENT:
            self.next()
            if self.toks[self.i].kind == "(" and tok.bare:
                return self.call(tok)
            if value_position and tok.bare and len(tok.value) == 1 and datemath(tok.value[0]):
                return A.Literal(tok.value[0])  # unquoted date math: x > now-24h
            return A.Field(tok.value)
        raise self.fail(tok, "a field, function or literal" if not value_position else "a value")

    def call(self, name_tok: Token) -> A.Func:
        name = name_tok.value.lower() if name_tok.kind == KW else ".".join(name_tok.value).lower()
        spec = FUNCTIONS.get(name)
        if spec is None:
            known = ", ".join(sorted(FUNCTIONS))
            raise FilterQLError.at(self.text, name_tok.pos, f"unknown function {name!r} (known: {known})")
        self.next()  # '('
        self.nl_significant.append(False)
        args: list[A.Node] = []
        try:
            while self.peek().kind != ")":
                with self.nested():
                    args.append(self.operand(value_position=True))
                if self.peek().kind == ",":
                    self.next()
                elif self.peek().kind != ")":
                    raise self.fail(self.peek(), "',' or ')'")
        finally:
            self.nl_significant.pop()
        close = self.next()
        if not spec.min_args <= len(args) <= spec.max_args:
            want = str(spec.min_args) if spec.min_args == spec.max_args else f"{spec.min_args}-{spec.max_args}"
            raise FilterQLError.at(self.text, close.pos, f"{name}() takes {want} argument(s), got {len(args)}")
        return A.Func(name, tuple(args))
