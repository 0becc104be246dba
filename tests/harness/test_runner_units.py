"""Unit tests of the runner's building blocks that need no server."""

from __future__ import annotations

import threading

import pytest

from harness.errors import ConfigError
from harness.redact import MASK, Redactor
from harness.runner.delivery import JobSpec, Placement
from harness.runner.outcomes import ENRICHED, OMITTED, Outcome, OutcomeLog, percentile
from harness.runner.pacing import Gate, backoff_delay, parse_retry_after


@pytest.mark.parametrize(
    ("header", "now", "expected"),
    [
        ("5", None, 5.0),
        ("0", None, 0.0),
        ("1.5", None, 1.5),
        ("-3", None, 0.0),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 1445412480.0, 10.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490.0, 0.0),
        ("soon", None, None),
        ("", None, None),
        (None, None, None),
    ],
    ids=["seconds", "zero", "fraction", "negative", "http-date", "date-in-past", "garbage", "empty", "absent"],
)
def test_parse_retry_after(header: str | None, now: float | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=now) == expected


def test_backoff_is_bounded_and_grows() -> None:
    import random

    rng = random.Random(1)
    assert all(0 <= backoff_delay(1, base=0.1, cap=5, rng=rng) <= 0.1 for _ in range(100))
    assert all(0 <= backoff_delay(20, base=0.1, cap=5, rng=rng) <= 5 for _ in range(100))
    assert max(backoff_delay(6, base=0.1, cap=5, rng=rng) for _ in range(200)) > 1.0


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_gate_holds_until_retry_after_passes() -> None:
    clock = FakeClock()
    gate = Gate(clock=clock)
    gate.hold_for(2.0)
    gate.hold_until(50.0)  # never moves the opening backwards
    assert gate.not_before == 102.0
    released = threading.Event()

    def worker() -> None:
        if gate.wait():
            released.set()

    t = threading.Thread(target=worker)
    t.start()
    assert not released.wait(0.3)
    clock.t = 102.5
    assert released.wait(2.0)
    t.join()


def test_gate_token_bucket_meters_requests() -> None:
    clock = FakeClock()
    gate = Gate(rate=10, burst=3, clock=clock)
    assert [gate.wait() for _ in range(3)] == [True, True, True]
    got = threading.Event()
    t = threading.Thread(target=lambda: gate.wait() and got.set())
    t.start()
    assert not got.wait(0.3)  # bucket empty and the clock does not move
    clock.t += 0.1  # one token refills at 10/s
    assert got.wait(2.0)
    t.join()


def test_gate_close_releases_waiters() -> None:
    gate = Gate(clock=FakeClock())
    gate.hold_for(1000)
    results: list[bool] = []
    t = threading.Thread(target=lambda: results.append(gate.wait()))
    t.start()
    gate.close()
    t.join(2)
    assert results == [False]


@pytest.mark.parametrize(
    ("cfg", "token", "headers", "params"),
    [
        ({"webhook_request_params": "access_token={token}"}, "T0K3N", {}, {"access_token": "T0K3N"}),
        ({}, "T0K3N", {"Authorization": "Bearer T0K3N"}, {}),
        ({"webhook_request_headers": "X-Api-Token: {token}\nX-Tenant: acme"}, "T0K3N",
         {"X-Api-Token": "T0K3N", "X-Tenant": "acme"}, {}),
        ({"webhook_request_params": "tenant=acme"}, "T0K3N", {"Authorization": "Bearer T0K3N"}, {"tenant": "acme"}),
        ({"webhook_request_params": "access_token={token}"}, None, {}, {"access_token": "{token}"}),
    ],
    ids=["ansira-query-param", "default-bearer", "custom-header", "params-without-token", "no-auth"],
)
def test_token_placement(cfg: dict, token: str | None, headers: dict, params: dict) -> None:
    assert Placement.from_auth_config(cfg).apply(token) == (headers, params)


def test_bad_header_line_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not 'Name: value'"):
        Placement.from_auth_config({"webhook_request_headers": "no colon here"})


