"""k6-style thresholds as data: `metric < number`, arithmetic on both sides, breaches say by how much."""

from harness.load.thresholds.ast import Comparison, metrics_of
from harness.load.thresholds.evaluate import Verdict, evaluate, unknown_metrics
from harness.load.thresholds.lexer import ThresholdSyntaxError
from harness.load.thresholds.parser import parse

__all__ = ["Comparison", "ThresholdSyntaxError", "Verdict", "evaluate", "metrics_of", "parse", "unknown_metrics"]
