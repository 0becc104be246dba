"""The joined metrics, computed from read-back data without processes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.load.metrics import Raw, ansira_limit, compute, latencies_ms, retry_after_violations
from harness.scenario import model as m
from harness.scenario.checks import check_retry_after
from harness.scenario.state import RunState

T0 = 1_700_000_000.0


def raw(**kw: Any) -> Raw:
    base: dict[str, Any] = {
        "job_start_ts": T0, "load_start_ts": T0 + 1, "load_end_ts": T0 + 11, "drained_ts": T0 + 12,
        "backfill_users": 0, "field_times": [], "enters": [], "members_at_end": [], "journal": [],
        "journal_summary": {}, "outcomes": [], "runner_counters": {}, "locust": None}
    base.update(kw)
    return Raw(**base)


def ft(pid: str, first: float, uuid_ts: float | None = None) -> dict[str, Any]:
    return {"_id": pid, "first_seen_ts": first, "field_ts": {} if uuid_ts is None else {"ansira_uuid": uuid_ts}}


def test_latency_runs_from_the_first_enter_to_the_field_change() -> None:
    r = raw(field_times=[ft("1", T0 + 2, T0 + 2.25), ft("2", T0 + 3, T0 + 3.5), ft("3", T0 + 4)],
            enters=[{"profile_id": "1", "event": "enter", "cause_ts": T0 + 2.0},
                    {"profile_id": "1", "event": "enter", "cause_ts": T0 + 2.2},  # a later re-entry
                    {"profile_id": "2", "event": "enter", "cause_ts": T0 + 3.0},
                    {"profile_id": "3", "event": "enter", "cause_ts": T0 + 4.0}])
    lat, n = latencies_ms(r)
    assert n == 3 and lat == pytest.approx([250.0, 500.0])
    metrics = compute(r)
    assert metrics["realtime_users"] == 3 and metrics["realtime_enriched"] == 2
    assert metrics["enrich_latency_p50_ms"] == 250.0 and metrics["enrich_latency_max_ms"] == 500.0


def test_no_real_time_users_means_no_latency_samples() -> None:
    metrics = compute(raw(field_times=[ft("1", T0 - 5, T0 + 1)], backfill_users=1))
    assert metrics["enrich_latency_p99_ms"] is None and metrics["realtime_users"] == 0
    assert metrics["users_enriched"] == 1 and metrics["enrichments_per_s"] == 1.0


def test_users_are_enriched_omitted_pending_or_lost() -> None:
    r = raw(
        field_times=[ft("1", T0 - 9, T0 + 1), ft("2", T0 - 9), ft("3", T0 - 9), ft("4", T0 - 9), ft("5", T0 - 9),
                     ft("6", T0 - 9, T0 - 20)],  # 6 carried the field before the job: not enriched by it
        members_at_end=["2", "3", "4"], backfill_users=5,
        outcomes=[{"user": "1", "status": "enriched"}, {"user": "2", "status": "omitted"},
                  {"user": "3", "status": "pending"}, {"user": "5", "status": "enriched"}])
    m_ = compute(r)
    assert (m_["users_enriched"], m_["users_omitted"], m_["users_pending"]) == (1, 1, 1)
    # 4: still in the audience, unknown to the runner; 5: the runner says enriched, the profile disagrees
    assert m_["lost_users"] == 2


def test_new_users_locust_sent_that_lytics_lacks_are_lost() -> None:
    locust = {"counters": {"new_users_sent": 5, "events_sent": 5}, "total": {"requests": 5, "failures": 0},
              "plan_duration_s": 10}
    r = raw(field_times=[ft(str(i), T0 + 2, T0 + 3) for i in range(3)], locust=locust, target_rate=0.5)
    m_ = compute(r)
    assert m_["missing_profiles"] == 2 and m_["lost_users"] == 2
    assert m_["achieved_arrival_rate"] == 0.5 and m_["collect_failure_ratio"] == 0


def _call(ts: float, status: int, email: str, ra: int | None = None) -> dict[str, Any]:
    return {"seq": 0, "ts": ts, "duration_ms": 1.0, "operation": "create_user", "status": status,
            "client_id": "c", "email": email, "retry_after": ra}


def test_ansira_figures() -> None:
    journal = [_call(T0 + i * 0.01, 201, f"u{i}@x") for i in range(100)]
    journal += [_call(T0 + 0.5, 429, "u100@x", ra=1), _call(T0 + 0.99, 201, "u1@x"), _call(T0 + 0.995, 503, "u2@x")]
    r = raw(journal=journal, journal_summary={"by_operation": {"create_user": 103}, "tokens_issued": 1},
            runner_counters={"http_429": 1, "retry_after_honoured": 1, "retried": 1},
            ansira_limit=100.0)
    m_ = compute(r)
    assert m_["ansira_requests"] == 103 and m_["ansira_2xx"] == 101 and m_["ansira_429"] == 1
    assert m_["ansira_5xx"] == 1 and m_["duplicate_calls"] == 1 and m_["ansira_429_seen"] == 1
    assert m_["retries"] == 2 and m_["token_fetches"] == 1
    assert m_["achieved_rate"] == pytest.approx(101 / 0.99, rel=1e-3)
    assert m_["rate_ratio"] == pytest.approx(101 / 0.99 / 100, rel=1e-3)
    # 51 calls (0.51 .. 0.995) fell inside the 1 s window opened at 0.501; 4 count as already in flight
    assert m_["retry_after_violations"] == 47


@pytest.mark.parametrize(
    ("behaviour", "limit"),
    [({}, None), ({"clients": [{"client_id": "a"}]}, None),
     ({"clients": [{"rate_limit": {"kind": "token_bucket", "rate": 200, "burst": 200}}]}, 200.0),
     ({"clients": [{"rate_limit": {"kind": "fixed_window", "limit": 600, "window_s": 60}}]}, 10.0)],
    ids=["none", "no-limit", "token-bucket", "fixed-window"],
)
def test_ansira_limit_from_the_behaviour(behaviour: dict[str, Any], limit: float | None) -> None:
    assert ansira_limit(behaviour) == limit


entry = st.fixed_dictionaries({
    "ts": st.floats(0, 5, allow_nan=False), "duration_ms": st.floats(0, 50, allow_nan=False),
    "operation": st.sampled_from(["create_user", "create_user", "token"]),
    "client_id": st.sampled_from(["a", "b"]), "retry_after": st.sampled_from([None, None, None, 1, 2]),
    "logged": st.booleans(), "sent_early": st.floats(0, 0.2, allow_nan=False),
    "answer_after": st.one_of(st.none(), st.floats(0, 0.3, allow_nan=False))})


@settings(max_examples=150, deadline=None)
@given(st.lists(entry, max_size=60), st.integers(0, 4), st.sampled_from([0.0, 0.05, 0.25]))
def test_retry_after_violations_agree_with_the_scenario_check(journal: list[dict[str, Any]], in_flight: int,
                                                             grace: float) -> None:
    """The load report's count equals the scenario check's, with and without the runner's request log."""
    requests = {}
    for i, e in enumerate(journal):
        e["seq"] = i + 1
        e["request_id"] = f"r{i}" if e.pop("logged") else None
        sent, after = e["ts"] - e.pop("sent_early"), e.pop("answer_after")
        if e["request_id"]:
            requests[e["request_id"]] = {"request_id": e["request_id"], "sent_ts": sent,
                                         "received_ts": None if after is None else e["ts"] + after}
    state = RunState(profiles=[], segment_sizes={}, journal=journal, journal_summary={}, outcomes=[],
                     outcome_summary={}, duration_s=0, runner_requests=requests)
    check = check_retry_after(m.RetryAfterRespected(kind="retry_after_respected", grace_s=grace,
                                                    in_flight=in_flight), state)
    expected = int(re.search(r"actual (\d+)", check.reason).group(1))  # type: ignore[union-attr]
    assert retry_after_violations(journal, allowance=in_flight, grace_s=grace, requests=requests) == expected
    r = raw(journal=journal, runner_requests=list(requests.values()), max_workers=in_flight + 1,
            retry_after_grace_s=grace)
    assert compute(r)["retry_after_violations"] == expected
