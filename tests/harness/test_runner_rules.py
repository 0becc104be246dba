"""Every rule of harness/runner/job.py, driven with a fake session, fake clock and fake token source: no sockets.

A job is built as the runner builds it (EnrichmentJob from a runtime document) but its workers are not started:
`job.work_one()` runs one user on the test's thread, so each answer is scripted and each rule is checked in
milliseconds. The end-to-end tests (test_runner_e2e.py) still cover the same rules against the real mocks.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

import pytest
import requests

from harness.connpool import PoolSession, Reply, SendCancelled
from harness.errors import AuthError, ConfigError
from harness.http import HttpSession
from harness.retry_after import HEADER as REQUEST_ID_HEADER
from harness.runner.answer import Verdict, classify
from harness.runner.job import EnrichmentJob
from harness.runner.lytics import LyticsClient
from harness.runner.oauth import TokenManager, token_manager_for
from harness.runner.options import RunnerOptions
from harness.runner.outcomes import ENRICHED, OMITTED, PENDING, OutcomeLog
from harness.runner.queue import feed_item, identity_of, scan_item
from harness.runner.roster import Roster
from harness.runner.sends import SendSlots
from harness.runner.state import JobState
from harness.templates import TemplateEngine

WALL0 = 1_700_000_000.0


class FakeClock:
    """Time moves only when the job waits: a backoff or a held gate costs no real time."""

    def __init__(self) -> None:
        self.mono = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return WALL0 + self.mono - 1000.0

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, stop: threading.Event, seconds: float) -> bool:
        self.sleeps.append(seconds)
        self.mono += seconds
        return stop.is_set()

    def wait(self, cond: threading.Condition, seconds: float) -> None:
        self.mono += max(seconds, 1e-6)


Script = tuple[int, dict[str, str], bytes] | Exception | Callable[[], object]


class FakeSession:
    """Answers from a script, in order; `before_send` is honoured as PoolSession does (SendCancelled)."""

    def __init__(self, clock: FakeClock, *answers: Script) -> None:
        self.clock = clock
        self.answers = list(answers)
        self.sent: list[dict[str, Any]] = []
        self.closed = False

    def request(self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, data: bytes | str | Mapping[str, Any] | None = None,
                before_send: Callable[[], bool] | None = None) -> Reply:
        step = self.answers.pop(0)
        if callable(step):
            step()  # something happens between the gate and the send (another worker's Retry-After)
            step = self.answers.pop(0)
        if before_send is not None and not before_send():
            self.answers.insert(0, step)
            raise SendCancelled()
        self.sent.append({"method": method, "url": url, "params": dict(params or {}), "headers": dict(headers or {}),
                          "body": data, "at": self.clock.monotonic()})
        if isinstance(step, Exception):
            raise step
        assert isinstance(step, tuple), "two side-effect steps in a row"
        status, hdrs, body = step
        msg = http.client.HTTPMessage()
        for k, v in hdrs.items():
            msg[k] = v
        return Reply(status, msg, body, url)

    def close(self) -> None:
        self.closed = True


class FakeTokens:
    def __init__(self, *values: str | Exception) -> None:
        self.values = list(values)
        self.current: str | None = None
        self.invalidated: list[str] = []
        self.fetches = 0

    def get(self) -> str:
        if self.current is None:
            v = self.values.pop(0)
            self.fetches += 1
            if isinstance(v, Exception):
                raise v
            self.current = v
        return self.current

    def invalidate(self, value: str) -> None:
        self.invalidated.append(value)
        if self.current == value:
            self.current = None


class FakeLytics:
    """Only what the job touches: the write-back target and audience scans."""

    instance = None

    def __init__(self, members: list[dict[str, Any]] | None = None) -> None:
        self.collected: list[tuple[str, list[dict[str, Any]]]] = []
        self.landed = threading.Event()
        self.members = members or []
        self.scanned = threading.Event()

    def collect(self, stream: str, events: list[dict[str, Any]]) -> None:
        self.collected.append((stream, list(events)))
        self.landed.set()

    def scan(self, segment_id: str, *, page_size: int = 500) -> Iterator[list[dict[str, Any]]]:
        try:
            yield from (self.members[i:i + page_size] for i in range(0, len(self.members), page_size))
        finally:  # the scan's reader has queued every member by now
            self.scanned.set()


def ok(body: Any = None, status: int = 200) -> Script:
    return status, {"Content-Type": "application/json"}, json.dumps({"ok": True} if body is None else body).encode()


def err(status: int, **headers: str) -> Script:
    return status, headers, b'{"error": "x"}'


class Rig:
    def __init__(self, *answers: Script, tokens: FakeTokens | None = None, members: list[dict] | None = None,
                 auth: dict[str, Any] | None = None, **opts: Any) -> None:
        self.clock = FakeClock()
        self.session = FakeSession(self.clock, *answers)
        self.lytics = FakeLytics(members)
        self.outcomes = OutcomeLog()
        options = RunnerOptions(**{"backoff_base_s": 0.1, "backoff_cap_s": 1.0, **opts})
        cfg = {"webhook_url": "http://127.0.0.1:9/enrich", "segment_ids": ["seg1"], "do_not_retry": [409],
               "user_fields": ["email"], "worker_count": 1}
        runtime: dict[str, Any] = {"job": {"id": "job-1", "name": "rules", "config": cfg}}
        if auth is not None:
            runtime["auths"] = [{"config": auth}]
        self.job = EnrichmentJob(runtime, cast(LyticsClient, self.lytics), cast(TemplateEngine, None), self.outcomes,
                                 ["email"], options, session=self.session, clock=self.clock, tokens=tokens)
        self.job.writeback.start()

    def run(self, pid: str = "u1", **profile: Any) -> None:
        ev = {"kind": "segment", "segment_id": "seg1", "event": "enter", "profile_id": pid, "ts": WALL0 - 5,
              "identity": {"email": f"{pid}@x.io"}, "profile": {"email": f"{pid}@x.io", **profile}}
        assert self.job.submit(feed_item(ev, ["email"], WALL0))
        assert self.job.work_one(timeout=0)

    def outcome(self, pid: str = "u1") -> dict[str, Any]:
        return self.outcomes.by_user[pid].to_dict()

    def land(self) -> None:
        assert self.lytics.landed.wait(5), "write-back never posted"
        self.job.stop(5)

    @property
    def counters(self) -> dict[str, int]:
        return dict(self.outcomes.counters)


# -- the answer table (pure) ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "header", "body", "token", "refreshed", "never", "ignore", "verdict", "hold"),
    [
        (200, None, b'{"a": 1}', False, False, False, False, Verdict.ENRICH, None),
        (201, "5", b"{}", False, False, False, False, Verdict.ENRICH, None),  # no Retry-After read from a 2xx
        (200, None, b"<html>", False, False, False, False, Verdict.OMIT, None),
        (401, "5", b"", True, False, False, False, Verdict.REFRESH, None),
        (401, None, b"", True, True, False, False, Verdict.BACKOFF, None),
        (401, None, b"", False, False, False, False, Verdict.BACKOFF, None),  # no token sent: nothing to refresh
        (400, "5", b"", False, False, True, False, Verdict.OMIT, None),
        (409, None, b"", False, False, True, False, Verdict.OMIT, None),
        (429, "2", b"", False, False, False, False, Verdict.SLEEP, 2.0),
        (503, "0.5", b"", False, False, False, False, Verdict.SLEEP, 0.5),
        (429, "2", b"", False, False, False, True, Verdict.RETRY, None),
        (429, None, b"", False, False, False, False, Verdict.BACKOFF, None),
        (500, "soon", b"", False, False, False, False, Verdict.BACKOFF, None),
    ],
    ids=["2xx", "2xx-ignores-retry-after", "2xx-not-json", "first-401", "second-401", "401-no-token",
         "never-retry", "do-not-retry", "429-retry-after", "503-retry-after", "retry-after-ignored", "429-bare",
         "5xx-bad-header"],
)
def test_classify_table(status: int, header: str | None, body: bytes, token: bool, refreshed: bool, never: bool,
                        ignore: bool, verdict: Verdict, hold: float | None) -> None:
    a = classify(status, header, body, token_sent=token, refreshed=refreshed, never_retry=never,
                 ignore_retry_after=ignore)
    assert (a.verdict, a.hold_s) == (verdict, hold)
    assert a.success == (200 <= status < 300)
    assert a.drop_token == (status == 401 and token)
    assert a.rate_limited == (status == 429 and verdict in (Verdict.SLEEP, Verdict.RETRY, Verdict.BACKOFF))


def test_classify_reads_an_http_date_retry_after_against_the_given_now() -> None:
    when = email.utils.formatdate(WALL0 + 30, usegmt=True)
    a = classify(503, when, b"", token_sent=False, refreshed=False, never_retry=False, ignore_retry_after=False,
                 now=WALL0)
    assert (a.verdict, a.hold_s) == (Verdict.SLEEP, 30.0)


# -- the job applying it -----------------------------------------------------------------------------------------
def test_2xx_is_written_back_with_the_identity_and_counts_as_enriched_once_landed() -> None:
    rig = Rig(ok({"segment": "gold"}))
    rig.run(plan="x")
    rig.land()
    assert rig.lytics.collected == [("webhook_enrichment",
                                      [{"origin": {"email": "u1@x.io"}, "response": {"segment": "gold"}}])]
    out = rig.outcome()
    assert (out["status"], out["attempts"], out["http_status"]) == (ENRICHED, 1, 200)
    sent = rig.session.sent[0]
    assert sent["method"] == "POST" and json.loads(sent["body"]) == {"email": "u1@x.io"}
    assert sent["headers"]["Content-Type"] == "application/json" and sent["headers"][REQUEST_ID_HEADER]


@pytest.mark.parametrize("status", [400, 404, 413, 409])
def test_never_retry_statuses_omit_the_user_without_failing_the_job(status: int) -> None:
    rig = Rig(err(status, **{"Retry-After": "3"}))
    rig.run()
    out = rig.outcome()
    assert (out["status"], out["reason"], out["attempts"]) == (OMITTED, f"HTTP {status}", 1)
    assert len(rig.session.sent) == 1 and rig.job.status == "running" and rig.clock.sleeps == []
    assert rig.outcomes.requests_snapshot()[0]["retry_after"] is None  # not asked to retry: no Retry-After


def test_2xx_without_json_is_omitted() -> None:
    rig = Rig((200, {}, b"not json"))
    rig.run()
    assert (rig.outcome()["status"], rig.outcome()["reason"]) == (OMITTED, "non-JSON 200 body")


def test_other_failures_are_retried_with_jittered_backoff_until_success() -> None:
    rig = Rig(err(500), err(502), ok())
    rig.run()
    rig.land()
    assert [r["status"] for r in rig.outcomes.requests_snapshot()] == [500, 502, 200]
    assert rig.outcome()["attempts"] == 3 and rig.outcome()["status"] == ENRICHED
    assert rig.counters["retried"] == 2 and len(rig.clock.sleeps) == 2
    assert 0 <= rig.clock.sleeps[0] <= 0.1 and 0 <= rig.clock.sleeps[1] <= 0.2  # full jitter, doubling base


def test_retry_after_holds_the_gate_sleeps_the_job_and_is_no_failure() -> None:
    rig = Rig(err(429, **{"Retry-After": "2"}), ok(), failures_before_job_error=1)
    rig.run()
    first, second = rig.session.sent
    assert second["at"] - first["at"] >= 2.0  # the gate held every send for the Retry-After
    assert rig.clock.sleeps == []  # a sleep on the gate, not a per-user backoff
    assert rig.counters["retry_after_honoured"] == 1 and rig.counters["rate_limited"] == 1
    assert "job_errors" not in rig.counters and rig.job.status == "running"  # the 2xx ended the sleep
    log_ = rig.outcomes.requests_snapshot()[0]
    assert log_["retry_after"] == 2.0 and log_["received_ts"] >= log_["sent_ts"]
    assert any(e["code"] == "retry_after" for e in rig.job.take_report()["logs"])


def test_the_job_is_sleeping_while_a_retry_after_holds_it() -> None:
    seen: list[str] = []
    rig = Rig(err(503, **{"Retry-After": "1"}), lambda: seen.append(rig.job.status), ok())
    rig.run()
    assert seen == ["sleeping"] and rig.job.status == "running"


def test_ignored_retry_after_retries_at_once_without_holding() -> None:
    rig = Rig(err(429, **{"Retry-After": "30"}), ok(), ignore_retry_after=True)
    rig.run()
    first, second = rig.session.sent
    assert second["at"] == first["at"] and rig.counters["retry_after_ignored"] == 1
    assert rig.outcomes.requests_snapshot()[0]["retry_after"] == 30.0  # still logged: the check can catch it


def test_first_401_refreshes_the_token_once_and_retries_at_once() -> None:
    tokens = FakeTokens("t1", "t2")
    rig = Rig(err(401), ok(), tokens=tokens, auth={})
    rig.run()
    assert [s["headers"]["Authorization"] for s in rig.session.sent] == ["Bearer t1", "Bearer t2"]
    assert tokens.invalidated == ["t1"] and rig.clock.sleeps == [] and rig.counters["token_refresh_on_401"] == 1


def test_a_second_401_drops_the_token_and_counts_as_a_failure() -> None:
    tokens = FakeTokens("t1", "t2", "t3")
    rig = Rig(err(401), err(401), ok(), tokens=tokens, auth={"webhook_request_params": "access_token={token}"})
    rig.run()
    assert [s["params"]["access_token"] for s in rig.session.sent] == ["t1", "t2", "t3"]
    assert tokens.invalidated == ["t1", "t2"] and rig.counters["retried"] == 1 and len(rig.clock.sleeps) == 1


def test_token_errors_are_failed_requests_and_retried() -> None:
    tokens = FakeTokens(AuthError("token endpoint answered HTTP 503", status=503), "t1")
    rig = Rig(ok(), tokens=tokens, auth={})
    rig.run()
    assert rig.counters["token_errors"] == 1 and len(rig.session.sent) == 1 and len(rig.clock.sleeps) == 1
    assert rig.outcome()["attempts"] == 2


def test_transport_errors_are_failed_requests_and_counted_unanswered() -> None:
    rig = Rig(requests.ConnectionError("reset"), ok())
    rig.run()
    out = rig.outcome()
    assert (out["unanswered"], out["attempts"], rig.counters["transport_errors"]) == (1, 2, 1)
    assert rig.outcomes.requests_snapshot()[0]["status"] is None  # sent, never answered


def test_attempt_cap_omits_the_user() -> None:
    rig = Rig(*[err(500)] * 3, max_attempts_per_user=3)
    rig.run()
    assert (rig.outcome()["status"], rig.outcome()["reason"]) == (OMITTED, "retries exhausted after 3 attempts")
    assert len(rig.session.sent) == 3


def test_call_cap_leaves_the_user_pending() -> None:
    rig = Rig(err(500), err(500), max_calls=2)
    rig.run()
    assert (rig.outcome()["status"], rig.outcome()["reason"]) == (PENDING, "max-calls cap reached")
    assert len(rig.session.sent) == 2


def test_ten_failures_are_a_job_error_that_holds_the_gate_and_repeats_end_in_failed() -> None:
    rig = Rig(*[err(500)] * 4, failures_before_job_error=2, job_errors_before_failed=2, job_backoff_s=7.0,
              job_failure_expected=True)
    rig.run()
    assert len(rig.session.sent) == 4  # 2 failures = job error 1 (gate held 7 s), 2 more = failed
    assert rig.session.sent[2]["at"] - rig.session.sent[1]["at"] >= 7.0
    assert rig.job.status == "failed" and rig.counters["job_errors"] == 1
    assert rig.job.message == "2 consecutive failed requests, 2 times: HTTP 500"
    out = rig.outcome()
    assert (out["status"], out["reason"]) == (PENDING, "job failed")  # never silently dropped
    report = rig.job.take_report()
    assert report["status"] == "failed" and [e["code"] for e in report["logs"]].count("job_error") == 1


def test_a_success_ends_the_job_error_streak() -> None:
    rig = Rig(err(500), err(500), ok(), err(500), err(500), ok(), failures_before_job_error=2,
              job_errors_before_failed=2, job_backoff_s=1.0)
    rig.run("u1")
    assert rig.job.status == "running"
    rig.run("u2")
    assert rig.job.status == "running" and rig.counters["job_errors"] == 2  # not failed: the 2xx reset the count


def test_a_send_cancelled_by_another_workers_retry_after_is_not_an_attempt() -> None:
    rig = Rig(ok())
    rig.session.answers.insert(0, lambda: rig.job.gate.hold_for(3.0))
    rig.run()
    assert rig.counters["send_deferred"] == 1 and rig.outcome()["attempts"] == 1 and len(rig.session.sent) == 1
    assert rig.session.sent[0]["at"] >= 1003.0


def test_dry_run_sends_nothing() -> None:
    rig = Rig(dry_run=True)
    rig.run()
    assert rig.session.sent == [] and rig.outcome()["reason"] == "dry-run: not sent"


def test_a_user_enriched_after_its_trigger_is_not_queued_again() -> None:
    rig = Rig(ok())
    rig.run()
    rig.land()
    ev = {"segment_id": "seg1", "event": "enter", "profile_id": "u1", "ts": WALL0 - 10, "identity": {}}
    assert not rig.job.submit(feed_item(ev, ["email"], WALL0))
    assert rig.counters["deduplicated"] == 1


# -- state and identity --------------------------------------------------------------------------------------
def test_job_state_transitions() -> None:
    st = JobState(failures_before_job_error=1, job_errors_before_failed=3, job_backoff_s=1.0)
    st.sleeping()
    assert st.status == "sleeping"
    esc = st.failure("HTTP 500")
    assert esc is not None and (esc.job_errors, esc.failed, esc.backoff_s) == (1, False, 1.0)
    assert st.status == "fault-1"
    st.success()
    assert st.status == "running"
    st.pause()
    st.sleeping()  # an in-flight answer landing after the pause keeps the user's status
    assert st.status == "paused"
    st.resume()
    assert st.status == "running"
    st.end("killed")
    st.failure("x")
    assert st.status == "killed"
    with pytest.raises(ValueError, match="expected one of deleted, killed, dropped; got 'failed'"):
        st.end("failed")
    assert st.status == "killed"


def test_one_identity_rule_for_feed_and_backfill() -> None:
    profile = {"_id": "p1", "email": ["old@x.io", "new@x.io"], "user_id": "", "name": "N"}
    assert identity_of(profile, ["email", "user_id"]) == {"email": "new@x.io"}
    scanned = scan_item(profile, "seg1", WALL0, ["email", "user_id"])
    fed = feed_item({"profile_id": "p1", "event": "enter", "ts": WALL0, "profile": profile}, ["email", "user_id"],
                    WALL0)
    assert scanned.identity == fed.identity == {"email": "new@x.io"}
    announced = feed_item({"profile_id": "p1", "event": "enter", "ts": WALL0, "profile": profile,
                           "identity": {"email": "lytics@x.io"}}, ["email"], WALL0)
    assert announced.identity == {"email": "lytics@x.io"}  # what Lytics announced with the event wins
    assert (scanned.trigger, scanned.event_ts, scanned.segment_events[0]["event"]) == ("backfill", WALL0, "enter")


def test_resync_rereads_the_audiences_into_the_queue() -> None:
    rig = Rig(members=[{"_id": "a", "email": "a@x.io"}, {"_id": "b", "email": ["b@x.io"]}])
    rig.job.resync()
    assert rig.lytics.scanned.wait(5)
    assert rig.job.queued == 2 and rig.counters["backfill_seen"] == 2 and not rig.job.idle


def test_roster_holds_a_user_once_and_refuses_triggers_older_than_its_enrichment() -> None:
    roster = Roster()
    assert roster.claim("u", 10.0) and not roster.claim("u", 11.0)  # held: queued or in flight
    roster.landed(["u"], 20.0)
    assert roster.held == 0
    assert not roster.claim("u", 15.0)  # a backfill page read before the answer landed
    assert roster.claim("u", 25.0)  # a later enter is a new trigger
    roster.release(["u"])
    assert roster.held == 0


def test_the_token_manager_comes_from_the_auth_config() -> None:
    session = cast(HttpSession, FakeSession(FakeClock()))
    assert token_manager_for({"webhook_request_params": "access_token={token}"}, session) is None  # no OAuth
    mgr = token_manager_for({"token_url": "http://127.0.0.1:1/token", "client_id": "c", "client_secret": "s3cr3t",
                             "scopes": "user.read, user.write"}, session)
    assert mgr is not None and mgr._scopes == ["user.read", "user.write"] and "s3cr3t" not in repr(mgr)
    with pytest.raises(ConfigError, match="token_url must be an https URL"):
        token_manager_for({"token_url": "http://ansira.example/token", "client_id": "c", "client_secret": "s"},
                          session)


def test_a_job_without_injection_builds_its_own_parts() -> None:
    runtime = {"job": {"id": "job-2", "name": "n", "config": {"webhook_url": "http://127.0.0.1:9/x"}},
               "auths": [{"config": {"token_url": "http://127.0.0.1:9/token", "client_id": "c",
                                     "client_secret": "s"}}]}
    job = EnrichmentJob(runtime, cast(LyticsClient, FakeLytics()), cast(TemplateEngine, None), OutcomeLog(), [],
                        RunnerOptions())
    try:
        assert isinstance(job.tokens, TokenManager) and isinstance(job.session, PoolSession)
        assert job.status == "running" and job.take_report()["status"] == "running"
    finally:
        job.session.close()


def test_a_pause_holds_new_sends_and_waits_for_those_in_flight() -> None:
    stop = threading.Event()
    slots = SendSlots(stop)
    assert slots.begin()  # one call in flight
    slots.pause()
    assert not slots.quiesce(0.0)
    started = threading.Event()

    def send() -> None:
        if slots.begin():
            started.set()

    threading.Thread(target=send, daemon=True).start()
    assert not started.wait(0.05)  # paused: nothing new starts
    slots.end()
    assert slots.quiesce(0.0)
    slots.resume()
    assert started.wait(5)
    slots.end()
    stop.set()
    assert not slots.begin()  # a stopped job starts nothing


@pytest.mark.parametrize(("expected", "console"), [(False, "ERROR"), (True, "INFO")])
def test_job_errors_log_info_and_a_job_failure_logs_error_unless_expected(
        caplog: pytest.LogCaptureFixture, expected: bool, console: str) -> None:
    caplog.set_level("INFO", logger="harness.runner.job")
    rig = Rig(*[err(500)] * 2, failures_before_job_error=1, job_errors_before_failed=2, job_failure_expected=expected)
    rig.run()
    levels = {r.getMessage().split("] ", 1)[1].split(" (")[0].split(":")[0]: r.levelname for r in caplog.records}
    assert levels == {"job error": "INFO", "job failed": console}
    lytics_log = {e["code"]: e["level"] for e in rig.job.take_report()["logs"]}
    assert lytics_log["job_error"] == lytics_log["job_failed"] == "error"  # what Lytics shows is unchanged
