"""LQL evaluation speed: mappings run on every event collected into a stream, so this is the hot path.

Run with `make bench` (or pytest with --benchmark-enable); evaluations/s = 1 / mean.
In normal runs (--benchmark-disable) each benchmark runs once and checks its result: a smoke test.
"""

from __future__ import annotations

from typing import Any

from mock_lytics.lql import evaluate, evaluate_query, parse, parse_expr, truthy

# A typical Ansira write-back event as the webhook job posts it to the stream, flattened with dots.
WRITE_BACK_EVENT: dict[str, Any] = {
    "origin.email": "alice.smith@example.com",
    "origin._uid": "4f1c2b7a9e",
    "response.uuid": "0b9f6f5e-3c1d-4e8a-9a55-2f6a8d1c7b31",
    "response.email": "Alice Smith <Alice.Smith@Example.com>",
    "response.name": "Alice Smith",
    "response.address.city": "Portland",
    "response.address.country": "US",
    "response.interests": ["shopping", "travel"],
    "response.created": "2024-05-17T12:00:00Z",
}

THREE_COLUMNS = parse(
    """SELECT email(`response.email`) AS email,
              `response.uuid` AS ansira_uuid,
              set(`response.interests`) AS ansira_interests
       FROM ansira INTO user BY email
       WHERE EXISTS `response.uuid`
       ALIAS ansira_enrich"""
)


def test_bench_email_expression(benchmark: Any) -> None:
    expr = parse_expr("email(`response.email`)")
    assert benchmark(evaluate, expr, WRITE_BACK_EVENT) == "alice.smith@example.com"


def test_bench_identifier_expression(benchmark: Any) -> None:
    expr = parse_expr("response.uuid")
    assert benchmark(evaluate, expr, WRITE_BACK_EVENT) == "0b9f6f5e-3c1d-4e8a-9a55-2f6a8d1c7b31"


def test_bench_guard_condition(benchmark: Any) -> None:
    cond = parse_expr('EXISTS `response.uuid` AND `origin.email` LIKE "*@example.com"')
    assert benchmark(truthy, cond, WRITE_BACK_EVENT) is True


def test_bench_three_column_mapping_set(benchmark: Any) -> None:
    assert benchmark(evaluate_query, THREE_COLUMNS, WRITE_BACK_EVENT) == {
        "email": "alice.smith@example.com",
        "ansira_uuid": "0b9f6f5e-3c1d-4e8a-9a55-2f6a8d1c7b31",
        "ansira_interests": ["shopping", "travel"],
    }


def test_bench_parse_ansira_query(benchmark: Any) -> None:
    text = (
        "SELECT email(`response.email`) AS email, `response.uuid` AS ansira_uuid "
        "FROM ansira INTO user BY email ALIAS ansira_enrich"
    )
    assert benchmark(parse, text).alias == "ansira_enrich"