def _runtime(**cfg: object) -> dict:
    return {"job": {"id": "j1", "name": "n", "config": {"webhook_url": "http://127.0.0.1/x", **cfg}}}


def test_jobspec_defaults_follow_lytics() -> None:
    spec = JobSpec.from_runtime(_runtime())
    assert (spec.stream, spec.http_method, spec.worker_count, spec.withbackfill, spec.audience_events) == (
        "webhook_enrichment", "POST", 5, True, "enters_only")
    assert spec.wants("enter") and not spec.wants("exit")
    assert [s for s in (400, 404, 413, 429, 500) if spec.never_retry(s)] == [400, 404, 413]
    assert JobSpec.from_runtime(_runtime(do_not_retry=[409])).never_retry(409)
    both = JobSpec.from_runtime(_runtime(audience_events=""))
    assert both.wants("enter") and both.wants("exit")


def test_jobspec_rejects_too_many_workers() -> None:
    with pytest.raises(ConfigError, match=r"worker_count must be 1\.\.20"):
        JobSpec.from_runtime(_runtime(worker_count=21))


def test_redactor_masks_registered_values_and_carriers() -> None:
    r = Redactor(["s3cr3t-value", "abc"])
    text = r("secret=s3cr3t-value url=/u?access_token=zzz123&x=1 Authorization: Bearer qwerty123 abc")
    assert "s3cr3t-value" not in text and "zzz123" not in text and "qwerty123" not in text
    assert f"access_token={MASK}" in text
    assert text.endswith("abc")  # values shorter than 6 characters are not treated as secrets
    assert r.url("http://h/p?access_token=tok123456&email=a%40b.com") == f"http://h/p?access_token={MASK}&email=a%40b.com"


def test_outcome_log_counts_and_percentiles() -> None:
    log = OutcomeLog()
    for i in range(10):
        o = Outcome(user=str(i), identity={}, trigger_ts=0.0)
        log.start(o)
        log.finish(o, ENRICHED if i < 8 else OMITTED, reason=None if i < 8 else "HTTP 400", done_ts=(i + 1) / 100)
    log.start(Outcome(user="p", identity={}))
    s = log.summary()
    assert (s["enriched"], s["omitted"], s["pending"]) == (8, 2, 1)
    assert s["omitted_reasons"] == {"HTTP 400": 2}
    assert s["latency_ms"]["p50"] == 40.0 and s["latency_ms"]["max"] == 80.0
    assert percentile([], 50) is None and percentile([1.0], 99) == 1.0


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.ansira.example/service/api/v2/user", True),
        ("http://127.0.0.1:5000/x", True),
        ("http://localhost:5000/x", True),
        ("http://[::1]:5000/x", True),
        ("http://api.ansira.example/service/api/v2/user", False),
        ("http://10.0.0.1/x", False),
        ("ftp://127.0.0.1/x", False),
        ("not a url", False),
    ],
    ids=["https", "loopback-v4", "localhost", "loopback-v6", "plain-http-remote", "private-range", "ftp", "garbage"],
)
def test_webhook_urls_must_be_https_unless_loopback(url: str, ok: bool) -> None:
    from harness.runner.delivery import require_secure_url

    if ok:
        assert require_secure_url(url, "webhook_url") == url
    else:
        with pytest.raises(ConfigError, match="webhook_url must be an https URL"):
            require_secure_url(url, "webhook_url")


def test_an_outcome_record_has_every_field_and_its_own_identity() -> None:
    import dataclasses

    o = Outcome(user="u1", identity={"email": "a@example.com"}, status=OMITTED, attempts=3, unanswered=1,
                http_status=400, reason="400 bad request", latency_ms=12.5, trigger="backfill", trigger_ts=1.0,
                done_ts=2.0)
    record = o.to_dict()
    assert record == dataclasses.asdict(o)  # the outcome log's columns: all of them, none added
    record["identity"]["email"] = "changed"
    assert o.identity == {"email": "a@example.com"}
