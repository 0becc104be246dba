from __future__ import annotations

import json
import statistics
from typing import Any

import pytest
from ansira_helpers import (
    CLIENT_ID,
    SECRET,
    TOKEN_PATH,
    USER_PATH,
    AppFactory,
    FakeClock,
    SleepRecorder,
    base_behaviour,
    get_token,
    journal,
    user_body,
)
from flask.testing import FlaskClient

from mock_ansira.behaviour import LognormalLatency, UniformLatency
from mock_ansira.faults import sample_ms, unit_draw


def outcome(client: FlaskClient, token: str, email: str) -> str:
    """One create_user call summarised: its status, `reset` for a dropped connection, `+badjson` if unparseable."""
    try:
        resp = client.post(USER_PATH, query_string={"access_token": token}, json=user_body(email))
    except ConnectionResetError:
        return "reset"
    try:
        json.loads(resp.get_data())
    except ValueError:
        return f"{resp.status_code}+badjson"
    return str(resp.status_code)


def run(make_app: AppFactory, faults: list[dict[str, Any]], n: int = 30, seed: int = 7) -> list[str]:
    """Outcomes of `n` create_user calls under `faults` (aimed at create_user unless they say otherwise)."""
    faults = [{"operation": "create_user", **f} for f in faults]
    client = make_app(base_behaviour(seed=seed, faults=faults)).test_client()
    token = get_token(client)
    return [outcome(client, token, f"user{i}@example.com") for i in range(n)]


FAULT_KINDS = [
    pytest.param({"kind": "status", "status": 503}, "503", id="status"),
    pytest.param({"kind": "outage", "duration_s": 3600, "status": 502}, "502", id="outage"),
    pytest.param({"kind": "timeout", "hang_s": 2}, "504", id="timeout-504"),
    pytest.param({"kind": "timeout", "hang_s": 2, "then": "drop"}, "reset", id="timeout-drop"),
    pytest.param({"kind": "malformed_json"}, "200+badjson", id="malformed-json"),
    pytest.param({"kind": "truncated_json"}, "200+badjson", id="truncated-json"),
    pytest.param({"kind": "connection_reset"}, "reset", id="connection-reset"),
]


@pytest.mark.parametrize(("fault", "symptom"), FAULT_KINDS)
def test_every_fault_kind_repeats_exactly_with_the_same_seed(
    make_app: AppFactory, fault: dict[str, Any], symptom: str
) -> None:
    rule = {**fault, "probability": 0.4}
    first = run(make_app, [rule])
    assert first == run(make_app, [rule])
    assert set(first) == {symptom, "201"}
    assert first != run(make_app, [rule], seed=8)


def test_probability_follows_the_seeded_draws(make_app: AppFactory) -> None:
    got = run(make_app, [{"kind": "status", "status": 500, "probability": 0.25}], n=20)
    expected = ["500" if unit_draw(7, "fault", 0, n) < 0.25 else "201" for n in range(1, 21)]
    assert got == expected


def test_first_n_and_every_nth(make_app: AppFactory) -> None:
    assert run(make_app, [{"kind": "status", "status": 500, "first_n": 3}], n=5) == ["500"] * 3 + ["201"] * 2
    assert run(make_app, [{"kind": "status", "status": 502, "every_nth": 3}], n=7) == [
        "201", "201", "502", "201", "201", "502", "201"]


def test_first_matching_rule_wins_and_every_rule_counts(make_app: AppFactory) -> None:
    faults = [{"kind": "status", "status": 500, "first_n": 1}, {"kind": "status", "status": 502, "every_nth": 2}]
    assert run(make_app, faults, n=4) == ["500", "502", "201", "502"]


