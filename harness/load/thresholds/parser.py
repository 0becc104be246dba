"""Recursive-descent parser: tokens -> Comparison AST.

    threshold  := expr CMP expr END
    expr       := term (('+' | '-') term)*
    term       := unary (('*' | '/') unary)*
    unary      := '-' unary | atom
    atom       := NUMBER | METRIC | '(' expr ')'
"""

from __future__ import annotations

from harness.load.thresholds.ast import Binary, Comparison, Expr, Metric, Neg, Num
from harness.load.thresholds.lexer import Kind, ThresholdSyntaxError, Token, tokenize

MAX_DEPTH = 50  # parentheses and unary minus nest at most this deep: hostile input cannot recurse without bound


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def error(self, message: str, tok: Token | None = None) -> ThresholdSyntaxError:
        return ThresholdSyntaxError(message, self.text, (tok or self.tok).pos)

    def take(self) -> Token:
        tok = self.tok
        self.i += 1
        return tok

    def threshold(self) -> Comparison:
        if self.tok.kind is Kind.END:
            raise self.error("empty threshold; expected e.g. 'enrich_latency_p99_ms < 250'")
        left = self.expr()
        if self.tok.kind is not Kind.CMP:
            what = "end of text" if self.tok.kind is Kind.END else repr(self.tok.text)
            raise self.error(f"expected a comparison (< <= > >= == !=), found {what}")
        op = self.take().text
        if self.tok.kind is Kind.END:
            raise self.error(f"expected a number or metric after {op!r}")
        right = self.expr()
        if self.tok.kind is Kind.CMP:
            raise self.error("only one comparison per threshold; write two thresholds instead")
        if self.tok.kind is not Kind.END:
            raise self.error(f"unexpected {self.tok.text!r} after a complete threshold")
        return Comparison(op, left, right)

    def expr(self) -> Expr:
        node = self.term()
        while self.tok.kind is Kind.OP and self.tok.text in "+-":
            node = Binary(self.take().text, node, self.term())
        return node

    def term(self) -> Expr:
        node = self.unary()
        while self.tok.kind is Kind.OP and self.tok.text in "*/":
            node = Binary(self.take().text, node, self.unary())
        return node

    def unary(self) -> Expr:
        if self.tok.kind is Kind.OP and self.tok.text == "-":
            self._enter()
            self.take()
            node: Expr = Neg(self.unary())
            self.depth -= 1
            return node
        return self.atom()

    def atom(self) -> Expr:
        tok = self.tok
        if tok.kind is Kind.NUMBER:
            self.take()
            return Num(float(tok.text.replace("_", "")), tok.text)
        if tok.kind is Kind.METRIC:
            self.take()
            return Metric(tok.text, tok.pos)
        if tok.kind is Kind.LPAREN:
            self._enter()
            self.take()
            node = self.expr()
            if self.tok.kind is not Kind.RPAREN:
                raise self.error(f"expected ')' to close the '(' at column {tok.pos + 1}")
            self.take()
            self.depth -= 1
            return node
        found = "end of text" if tok.kind is Kind.END else repr(tok.text)
        raise self.error(f"expected a number, a metric name or '(', found {found}")

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} levels deep")


def parse(text: str) -> Comparison:
    """Parse one threshold; raises ThresholdSyntaxError naming the column and what was expected."""
    if not isinstance(text, str):
        raise TypeError(f"a threshold is a string, got {type(text).__name__}")
    return _Parser(text).threshold()
