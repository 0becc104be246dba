"""FilterQL evaluation speed: every profile change re-checks audience membership, so this is a hot path.

Run with `make bench` (or pytest with --benchmark-enable); evaluations/s = 1 / mean (the OPS column).
Target: >= 200k/s for the project audience on one core. In normal runs (--benchmark-disable) each
benchmark runs once and checks its result, so they double as smoke tests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mock_lytics.filterql import evaluate, parse

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)

TARGET = parse("FILTER AND (EXISTS email, NOT EXISTS ansira_uuid) FROM user ALIAS ansira_enrichment_source")

# A realistic profile: a few dozen keys, the audience fields among them.
PROFILE: dict[str, Any] = {
    **{f"attr_{i}": f"value {i}" for i in range(30)},
    "email": "alice.smith@example.com",
    "first_name": "Alice",
    "country": "US",
    "tags": ["vip", "newsletter"],
    "lifetime_value": "120.50",
    "last_seen": "2024-05-28T10:00:00Z",
    "hits": {"home": 4, "pricing": 2},
}
ENRICHED = {**PROFILE, "ansira_uuid": "0b9f6f5e-3c1d-4e8a-9a55-2f6a8d1c7b31"}

COMPLEX = parse(
    """FILTER AND (
        EXISTS email
        email LIKE "*@example.com"
        OR ( country IN ("US", "CA"), tags INTERSECTS ("vip", "gold") )
        NOT lifetime_value BETWEEN 0 AND 10
        last_seen > "now-30d"
        hits.pricing >= 2
        tolower(first_name) != "test"
        NOT INCLUDE suppressed
    ) FROM user ALIAS engaged_example_users"""
)
SEGMENTS = {"suppressed": parse('FILTER email LIKE "*@blocked.example"')}


def test_bench_target_audience_member(benchmark: Any) -> None:
    assert benchmark(evaluate, TARGET, PROFILE) is True


def test_bench_target_audience_enriched(benchmark: Any) -> None:
    assert benchmark(evaluate, TARGET, ENRICHED) is False


def test_bench_complex_filter(benchmark: Any) -> None:
    assert benchmark(evaluate, COMPLEX, PROFILE, now=NOW, resolve=SEGMENTS.get) is True


def test_bench_parse_complex_filter(benchmark: Any) -> None:
    text = COMPLEX.to_ql()
    assert benchmark(parse, text) == COMPLEX