def test_outage_window_from_behaviour_load(make_app: AppFactory, clock: FakeClock) -> None:
    doc = base_behaviour(faults=[{"kind": "outage", "after_s": 10, "duration_s": 5, "retry_after_s": 5}])
    client = make_app(doc).test_client()
    token = get_token(client)
    seen = []
    for at in (9.9, 10.0, 14.9, 15.0):
        clock.now = 1_700_000_000.0 + at
        seen.append(outcome(client, token, f"t{at}@example.com"))
    assert seen == ["201", "503", "503", "201"]
    outage = [e for e in journal(client) if e["status"] == 503]
    assert [(e["fault"], e["retry_after"]) for e in outage] == [("outage:503", 5.0)] * 2
    # A behaviour load restarts a `since: load` window; a `since: start` window keeps the app's start.
    clock.now = 1_700_000_100.0
    rules = {"faults": [{"kind": "outage", "after_s": 0, "duration_s": 5, "operation": "create_user"},
                        {"kind": "status", "status": 500, "after_s": 0, "duration_s": 5, "since": "start"}]}
    assert client.patch("/__admin/behaviour", json=rules).status_code == 200
    assert outcome(client, token, "x@example.com") == "503"


def test_outage_hits_the_token_endpoint_too(make_app: AppFactory) -> None:
    client = make_app(base_behaviour(faults=[{"kind": "outage", "duration_s": 60}])).test_client()
    resp = client.post(TOKEN_PATH, data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                         "client_secret": SECRET})
    assert resp.status_code == 503 and resp.json["error"] == "temporarily_unavailable"


def test_timeout_hangs_then_answers_without_doing_the_work(make_app: AppFactory, sleeps: SleepRecorder) -> None:
    client = make_app(base_behaviour(faults=[{"kind": "timeout", "hang_s": 30, "first_n": 1,
                                              "operation": "create_user"}])).test_client()
    token = get_token(client)
    assert outcome(client, token, "a@example.com") == "504"
    assert sleeps.calls == [30]
    assert outcome(client, token, "a@example.com") == "201"
    assert journal(client)[1]["fault"] == "timeout:504"


def test_processed_timeout_stores_the_user_before_the_client_gives_up(make_app: AppFactory) -> None:
    rule = {"kind": "timeout", "hang_s": 30, "first_n": 1, "process": True, "operation": "create_user"}
    client = make_app(base_behaviour(faults=[rule])).test_client()
    token = get_token(client)
    assert outcome(client, token, "a@example.com") == "504"
    assert outcome(client, token, "a@example.com") == "200"  # the retry finds the user already there


@pytest.mark.parametrize("process", [False, True], ids=["before-work", "after-work"])
def test_connection_reset_in_the_test_client(make_app: AppFactory, process: bool) -> None:
    rule = {"kind": "connection_reset", "first_n": 1, "process": process, "operation": "create_user"}
    client = make_app(base_behaviour(faults=[rule])).test_client()
    token = get_token(client)
    assert outcome(client, token, "a@example.com") == "reset"
    assert outcome(client, token, "a@example.com") == ("200" if process else "201")
    entry = journal(client)[1]
    assert (entry["status"], entry["fault"], entry["email"]) == (0, "connection_reset", "a@example.com")


def test_malformed_and_truncated_bodies_still_did_the_work(make_app: AppFactory) -> None:
    faults = [{"kind": "malformed_json", "first_n": 1, "operation": "create_user"},
              {"kind": "truncated_json", "every_nth": 2, "operation": "create_user"}]
    client = make_app(base_behaviour(faults=faults)).test_client()
    token = get_token(client)
    bodies = [client.post(USER_PATH, query_string={"access_token": token}, json=user_body(f"u{i}@example.com"))
              for i in range(2)]
    for resp in bodies:
        assert resp.status_code == 200 and resp.mimetype == "application/json"
        with pytest.raises(ValueError):
            json.loads(resp.get_data())
    assert client.get("/__admin/health").json["users"] == 2
    assert [e["fault"] for e in journal(client)[1:]] == ["malformed_json", "truncated_json"]


def test_invalid_client_on_the_token_endpoint_for_a_while(make_app: AppFactory) -> None:
    client = make_app(base_behaviour(faults=[{"kind": "invalid_client", "first_n": 2}])).test_client()
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET}
    statuses = [client.post(TOKEN_PATH, data=form) for _ in range(3)]
    assert [r.status_code for r in statuses] == [401, 401, 200]
    assert statuses[0].json["error"] == "invalid_client"
    assert "WWW-Authenticate" not in statuses[0].headers
    basic = client.post(TOKEN_PATH, data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, SECRET))
    assert basic.status_code == 200


