"""Arrival plans (k6's constant/ramping arrival rate) and the per-user pacer built on them."""

from __future__ import annotations

import pytest

from harness.load.shape import ArrivalPlan, Pacer


@pytest.mark.parametrize(
    ("stages", "start", "t", "arrivals", "rate"),
    [
        ([(10, 100)], 100, 5, 500, 100),
        ([(10, 100)], 100, 10, 1000, 0),
        ([(10, 100)], 0, 5, 125, 50),
        ([(10, 100)], 0, 10, 500, 0),
        ([(10, 100), (5, 0)], 0, 12.5, 687.5, 50),
        ([(2, 0), (2, 10)], 0, 1, 0, 0),
        ([(2, 0), (2, 10)], 0, 3, 2.5, 5),
        ([(10, 100)], 100, -1, 0, 0),
    ],
    ids=["constant-mid", "constant-end", "ramp-up-mid", "ramp-up-end", "ramp-down", "idle-stage",
         "after-idle-stage", "before-start"],
)
def test_arrivals_and_rate(stages: list[tuple[float, float]], start: float, t: float, arrivals: float,
                           rate: float) -> None:
    plan = ArrivalPlan(stages, start)
    assert plan.arrivals_until(t) == pytest.approx(arrivals)
    assert plan.rate_at(t) == pytest.approx(rate)


@pytest.mark.parametrize(
    ("stages", "start"),
    [([(10, 100)], 100), ([(10, 100)], 0), ([(10, 100), (5, 0), (5, 50)], 0), ([(2, 0), (2, 10)], 0),
     ([(3, 7), (4, 7), (1, 70)], 2)],
    ids=["constant", "ramp", "up-down-up", "idle-first", "mixed"],
)
def test_time_of_inverts_arrivals_until(stages: list[tuple[float, float]], start: float) -> None:
    plan = ArrivalPlan(stages, start)
    for i in range(1, 50):
        k = plan.total_arrivals * i / 50
        t = plan.time_of(k)
        assert t is not None
        assert plan.arrivals_until(t) == pytest.approx(k, rel=1e-6, abs=1e-6)
    assert plan.time_of(plan.total_arrivals + 1) is None


@pytest.mark.parametrize("bad", [[], [(0, 10)], [(5, -1)]], ids=["empty", "zero-duration", "negative-rate"])
def test_bad_plans_are_refused(bad: list[tuple[float, float]]) -> None:
    with pytest.raises(ValueError):
        ArrivalPlan(bad, 0)


def test_users_share_the_plan_exactly() -> None:
    """Ten users, each sending whenever due, together make exactly the plan's arrivals."""
    plan = ArrivalPlan([(4, 50)], 50)
    total = 0
    for i in range(10):
        pacer = Pacer(plan, users=10, index=i, phase=0.5)
        elapsed = 0.0
        while (delay := pacer.next_due(elapsed)) is not None:
            elapsed += delay
            pacer.sent()
            total += 1
        assert pacer.dropped == 0
    assert total == 200


def test_a_late_user_drops_missed_arrivals_instead_of_bunching_them() -> None:
    plan = ArrivalPlan([(10, 10)], 10)  # one user: one arrival every 0.1 s
    pacer = Pacer(plan, users=1, index=0, phase=0.0)
    assert pacer.next_due(0.0) == 0.0
    pacer.sent()
    assert pacer.next_due(0.55) == 0.0  # busy until 0.55: arrivals 0.1 .. 0.4 are gone, 0.5 is still owed
    assert pacer.dropped == 4
    pacer.sent()
    assert pacer.next_due(0.55) == pytest.approx(0.05)


@pytest.mark.parametrize(("users", "phase"), [(0, 0.5), (3, 1.0), (3, -0.1)], ids=["no-users", "phase-1", "phase-neg"])
def test_bad_pacer_arguments(users: int, phase: float) -> None:
    with pytest.raises(ValueError):
        Pacer(ArrivalPlan([(1, 1)], 1), users=users, index=0, phase=phase)
