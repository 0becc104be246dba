"""Tokens -> AST by recursive descent. Errors stop at the first bad token and say what was expected there.

Expression precedence, loosest first: OR, AND, NOT, predicates (comparisons, [NOT] IN / CONTAINS / LIKE,
EXISTS), + -, * / %, unary minus, atoms. Function names are resolved against the builtin table here, so a
misspelt function or a wrong argument count is a parse error rather than a value that is silently missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
from .lexer import T, Token, tokenize

SCALAR_KINDS = ("string", "int", "number", "bool", "date")
KINDS = frozenset(
    [*SCALAR_KINDS, "[]string", "[]int", "[]number", "[]time", "ts[]string"]
    + [f"map[string]{v}" for v in ("string", "int", "number", "bool", "time")]
)
MERGEOPS = frozenset({"latest", "oldest", "min", "max", "merge", "sum", "count"})
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_MAX_DEPTH = 64  # nesting of parentheses, calls, NOT, unary minus and EXISTS; keeps well off Python's stack limit


class _Parser:
    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"LQL text must be a str, got {type(text).__name__}")
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.depth = 0

    # ---- token plumbing ----
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self) -> Token:
        return self.toks[min(self.i + 1, len(self.toks) - 1)]

    def advance(self) -> Token:
        t = self.toks[self.i]
        if t.kind is not T.EOF:
            self.i += 1
        return t

    def fail(self, message: str, tok: Token | None = None) -> LQLError:
        return LQLError.at(self.text, (tok or self.tok).pos, message)

    def expected(self, what: str, tok: Token | None = None) -> LQLError:
        tok = tok or self.tok
        return self.fail(f"expected {what} but found {tok.describe()}", tok)

    def keyword(self, kw: str) -> Token:
        if not self.tok.is_kw(kw):
            raise self.expected(kw)
        return self.advance()

    def op(self, op: str) -> Token:
        if not self.tok.is_op(op):
            raise self.expected(f"'{op}'")
        return self.advance()

    def name(self, what: str) -> Token:
        if self.tok.kind is not T.IDENT:
            raise self.expected(what)
        return self.advance()

    @contextmanager
    def nested(self) -> Iterator[None]:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.fail(f"expression nested more than {_MAX_DEPTH} levels deep")
        try:
            yield
        finally:
            self.depth -= 1

    def end(self) -> None:
        if self.tok.kind is not T.EOF:
            raise self.expected("end of input")

    # ---- statement ----
    def query(self) -> Query:
        self.keyword("SELECT")
        columns = [self.column()]
        while self.tok.is_op(","):
            self.advance()
            columns.append(self.column())
        self.keyword("FROM")
        stream = self.name("a stream name").value
        self.keyword("INTO")
        table = self.name("a table name").value
        self.keyword("BY")
        by_toks = [self.name("an identity field name")]
        while self.tok.is_kw("OR"):
            self.advance()
            by_toks.append(self.name("an identity field name"))
        where = None
        if self.tok.is_kw("WHERE"):
            self.advance()
            where = self.expression()
        self.keyword("ALIAS")
        alias = self.name("a query alias").value
        if self.tok.is_op(";"):
            self.advance()
        self.end()
        names = {c.name for c in columns}
        for t in by_toks:
            if t.value not in names:
                raise self.fail(f"BY field {t.value!r} is not a column of the SELECT", t)
        return Query(tuple(columns), stream, table, tuple(t.value for t in by_toks), where, alias)

    def column(self) -> Column:
        start = self.tok
        expr = self.expression()
        seen: dict[str, object] = {}
        while self.tok.kind is T.KEYWORD and self.tok.value in ("AS", "IF", "SHORTDESC", "LONGDESC", "KIND",
                                                                     "MERGEOP"):  # fmt: skip
            clause = self.advance()
            if clause.value in seen:
                raise self.fail(f"duplicate {clause.value} in one column", clause)
            if clause.value == "AS":
                seen["AS"] = self.name("a field name after AS").value
            elif clause.value == "IF":
                seen["IF"] = self.expression()
            elif clause.value in ("SHORTDESC", "LONGDESC"):
                if self.tok.kind is not T.STRING:
                    raise self.expected(f"a quoted string after {clause.value}")
                seen[clause.value] = self.advance().value
            elif clause.value == "KIND":
                seen["KIND"] = self.kind()
            else:
                seen["MERGEOP"] = self.mergeop()
        name = seen.get("AS")
        if name is None:
            if not isinstance(expr, Ident):
                raise self.fail(f"column needs AS: give {expr.to_lql()} a field name", start)
            name = expr.name
        return Column(
            expr=expr,
            name=str(name),
            condition=seen.get("IF"),  # type: ignore[arg-type]
            kind=seen.get("KIND"),  # type: ignore[arg-type]
            mergeop=seen.get("MERGEOP"),  # type: ignore[arg-type]
            shortdesc=seen.get("SHORTDESC"),  # type: ignore[arg-type]
            longdesc=seen.get("LONGDESC"),  # type: ignore[arg-type]
        )

    def kind(self) -> str:
        start = self.tok
        if self.tok.is_op("["):
            self.advance()
            self.op("]")
            text = "[]" + self.name("an element type after []").value
        else:
            base = self.name("a kind such as string, int, []string or map[string]int").value
            text = base
            if base.lower() in ("map", "ts") and self.tok.is_op("["):
                self.advance()
                key = self.name("a key type").value if base.lower() == "map" else ""
                self.op("]")
                text = f"{base}[{key}]" + self.name("a value type").value
        kind = text.lower()
        if kind not in KINDS:
            raise self.fail(f"unknown KIND {text!r}; expected one of {', '.join(sorted(KINDS))}", start)
        return kind

    def mergeop(self) -> str:
        t = self.name("a merge operator such as latest or oldest")
        op = str(t.value).lower()
        if op not in MERGEOPS:
            raise self.fail(f"unknown MERGEOP {t.text!r}; expected one of {', '.join(sorted(MERGEOPS))}", t)
        return op

    # ---- expressions ----
    def expression(self) -> Expr:
        with self.nested():
            left = self.and_expr()
            while self.tok.is_kw("OR"):
                self.advance()
                left = Binary("OR", left, self.and_expr())
            return left

    def and_expr(self) -> Expr:
        left = self.not_expr()
        while self.tok.is_kw("AND"):
            self.advance()
            left = Binary("AND", left, self.not_expr())
        return left

    def not_expr(self) -> Expr:
        if self.tok.is_kw("NOT"):
            self.advance()
            with self.nested():
                return Not(self.not_expr())
        return self.predicate()

    def predicate(self) -> Expr:
        left = self.additive()
        while True:
            t = self.tok
            if t.kind is T.OP and t.value in _COMPARISONS:
                self.advance()
                left = Binary(t.value, left, self.additive())
                continue
            negated = t.is_kw("NOT") and self.peek().is_kw("IN", "CONTAINS", "LIKE")
            if negated:
                self.advance()
            t = self.tok
            if t.is_kw("IN"):
                self.advance()
                left = In(left, self.in_items(), negated)
            elif t.is_kw("CONTAINS"):
                self.advance()
                left = Contains(left, self.additive(), negated)
            elif t.is_kw("LIKE"):
                self.advance()
                left = Like(left, self.additive(), negated)
            else:
                return left

    def in_items(self) -> tuple[Expr, ...]:
        if not self.tok.is_op("(", "["):
            raise self.expected("'(' after IN")
        close = ")" if self.advance().value == "(" else "]"
        items = [self.expression()]
        while self.tok.is_op(","):
            self.advance()
            items.append(self.expression())
        self.op(close)
        return tuple(items)

    def additive(self) -> Expr:
        left = self.multiplicative()
        while self.tok.is_op("+", "-"):
            op = self.advance().value
            left = Binary(op, left, self.multiplicative())
        return left

    def multiplicative(self) -> Expr:
        left = self.unary()
        while self.tok.is_op("*", "/", "%"):
            op = self.advance().value
            left = Binary(op, left, self.unary())
        return left

    def unary(self) -> Expr:
        if self.tok.is_op("-"):
            self.advance()
            with self.nested():
                operand = self.unary()
            if isinstance(operand, Literal) and isinstance(operand.value, (int, float)) and not isinstance(
                operand.value, bool
            ):
                return Literal(-operand.value)
            return Neg(operand)
        return self.primary()

    def primary(self) -> Expr:
        t = self.tok
        if t.kind in (T.STRING, T.NUMBER):
            self.advance()
            return Literal(t.value)
        if t.kind is T.KEYWORD:
            if t.value in ("TRUE", "FALSE", "NULL"):
                self.advance()
                return Literal({"TRUE": True, "FALSE": False, "NULL": None}[t.value])
            if t.value == "EXISTS":
                self.advance()
                with self.nested():
                    return Exists(self.primary())
            if t.value == "CONTAINS" and self.peek().is_op("("):
                return self.call()
        if t.kind is T.IDENT:
            if not t.quoted and self.peek().is_op("("):
                return self.call()
            self.advance()
            return Ident(t.value)
        if t.is_op("("):
            self.advance()
            inner = self.expression()
            self.op(")")
            return inner
        if t.is_op("["):
            self.advance()
            items: list[Expr] = []
            if not self.tok.is_op("]"):
                items.append(self.expression())
                while self.tok.is_op(","):
                    self.advance()
                    items.append(self.expression())
            self.op("]")
            return Array(tuple(items))
        raise self.expected("an expression")

    def call(self) -> Call:
        name_tok = self.advance()
        name = str(name_tok.text).lower()
        spec = lookup(name)
        if spec is None:
            raise self.fail(f"unknown function {name_tok.text!r}", name_tok)
        self.op("(")
        args: list[Expr] = []
        if not self.tok.is_op(")"):
            args.append(self.expression())
            while self.tok.is_op(","):
                self.advance()
                args.append(self.expression())
        self.op(")")
        if len(args) < spec.min_args or (spec.max_args is not None and len(args) > spec.max_args):
            raise self.fail(f"{name}() takes {spec.arity_text()} but got {len(args)}", name_tok)
        return Call(name, tuple(args), spec)


def parse(text: str) -> Query:
    """Parse a whole LQL statement (SELECT ... FROM ... INTO ... BY ... [WHERE ...] ALIAS ...).

    :raises LQLError: at the first token that does not fit, naming what was expected.
    """
    return _Parser(text).query()


def parse_expr(text: str) -> Expr:
    """Parse one mapping expression (a v2 mapping's `expr`), e.g. ``email(`response.email`)``."""
    p = _Parser(text)
    expr = p.expression()
    p.end()
    return expr


def parse_condition(text: str) -> Expr:
    """Parse a condition (a v2 mapping's `guard_expr`, an IF or WHERE clause), e.g. `EXISTS email`."""
    return parse_expr(text)
