"""Renders/s of the seed's Ansira template through TemplateEngine.render (target: >= 3,000/s on one core).

Run with `make bench`; renders/s = 1 / mean. In normal runs (--benchmark-disable) each benchmark runs once
and checks its result, so this is also a smoke test of the hot path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from enrich_templates import TemplateEngine, build_entity

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "scenarios" / "templates" / "ansira_seed.jsonnet").read_text(encoding="utf-8")
PROFILE = {
    "email": "alice.smith@example.com",
    "first_name": "Alice",
    "last_name": "Smith",
    "postal_code": "75001",
}
EVENTS = [
    {
        "id": "87452fc0707c77159e018560ca69c4ba",
        "slug": "ansira_source",
        "event": "enter",
        "enter": "2024-01-01T00:00:00Z",
    }
]
EXPECTED = {"email": "alice.smith@example.com", "sourceCode": {"keyName": "XXXXXXXXXXXXX"}}


def _report(benchmark: Any, label: str) -> None:
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        rate = 1.0 / stats.stats.mean
        benchmark.extra_info["renders_per_s"] = round(rate, 1)
        print(
            f"\n{label}: {rate:,.0f} renders/s (mean {stats.stats.mean * 1e6:.0f} us, "
            f"min {stats.stats.min * 1e6:.0f} us)"
        )


@pytest.mark.parametrize(
    ("label", "timeout_s"),
    [("bounded (worker thread, 2 s limit)", 2.0), ("unbounded (caller's thread)", 0.0)],
    ids=["bounded", "unbounded"],
)
def test_bench_seed_template_render(benchmark: Any, label: str, timeout_s: float) -> None:
    engine = TemplateEngine(timeout_s=timeout_s)
    entity = build_entity(PROFILE, ["email"], EVENTS)
    result = benchmark(engine.render, SEED, entity)
    assert result.value == EXPECTED
    _report(benchmark, f"seed template, {label}")


def test_bench_seed_template_render_traced(benchmark: Any) -> None:
    engine = TemplateEngine()
    entity = build_entity(PROFILE, ["email"], EVENTS)
    result = benchmark(engine.render, SEED, entity, trace=True)
    assert result.value == EXPECTED and result.fields_read == {"email"}
    _report(benchmark, "seed template, traced")


@pytest.mark.parametrize("users", [16], ids=["batch16"])
def test_bench_seed_template_render_batch(benchmark: Any, users: int) -> None:
    """The runner's path in a backfill (render_batch 16): one evaluation for 16 users; renders/s = users / mean."""
    engine = TemplateEngine()
    bound = engine.bind(SEED)
    entities = [build_entity(dict(PROFILE, email=f"user{i}@example.com"), ["email"], EVENTS) for i in range(users)]
    values = benchmark(bound.values, entities)
    assert values == [dict(EXPECTED, email=f"user{i}@example.com") for i in range(users)]
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        rate = users / stats.stats.mean
        benchmark.extra_info["renders_per_s"] = round(rate, 1)
        print(f"\nseed template, batches of {users}: {rate:,.0f} renders/s (mean {stats.stats.mean * 1e6 / users:.0f} "
              "us per user)")
