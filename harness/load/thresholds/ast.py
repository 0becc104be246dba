"""The threshold AST: one comparison between two arithmetic expressions over metrics and numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


@dataclass(frozen=True)
class Num:
    value: float
    text: str

    def to_text(self) -> str:
        return self.text


@dataclass(frozen=True)
class Metric:
    name: str
    pos: int = field(default=0, compare=False)  # column, for messages; not part of the meaning

    def to_text(self) -> str:
        return self.name


@dataclass(frozen=True)
class Neg:
    operand: Expr

    def to_text(self) -> str:
        inner = self.operand.to_text()
        return f"-({inner})" if isinstance(self.operand, Binary) else f"-{inner}"


@dataclass(frozen=True)
class Binary:
    op: str  # + - * /
    left: Expr
    right: Expr

    def to_text(self) -> str:
        def side(e: Expr, right: bool) -> str:
            text = e.to_text()
            if isinstance(e, Binary):
                weaker = _PRECEDENCE[e.op] < _PRECEDENCE[self.op]
                # a - (b - c) and a / (b * c) keep their parentheses: left-associative operators
                if weaker or (right and _PRECEDENCE[e.op] == _PRECEDENCE[self.op] and self.op in "-/"):
                    return f"({text})"
            return text

        return f"{side(self.left, False)} {self.op} {side(self.right, True)}"


Expr = Num | Metric | Neg | Binary


@dataclass(frozen=True)
class Comparison:
    op: str  # < <= > >= == !=
    left: Expr
    right: Expr

    def to_text(self) -> str:
        return f"{self.left.to_text()} {self.op} {self.right.to_text()}"


def metrics_of(node: Comparison | Expr) -> list[Metric]:
    """Every metric the threshold reads, in reading order."""
    if isinstance(node, Metric):
        return [node]
    if isinstance(node, Neg):
        return metrics_of(node.operand)
    if isinstance(node, Binary | Comparison):
        return [*metrics_of(node.left), *metrics_of(node.right)]
    return []
