"""The two check kinds the fault matrix rests on must fail when a user is lost, unexplained or called late."""

from __future__ import annotations

from typing import Any

import pytest

from harness.scenario import model as m
from harness.scenario.checks import run_check
from harness.scenario.state import RunState


def state(profiles: list[dict[str, Any]], outcomes: list[dict[str, Any]],
          journal: list[dict[str, Any]] | None = None) -> RunState:
    return RunState(profiles=profiles, segment_sizes={}, journal=journal or [], journal_summary={},
                    outcomes=outcomes, outcome_summary={}, duration_s=1.0)


def outcome(user: str, email: str, status: str, reason: str | None = None, done_ts: float | None = None
            ) -> dict[str, Any]:
    return {"user": user, "identity": {"email": email}, "status": status, "reason": reason, "done_ts": done_ts}


ACCOUNTED = m.Accounted(kind="accounted")
P1 = {"_id": "1", "email": "a@x.com", "ansira_uuid": "u-1"}
P2 = {"_id": "2", "email": "b@x.com"}
NO_EMAIL = {"_id": "3", "user_id": "z"}


@pytest.mark.parametrize(
    ("profiles", "outcomes", "ok", "needle"),
    [
        ([P1, P2, NO_EMAIL], [outcome("1", "a@x.com", "enriched"), outcome("2", "b@x.com", "omitted", "HTTP 400")],
         True, "1 enriched, 1 omitted with a reason; unaccounted expected 0, actual 0"),
        ([P1, P2], [outcome("1", "a@x.com", "enriched")], False, "never picked up by the runner"),
        ([P1, P2], [outcome("2", "b@x.com", "pending", "transport: ReadTimeout")], False,
         "pending: transport: ReadTimeout"),
        ([P1, P2], [outcome("2", "b@x.com", "omitted")], False, "omitted: no reason"),
        ([P1, P2], [outcome("2", "b@x.com", "enriched")], False, "counted it enriched but the profile does not match"),
        ([P1, {"_id": "9", "email": "B@X.com"}], [outcome("2", "b@x.com", "omitted", "assert: x")], True,
         "1 omitted with a reason"),
        ([NO_EMAIL], [], False, "of 0 users"),
    ],
    ids=["all-accounted", "never-picked-up", "pending", "omitted-without-reason", "lost-write-back",
         "matched-by-email-after-merge", "nothing-to-account-for"],
)
def test_accounted(profiles: list[dict[str, Any]], outcomes: list[dict[str, Any]], ok: bool, needle: str) -> None:
    result = run_check(ACCOUNTED, state(profiles, outcomes))
    assert result.ok is ok
    assert needle in result.reason + " ".join(result.details)


def call(seq: int, email: str, ts: float, status: int = 201) -> dict[str, Any]:
    return {"seq": seq, "operation": "create_user", "email": email, "ts": ts, "status": status}


LATE = m.NoCallAfterEnriched(kind="no_call_after_enriched")


@pytest.mark.parametrize(
    ("journal", "ok", "needle"),
    [
        ([call(1, "a@x.com", 10.0, 503), call(2, "a@x.com", 10.5)], True, "expected 0, actual 0"),
        ([call(1, "a@x.com", 10.0), call(2, "a@x.com", 12.0, 200)], False, "1.000s after its write-back landed"),
        ([call(1, "a@x.com", 10.0), call(2, "a@x.com", 11.5, 429)], False, "call #2 (HTTP 429)"),
        ([call(1, "b@x.com", 10.0), call(2, "b@x.com", 20.0)], True, "actual 0"),
    ],
    ids=["retries-before-landing", "called-again-after", "any-status-counts", "other-users-ignored"],
)
def test_no_call_after_enriched(journal: list[dict[str, Any]], ok: bool, needle: str) -> None:
    outcomes = [outcome("1", "A@x.com", "enriched", done_ts=11.0), outcome("2", "b@x.com", "omitted", "HTTP 400")]
    result = run_check(LATE, state([P1], outcomes, journal))
    assert result.ok is ok
    assert needle in result.reason + " ".join(result.details)


def test_no_call_after_enriched_needs_an_enriched_user() -> None:
    assert not run_check(LATE, state([], [], [call(1, "a@x.com", 1.0)])).ok


NO_DUP = m.NoDuplicateCalls(kind="no_duplicate_calls")


def answered(email: str, unanswered: int) -> dict[str, Any]:
    return {**outcome("1", email, "enriched"), "unanswered": unanswered}


@pytest.mark.parametrize(
    ("journal", "outcomes", "ok", "needle"),
    [
        ([call(1, "a@x.com", 1.0), call(2, "b@x.com", 1.0)], [answered("a@x.com", 0)], True, "actual 0"),
        ([call(1, "a@x.com", 1.0), call(2, "a@x.com", 2.0)], [answered("a@x.com", 0)], False,
         "a@x.com: 2 successful calls, 0 unanswered attempts"),
        ([call(1, "a@x.com", 1.0), call(2, "A@x.com", 2.0)], [answered("a@x.com", 1)], True,
         "1 more explained by answers the runner never received"),
        ([call(1, "a@x.com", 1.0), call(2, "a@x.com", 2.0), call(3, "a@x.com", 3.0)], [answered("a@x.com", 1)],
         False, "3 successful calls, 1 unanswered"),
        ([call(1, "a@x.com", 1.0, 503), call(2, "a@x.com", 2.0)], [answered("a@x.com", 0)], True, "actual 0"),
    ],
    ids=["one-each", "second-success-with-every-answer-received", "lost-answer-explains-it",
         "more-successes-than-lost-answers", "failures-do-not-count"],
)
def test_no_duplicate_calls(journal: list[dict[str, Any]], outcomes: list[dict[str, Any]], ok: bool,
                            needle: str) -> None:
    result = run_check(NO_DUP, state([P1], outcomes, journal))
    assert result.ok is ok, result.reason
    assert needle in result.reason + " ".join(result.details)