def test_faults_target_operation_and_client(make_app: AppFactory) -> None:
    doc = base_behaviour(
        clients=[{"client_id": CLIENT_ID, "client_secret": SECRET}, {"client_id": "b", "client_secret": "sb"}],
        faults=[{"kind": "status", "status": 500, "operation": "list_users"},
                {"kind": "status", "status": 503, "client_id": "b"}],
    )
    client = make_app(doc).test_client()
    token = get_token(client)
    assert outcome(client, token, "a@example.com") == "201"
    listed = client.get("/service/api/v2/users", query_string={"access_token": token, "email": "a@example.com"})
    assert listed.status_code == 500
    assert client.get("/service/api/v2/sourcecodes", query_string={"access_token": token}).status_code == 200
    token_b = client.post(TOKEN_PATH, data={"grant_type": "client_credentials"}, auth=("b", "sb"))
    assert token_b.status_code == 503


def test_fixed_and_per_operation_latency_sleeps(make_app: AppFactory, sleeps: SleepRecorder) -> None:
    latency = [{"kind": "fixed", "ms": 250, "operation": "token"},
               {"kind": "uniform", "min_ms": 10, "max_ms": 20}]
    client = make_app(base_behaviour(latency=latency)).test_client()
    token = get_token(client)
    outcome(client, token, "a@example.com")
    outcome(client, token, "b@example.com")
    assert sleeps.calls[0] == 0.25
    assert all(0.010 <= s <= 0.020 for s in sleeps.calls[1:]) and len(sleeps.calls) == 3
    assert sleeps.calls[1] != sleeps.calls[2]


def test_latency_is_seeded(make_app: AppFactory, sleeps: SleepRecorder) -> None:
    doc = base_behaviour(latency={"kind": "lognormal", "p50_ms": 50, "p99_ms": 400})
    for _ in range(2):
        client = make_app(doc).test_client()
        for i in range(5):
            outcome(client, get_token(client), f"u{i}@example.com")
    assert sleeps.calls[:10] == sleeps.calls[10:]


def test_lognormal_quantiles_match_the_spec() -> None:
    rule = LognormalLatency(kind="lognormal", p50_ms=40, p99_ms=300, max_ms=10_000)
    samples = sorted(sample_ms(rule, unit_draw(3, i)) for i in range(20_000))
    assert statistics.median(samples) == pytest.approx(40, rel=0.05)
    assert samples[int(0.99 * len(samples))] == pytest.approx(300, rel=0.1)
    capped = LognormalLatency(kind="lognormal", p50_ms=40, p99_ms=300, max_ms=100)
    assert max(sample_ms(capped, unit_draw(3, i)) for i in range(2000)) == 100


def test_uniform_covers_its_range() -> None:
    rule = UniformLatency(kind="uniform", min_ms=5, max_ms=15)
    samples = [sample_ms(rule, unit_draw(1, i)) for i in range(2000)]
    assert min(samples) >= 5 and max(samples) <= 15
    assert statistics.mean(samples) == pytest.approx(10, abs=0.3)


def test_per_email_counts_every_create_user_call_whatever_its_answer(make_app: AppFactory) -> None:
    faults = [{"kind": "status", "status": 404, "first_n": 2, "operation": "create_user"}]
    client = make_app(base_behaviour(faults=faults)).test_client()
    token = get_token(client)
    assert [outcome(client, token, "A@example.com") for _ in range(3)] == ["404", "404", "201"]
    client.post(USER_PATH, query_string={"access_token": "bad"}, json=user_body("a@example.com"))
    summary = client.get("/__admin/journal/summary").json
    assert summary["per_email"] == {"a@example.com": 4}
    assert summary["by_status"] == {"200": 1, "404": 2, "201": 1, "401": 1}
