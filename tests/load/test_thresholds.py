"""The threshold language: tokens -> AST -> evaluation, table-driven."""

from __future__ import annotations

import pytest

from harness.load.thresholds import ThresholdSyntaxError, evaluate, metrics_of, parse

METRICS = {"p99": 312.4, "rate": 180.0, "limit": 200.0, "lost": 0.0, "zero": 0.0, "none": None, "a": 1.0,
           "b": 2.0, "c": 3.0}


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("p99<250", "p99 < 250"),
        ("  rate >= 0.95*limit ", "rate >= 0.95 * limit"),
        ("a - (b - c) == 2", "a - (b - c) == 2"),
        ("(a - b) - c == -4", "a - b - c == -4"),
        ("a / (b * c) != 1", "a / (b * c) != 1"),
        ("a + b * c > 1", "a + b * c > 1"),
        ("(a + b) * c > 1", "(a + b) * c > 1"),
        ("-(a + b) <= -a", "-(a + b) <= -a"),
        ("lost == 0", "lost == 0"),
        ("rate > 1_000.5e-1", "rate > 1_000.5e-1"),
        ("rate > .5", "rate > .5"),
    ],
    ids=["no-spaces", "product-rhs", "right-paren-kept", "left-assoc-drops", "div-of-product", "precedence",
         "paren-sum", "negation", "equality", "underscore-exponent", "leading-dot"],
)
def test_parse_round_trips(text: str, canonical: str) -> None:
    ast = parse(text)
    assert ast.to_text() == canonical
    assert parse(canonical) == ast  # the canonical text reads back as the same tree


@pytest.mark.parametrize(
    ("text", "needle", "column"),
    [
        ("", "empty threshold", 1),
        ("p99", "expected a comparison", 4),
        ("p99 <", "expected a number or metric after '<'", 6),
        ("p99 < 250ms", "cannot run into a name", 10),
        ("p99 = 250", "single '=' is not a comparison", 5),
        ("p99 < 250 < 300", "only one comparison", 11),
        ("p99 < (250", "expected ')' to close the '(' at column 7", 11),
        ("p99 < 250)", "unexpected ')'", 10),
        ("p99 < * 2", "expected a number, a metric name or '('", 7),
        ("p99 % 2 < 1", "unexpected character '%'", 5),
        ("p99 < " + "(" * 60 + "1" + ")" * 60, "nested more than 50", 57),
        ("p99 < \u0661", "unexpected character", 7),
    ],
    ids=["empty", "no-comparison", "missing-rhs", "unit-suffix", "single-equals", "chained", "open-paren",
         "stray-paren", "operator-first", "unknown-char", "too-deep", "non-ascii-digit"],
)
def test_syntax_errors_name_the_column(text: str, needle: str, column: int) -> None:
    with pytest.raises(ThresholdSyntaxError) as info:
        parse(text)
    assert needle in info.value.message
    assert info.value.pos + 1 == column
    assert "^" in str(info.value)


@pytest.mark.parametrize(
    ("text", "ok", "reason"),
    [
        ("p99 < 250", False, "312.4 < 250 is false: over by 62.4 (25.0%)"),
        ("p99 < 400", True, "312.4 < 400"),
        ("rate >= 0.95 * limit", False, "180 >= 190 is false: under by 10 (5.3%)"),
        ("rate >= 0.9 * limit", True, "180 >= 180"),
        ("rate > 0.9 * limit", False, "equal, and equal is not allowed"),
        ("lost == 0", True, "0 == 0"),
        ("lost == 2", False, "off by 2 (100.0%)"),
        ("lost != 0", False, "the two sides are equal"),
        ("none < 250", False, "no samples for none: a threshold with nothing to measure fails"),
        ("a / zero < 1", False, "division by zero in a / zero (zero is 0)"),
        ("missing < 1", False, "no samples for missing"),
        ("-a < 0", True, "-1 < 0"),
        ("a - b - c == -4", True, "-4 == -4"),
    ],
    ids=["breach-over", "pass", "breach-under", "pass-expr", "strict-equal", "eq-pass", "eq-fail", "ne-fail",
         "no-samples-fails", "div-zero", "unknown-metric-no-sample", "negation", "left-assoc"],
)
def test_evaluation_says_by_how_much(text: str, ok: bool, reason: str) -> None:
    out = evaluate(parse(text), METRICS)
    assert out.ok is ok
    assert reason in out.reason


def test_metrics_of_lists_every_reference_in_order() -> None:
    assert [m.name for m in metrics_of(parse("rate + a >= 0.95 * (limit - b)"))] == ["rate", "a", "limit", "b"]


def test_non_string_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse(250)  # type: ignore[arg-type]
