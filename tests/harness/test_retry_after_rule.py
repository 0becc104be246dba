"""The Retry-After rule (harness.retry_after) against a brute-force statement of it, and the gate's side of it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import retry_after
from harness.runner.pacing import Gate

T0 = 1_700_000_000.0


def entry(seq: int, ts: float, *, ra: float | None = None, rid: str | None = None, client: str = "c",
          op: str = "create_user", duration_ms: float = 0.0) -> dict[str, Any]:
    return {"seq": seq, "ts": ts, "duration_ms": duration_ms, "operation": op, "client_id": client,
            "retry_after": ra, "request_id": rid}


def rec(sent: float, received: float | None = None) -> dict[str, Any]:
    return {"sent_ts": sent, "received_ts": received}


def test_a_request_already_on_the_wire_is_not_a_violation() -> None:
    """#2 left before the runner had #1's 429 and reached Ansira well inside the window: in flight, not ignored."""
    journal = [entry(1, T0, ra=1, rid="r1"), entry(2, T0 + 0.2, rid="r2")]
    sends = {"r1": rec(T0 - 0.01, T0 + 0.15), "r2": rec(T0 + 0.149)}
    v = retry_after.violations(journal, sends, allowance=0, grace_s=0)
    assert (v.windows, v.exact_windows, v.violations) == (1, 1, 0)
    # the journal alone (no runner log) cannot tell: with no allowance it flags #2
    assert retry_after.violations(journal, {}, allowance=0, grace_s=0).violations == 1


def test_a_send_after_the_receipt_is_a_violation_however_early() -> None:
    journal = [entry(1, T0, ra=1, rid="r1"), entry(2, T0 + 0.16, rid="r2"), entry(3, T0 + 1.3, rid="r3")]
    sends = {"r1": rec(T0 - 0.01, T0 + 0.15), "r2": rec(T0 + 0.1501), "r3": rec(T0 + 1.15)}
    v = retry_after.violations(journal, sends, allowance=9, grace_s=5)  # allowance and grace do not apply
    assert v.violations == 1
    assert v.samples == ["request #2 was sent 0.000s after the runner received the 429 of #1, inside its 1s "
                         "Retry-After"]


def test_the_window_is_measured_from_the_receipt() -> None:
    """#3 was sent exactly one Retry-After after the receipt: allowed, though Ansira answered #1 earlier."""
    journal = [entry(1, T0, ra=1, rid="r1"), entry(3, T0 + 1.2, rid="r3"), entry(4, T0 + 1.2, rid="r4")]
    sends = {"r1": rec(T0 - 0.1, T0 + 0.2), "r3": rec(T0 + 1.2), "r4": rec(T0 + 1.19)}
    v = retry_after.violations(journal, sends, allowance=0, grace_s=0)
    assert v.violations == 1 and v.samples[0].startswith("request #4 was sent 0.990s")


def test_unlogged_requests_and_windows_fall_back_to_the_journal_rule() -> None:
    journal = [entry(1, T0, ra=1, rid="r1", duration_ms=100), entry(2, T0 + 0.15), entry(3, T0 + 0.2),
               entry(4, T0 + 0.9),  # no request id: arrival times against Ansira's window (opened at T0 + 0.1)
               entry(5, T0 + 5, ra=2), entry(6, T0 + 5.5, rid="r6")]  # a window the runner has no receipt for
    sends = {"r1": rec(T0 - 0.1, T0 + 0.12), "r6": rec(T0 + 5.4)}
    v = retry_after.violations(journal, sends, allowance=1, grace_s=0.1)
    assert (v.windows, v.exact_windows) == (2, 1)
    # window 1: #2 tolerated as in flight (first within grace), #3 and #4 not; window 2: #6 by its arrival
    assert v.violations == 3
    assert [s.split(" arrived")[0] for s in v.samples] == ["request #3", "request #4", "request #6"]


def test_token_calls_and_other_clients_are_not_counted() -> None:
    journal = [entry(1, T0, ra=1, rid="r1"), entry(2, T0 + 0.5, op="token", rid="r2"),
               entry(3, T0 + 0.5, client="other", rid="r3")]
    sends = {"r1": rec(T0, T0 + 0.1), "r2": rec(T0 + 0.4), "r3": rec(T0 + 0.4)}
    assert retry_after.violations(journal, sends, allowance=0, grace_s=0).violations == 0


