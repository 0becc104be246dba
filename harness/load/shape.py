"""Open-model arrivals for locust (k6's constant/ramping-arrival-rate), built from per-user pacing.

Locust only has a closed model: users that wait for each answer. Here a pool of U users shares the arrival
plan: the k-th arrival of the whole run happens at A⁻¹(k), where A(t) is the integral of the target rate, and
user i owns arrivals i, i+U, i+2U, ... (with a random phase, so users do not fire in lock-step). A user that is
still busy when its next arrival is due sends late; once it is a whole slot behind it skips the missed arrivals
and counts them as dropped, like k6's `dropped_iterations`, instead of silently lowering the rate. Every user
needs only the plan and U, so the same schedule holds on one process or spread over locust workers.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    start_s: float
    duration_s: float
    rate0: float  # events/s at the start of the segment
    rate1: float  # events/s at the end (linear in between)
    arrivals_before: float  # A(start_s)

    @property
    def arrivals(self) -> float:
        return (self.rate0 + self.rate1) / 2.0 * self.duration_s


class ArrivalPlan:
    """A piecewise-linear target rate and its cumulative arrivals A(t)."""

    def __init__(self, stages: Sequence[tuple[float, float]], start_rate: float = 0.0) -> None:
        """`stages`: (duration_s, rate at the end of the stage); the first ramps from `start_rate`."""
        if not stages:
            raise ValueError("an arrival plan needs at least one stage")
        self.segments: list[Segment] = []
        t, rate, total = 0.0, float(start_rate), 0.0
        for duration, end_rate in stages:
            if duration <= 0 or end_rate < 0 or rate < 0:
                raise ValueError(f"stage ({duration}, {end_rate}): duration must be > 0 and rates >= 0")
            seg = Segment(t, float(duration), rate, float(end_rate), total)
            self.segments.append(seg)
            t, rate, total = t + duration, float(end_rate), total + seg.arrivals
        self.duration_s = t
        self.total_arrivals = total
        self._starts = [s.start_s for s in self.segments]
        self._cumulative = [s.arrivals_before for s in self.segments]

    def rate_at(self, t: float) -> float:
        if t < 0 or t >= self.duration_s:
            return 0.0
        seg = self.segments[bisect.bisect_right(self._starts, t) - 1]
        return seg.rate0 + (seg.rate1 - seg.rate0) * (t - seg.start_s) / seg.duration_s

    def arrivals_until(self, t: float) -> float:
        """A(t): how many arrivals the plan makes in [0, t]."""
        if t <= 0:
            return 0.0
        if t >= self.duration_s:
            return self.total_arrivals
        seg = self.segments[bisect.bisect_right(self._starts, t) - 1]
        x = t - seg.start_s
        slope = (seg.rate1 - seg.rate0) / seg.duration_s
        return seg.arrivals_before + seg.rate0 * x + slope * x * x / 2.0

    def time_of(self, k: float) -> float | None:
        """A⁻¹(k): when the plan reaches k arrivals; None when it never does."""
        if k < 0:
            return 0.0
        if k > self.total_arrivals:
            return None
        # the last segment starting at or below k: zero-rate segments sharing a start value are skipped over
        seg = self.segments[max(0, bisect.bisect_right(self._cumulative, k) - 1)]
        need = k - seg.arrivals_before
        slope = (seg.rate1 - seg.rate0) / seg.duration_s
        if need <= 0:
            return seg.start_s
        if abs(slope) < 1e-12:
            if seg.rate0 <= 0:
                return None
            x = need / seg.rate0
        else:  # slope/2 x² + rate0 x - need = 0, the root in [0, duration]
            disc = seg.rate0 * seg.rate0 + 2.0 * slope * need
            x = (-seg.rate0 + math.sqrt(max(0.0, disc))) / slope
        return seg.start_s + min(max(x, 0.0), seg.duration_s)


class Pacer:
    """One user's share of the plan: arrivals (index + phase), (index + phase) + users, ..."""

    def __init__(self, plan: ArrivalPlan, *, users: int, index: int, phase: float) -> None:
        if users < 1 or not 0 <= phase < 1:
            raise ValueError("users must be >= 1 and phase in [0, 1)")
        self.plan = plan
        self.users = users
        self.slot = (index % users) + phase  # arrival number of this user's next event
        self.dropped = 0

    def next_due(self, elapsed: float) -> float | None:
        """Seconds from now until this user's next arrival (0 when already due); None when the plan is over.

        Arrivals more than one slot in the past are skipped and counted in `dropped`.
        """
        while True:
            due = self.plan.time_of(self.slot)
            if due is None:
                return None
            behind = elapsed - due
            nxt = self.plan.time_of(self.slot + self.users)
            if behind > 0 and nxt is not None and nxt <= elapsed:
                self.slot += self.users
                self.dropped += 1
                continue
            return max(0.0, due - elapsed)

    def sent(self) -> None:
        self.slot += self.users
