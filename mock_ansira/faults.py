"""Seeded fault and latency schedules.

Every random choice is a hash of (seed, rule, n) where n counts the requests the rule has seen, so the
n-th targeted request fails the same way on every run, whatever the thread interleaving.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from statistics import NormalDist

from mock_ansira.behaviour import Fault, FixedLatency, Latency, LognormalLatency, UniformLatency

_Z99 = NormalDist().inv_cdf(0.99)


def unit_draw(seed: int, *parts: object) -> float:
    """A number in [0, 1) that depends only on its arguments."""
    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def targets(operation: str, client_id: str | None, rule_operation: str, rule_client: str | None) -> bool:
    if rule_operation not in ("*", operation):
        return False
    return rule_client is None or rule_client == client_id


@dataclass(frozen=True)
class Selected:
    """A fault chosen for one request, with its index in the behaviour's fault list."""

    index: int
    fault: Fault


class FaultSchedule:
    """Counters per fault rule since the behaviour was loaded; callers hold the backend lock."""

    def __init__(self, faults: list[Fault], seed: int, started_at: float, loaded_at: float) -> None:
        self.faults = faults
        self.seed = seed
        self.started_at = started_at
        self.loaded_at = loaded_at
        self.counts = [0] * len(faults)

    def select(self, operation: str, client_id: str | None, now: float) -> Selected | None:
        """Count this request against every rule that targets it; return the first rule that fires."""
        chosen: Selected | None = None
        for index, fault in enumerate(self.faults):
            if not targets(operation, client_id, fault.effective_operation, fault.client_id):
                continue
            self.counts[index] += 1
            if chosen is None and self._fires(index, fault, self.counts[index], now):
                chosen = Selected(index, fault)
        return chosen

    def _fires(self, index: int, fault: Fault, n: int, now: float) -> bool:
        if fault.first_n is not None and n > fault.first_n:
            return False
        if fault.every_nth is not None and n % fault.every_nth != 0:
            return False
        if fault.after_s is not None or fault.duration_s is not None:
            origin = self.started_at if fault.since == "start" else self.loaded_at
            start = origin + (fault.after_s or 0.0)
            if now < start or (fault.duration_s is not None and now >= start + fault.duration_s):
                return False
        return fault.probability is None or unit_draw(self.seed, "fault", index, n) < fault.probability


class LatencySchedule:
    """Picks the first latency rule for an operation and draws a delay for its n-th request."""

    def __init__(self, rules: list[Latency], seed: int) -> None:
        self.rules = rules
        self.seed = seed
        self.counts = [0] * len(rules)

    def next_delay_ms(self, operation: str) -> float:
        for index, rule in enumerate(self.rules):
            if rule.operation in ("*", operation):
                self.counts[index] += 1
                return sample_ms(rule, unit_draw(self.seed, "latency", index, self.counts[index]))
        return 0.0


def sample_ms(rule: Latency, u: float) -> float:
    """The delay for uniform draw `u` in [0, 1): inverse-CDF sampling keeps one draw per request."""
    if isinstance(rule, FixedLatency):
        return rule.ms
    if isinstance(rule, UniformLatency):
        return rule.min_ms + (rule.max_ms - rule.min_ms) * u
    assert isinstance(rule, LognormalLatency)
    mu = math.log(rule.p50_ms)
    sigma = (math.log(rule.p99_ms) - mu) / _Z99
    z = NormalDist().inv_cdf(min(max(u, 1e-12), 1 - 1e-12))
    return min(rule.max_ms, math.exp(mu + sigma * z))
