"""Evaluate a parsed threshold against measured metrics; say by how much it failed.

A metric without samples (None) fails the threshold instead of passing it (k6 skips such thresholds, issues
#1346/#1053, which turns "nothing was measured" into a green run).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from harness.load.thresholds.ast import Binary, Comparison, Expr, Metric, Neg, Num, metrics_of

_CMP: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}


@dataclass(frozen=True)
class Verdict:
    threshold: str
    ok: bool
    left: float | None
    right: float | None
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"threshold": self.threshold, "ok": self.ok, "left": self.left, "right": self.right,
                "reason": self.reason}


class _NoValue(Exception):
    pass


def _value(node: Expr, metrics: Mapping[str, float | None]) -> float:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Metric):
        v = metrics.get(node.name)
        if v is None:
            raise _NoValue(f"no samples for {node.name}")
        return float(v)
    if isinstance(node, Neg):
        return -_value(node.operand, metrics)
    assert isinstance(node, Binary)
    a, b = _value(node.left, metrics), _value(node.right, metrics)
    if node.op == "+":
        return a + b
    if node.op == "-":
        return a - b
    if node.op == "*":
        return a * b
    if b == 0:
        raise _NoValue(f"division by zero in {node.to_text()} ({node.right.to_text()} is 0)")
    return a / b


def fmt(v: float) -> str:
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.1f}"


def evaluate(threshold: Comparison, metrics: Mapping[str, float | None]) -> Verdict:
    text = threshold.to_text()
    try:
        left, right = _value(threshold.left, metrics), _value(threshold.right, metrics)
    except _NoValue as exc:
        return Verdict(text, False, None, None, f"{exc}: a threshold with nothing to measure fails")
    if math.isnan(left) or math.isnan(right):
        return Verdict(text, False, left, right, "not a number")
    ok = _CMP[threshold.op](left, right)
    shown = f"{fmt(left)} {threshold.op} {fmt(right)}"
    if ok:
        return Verdict(text, True, left, right, shown)
    return Verdict(text, False, left, right, f"{shown} is false: {_miss(threshold.op, left, right)}")


def _miss(op: str, left: float, right: float) -> str:
    gap = abs(left - right)
    rel = f" ({gap / abs(right):.1%})" if right else ""
    if op in ("<", "<="):
        return f"over by {fmt(gap)}{rel}" if gap else "equal, and equal is not allowed"
    if op in (">", ">="):
        return f"under by {fmt(gap)}{rel}" if gap else "equal, and equal is not allowed"
    if op == "==":
        return f"off by {fmt(gap)}{rel}"
    return "the two sides are equal"


def unknown_metrics(threshold: Comparison, known: set[str]) -> list[str]:
    return [m.name for m in metrics_of(threshold) if m.name not in known]
