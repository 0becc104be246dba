from __future__ import annotations

from typing import Any

import pytest

from mock_ansira.behaviour import (
    DEFAULT_CLIENT_ID,
    MASK,
    Behaviour,
    BehaviourError,
    load_behaviour,
    merge_documents,
)


def test_defaults_serve_one_client_with_a_random_secret() -> None:
    a, b = load_behaviour(None), load_behaviour({})
    assert [c.client_id for c in a.clients] == [DEFAULT_CLIENT_ID]
    secret = a.clients[0].client_secret.get_secret_value()
    assert len(secret) >= 32 and secret != b.clients[0].client_secret.get_secret_value()
    assert secret not in repr(a) and secret not in str(a.document())
    assert a.document()["clients"][0]["client_secret"] == MASK
    assert a.document(reveal_secrets=True)["clients"][0]["client_secret"] == secret


def test_a_full_document_round_trips() -> None:
    doc = {
        "seed": 7,
        "clients": [{"client_id": "lytics", "client_secret": "x", "scopes": ["a"], "token_ttl_s": 60,
                     "rate_limit": {"kind": "token_bucket", "rate": 200, "burst": 200, "headers": True},
                     "token_rate_limit": {"kind": "fixed_window", "limit": 5, "window_s": 1}}],
        "source_codes": ["LYTICS2024"],
        "known_users": {"count": 50, "emails": ["explicit@example.com"]},
        "latency": {"kind": "lognormal", "p50_ms": 20, "p99_ms": 200},
        "faults": [
            {"operation": "create_user", "kind": "status", "status": 503, "probability": 0.2},
            {"kind": "status", "status": 500, "first_n": 3},
            {"kind": "status", "status": 502, "every_nth": 5},
            {"kind": "outage", "after_s": 2, "duration_s": 10, "status": 503},
            {"kind": "timeout", "hang_s": 5, "probability": 0.1},
            {"kind": "malformed_json", "every_nth": 7},
            {"kind": "truncated_json", "every_nth": 9},
            {"kind": "connection_reset", "probability": 0.01},
            {"operation": "token", "kind": "invalid_client", "first_n": 2},
        ],
    }
    behaviour = load_behaviour(doc)
    assert load_behaviour(behaviour.document(reveal_secrets=True)) == behaviour
    assert [f.label for f in behaviour.faults] == [
        "status:503", "status:500", "status:502", "outage:503", "timeout:504", "malformed_json", "truncated_json",
        "connection_reset", "invalid_client"]


@pytest.mark.parametrize(
    ("doc", "path", "fragment"),
    [
        pytest.param({"seeed": 1}, "seeed", "unknown key", id="typo-top-level"),
        pytest.param({"clients": [{"client_id": "a", "client_secret": "s", "ttl": 5}]}, "clients[0].ttl",
                     "unknown key", id="typo-in-client"),
        pytest.param({"clients": [{"client_id": "a", "client_secret": "s"}] * 2}, "$", "duplicate client_id",
                     id="duplicate-clients"),
        pytest.param({"clients": [{"client_id": "a", "client_secret": "s",
                                   "rate_limit": {"kind": "leaky", "rate": 1}}]},
                     "clients[0].rate_limit", "kind", id="unknown-limit-kind"),
        pytest.param({"source_codes": []}, "source_codes", "at least 1", id="no-source-codes"),
        pytest.param({"known_users": {"emails": ["nope"]}}, "known_users.emails", "not a valid email",
                     id="bad-known-email"),
        pytest.param({"latency": [{"kind": "lognormal", "p50_ms": 50, "p99_ms": 10}]}, "latency[0]", "p99_ms",
                     id="lognormal-order"),
        pytest.param({"faults": [{"kind": "outage"}]}, "faults[0]", "duration_s", id="outage-needs-duration"),
        pytest.param({"faults": [{"kind": "timeout"}]}, "faults[0]", "hang_s", id="timeout-needs-hang"),
        pytest.param({"faults": [{"kind": "malformed_json", "status": 500}]}, "faults[0]", "does not apply",
                     id="status-on-malformed"),
        pytest.param({"faults": [{"kind": "invalid_client", "operation": "create_user"}]}, "faults[0]",
                     "token endpoint", id="invalid-client-off-token"),
        pytest.param({"faults": [{"kind": "status", "status": 500, "probability": 2}]},
                     "faults[0].probability", "less than or equal", id="probability-range"),
        pytest.param({"faults": [{"kind": "status", "status": 500, "operation": "delete_user"}]},
                     "faults[0].operation", "Input should be", id="unknown-operation"),
    ],
)
def test_invalid_documents_name_the_path(doc: dict[str, Any], path: str, fragment: str) -> None:
    with pytest.raises(BehaviourError) as info:
        load_behaviour(doc)
    matching = [p for p in info.value.problems if p.path == path]
    assert matching, info.value.problems
    assert fragment in matching[0].message


def test_merge_patch_semantics() -> None:
    base = Behaviour.model_validate({
        "clients": [{"client_id": "a", "client_secret": "sa"}, {"client_id": "b", "client_secret": "sb",
                                                                "rate_limit": {"kind": "fixed_window", "limit": 1,
                                                                               "window_s": 1}}],
        "latency": [{"kind": "fixed", "ms": 3}],
        "known_users": {"count": 4},
    }).document(reveal_secrets=True)
    patch = {
        "clients": [{"client_id": "b", "token_ttl_s": 9, "client_secret": MASK,
                     "rate_limit": {"kind": "token_bucket", "rate": 1, "burst": 2}},
                    {"client_id": "c", "client_secret": "sc"}],
        "latency": None,
        "known_users": {"emails": ["x@example.com"]},
    }
    merged = load_behaviour(merge_documents(base, patch))
    assert [c.client_id for c in merged.clients] == ["a", "b", "c"]
    b = merged.clients[1]
    assert b.token_ttl_s == 9 and b.client_secret.get_secret_value() == "sb"
    assert b.rate_limit is not None and b.rate_limit.kind == "token_bucket"
    assert merged.latency == []
    assert (merged.known_users.count, merged.known_users.emails) == (4, ["x@example.com"])