def naive(journal: list[dict[str, Any]], sends: dict[str, dict[str, Any]], allowance: int, grace: float) -> int:
    """The rule as docs/reliability.md states it, one window and one request at a time."""
    n = 0
    for w in journal:
        if not w["retry_after"]:
            continue
        ra, wr = float(w["retry_after"]), sends.get(str(w["request_id"])) if w["request_id"] else None
        answered = w["ts"] + w["duration_ms"] / 1000
        exact = wr is not None and wr.get("received_ts") is not None
        arrivals = []
        for e in journal:
            if e["operation"] == "token" or e["client_id"] != w["client_id"]:
                continue
            r = sends.get(str(e["request_id"])) if e["request_id"] else None
            if exact and r is not None:
                n += wr["received_ts"] < r["sent_ts"] < wr["received_ts"] + ra - retry_after.EPSILON_S
            elif answered < e["ts"] < answered + ra - retry_after.JOURNAL_END_SLACK_S:
                arrivals.append(e["ts"])
        early = sum(1 for t in arrivals if t - answered <= grace)
        n += len(arrivals) - min(allowance, early)
    return n


@st.composite
def journals(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    journal, sends = [], {}
    for i in range(draw(st.integers(0, 40))):
        ts = T0 + draw(st.floats(0, 4, allow_nan=False))
        rid = f"r{i}" if draw(st.booleans()) or draw(st.booleans()) else None
        journal.append(entry(i + 1, ts, ra=draw(st.sampled_from([None, None, None, 1, 2])), rid=rid,
                             client=draw(st.sampled_from(["a", "a", "b"])),
                             op=draw(st.sampled_from(["create_user", "create_user", "token"])),
                             duration_ms=draw(st.floats(0, 50, allow_nan=False))))
        if rid is not None and draw(st.integers(0, 5)):
            sent = ts - draw(st.floats(0, 0.2, allow_nan=False))
            received = ts + draw(st.floats(0, 0.3, allow_nan=False)) if draw(st.booleans()) else None
            sends[rid] = rec(sent, received)
    return journal, sends


@settings(max_examples=300, deadline=None)
@given(journals(), st.integers(0, 4), st.sampled_from([0.0, 0.05, 0.25]))
def test_the_bisecting_count_equals_the_brute_force_rule(
        case: tuple[list[dict[str, Any]], dict[str, dict[str, Any]]], allowance: int, grace: float) -> None:
    journal, sends = case
    assert retry_after.violations(journal, sends, allowance=allowance, grace_s=grace).violations == naive(
        journal, sends, allowance, grace)


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_admit_refuses_a_worker_that_passed_the_gate_before_another_workers_429() -> None:
    clock = FakeClock()
    gate = Gate(clock=clock, wall=lambda: T0)
    assert gate.wait()  # worker A is through the gate, not yet on the wire
    received = gate.hold_for(1.0)  # worker B's 429 with Retry-After: 1
    assert received == T0 and gate.admit() is None  # A must not send now
    clock.t += 0.999
    assert gate.admit() is None
    clock.t += 0.001
    assert gate.admit() == pytest.approx(T0 + 1.0)  # stamps on the gate's clock, anchored to the wall clock


def test_no_admitted_send_is_stamped_inside_a_window_under_contention() -> None:
    """Eight threads admitting and holding at random on the real clocks: the stamps never overlap a window."""
    gate = Gate()
    windows: list[tuple[float, float]] = []
    sends: list[float] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        for n in range(300):
            if (n + i) % 37 == 0:
                got = gate.hold_for(0.002)
                with lock:
                    windows.append((got, got + 0.002))
                continue
            while True:  # the runner's protocol: wait for the gate to open, then the last word under its lock
                assert gate.wait()
                if (ts := gate.admit()) is not None:
                    with lock:
                        sends.append(ts)
                    break

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(windows) + len(sends) == 8 * 300  # every worker's every send went out, after waiting if held
    inside = [s for s in sends for lo, hi in windows if lo < s < hi - retry_after.EPSILON_S]
    assert not inside
