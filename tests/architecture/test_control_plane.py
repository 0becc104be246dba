"""One rule for both mocks' control planes (`/__admin/*`), kept by a test rather than by memory.

The rule (docs/architecture.md, "The two mocks: one floor plan"): GET reads and changes nothing; PUT replaces a
whole document; PATCH merges into one; POST adds to a collection or performs the action its last path segment
names; DELETE empties a collection. Every admin route is classified below; a route added without a class, or
with a verb its class does not allow, fails here, and every GET is called to show it changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_ansira import create_app as ansira_app
from mock_lytics import create_app as lytics_app

API_KEY = "plane-api-key-0123456789"

# (mock, rule) -> {method: kind}
PLANE: dict[tuple[str, str], dict[str, str]] = {
    ("lytics", "/__admin/health"): {"GET": "read"},
    ("lytics", "/__admin/state"): {"GET": "read"},
    ("lytics", "/__admin/feed"): {"GET": "read"},
    ("lytics", "/__admin/profiles"): {"GET": "read"},
    ("lytics", "/__admin/profiles/<profile_id>"): {"GET": "read"},
    ("lytics", "/__admin/field-times"): {"GET": "read"},
    ("lytics", "/__admin/audience-events"): {"GET": "read"},
    ("lytics", "/__admin/jobs/<job_id>/runtime"): {"GET": "read"},
    ("lytics", "/__admin/faults"): {"GET": "read", "PUT": "replace", "POST": "replace"},
    ("lytics", "/__admin/reset"): {"POST": "action"},
    ("lytics", "/__admin/segments/reevaluate"): {"POST": "action"},
    ("lytics", "/__admin/jobs/<job_id>/report"): {"POST": "action"},
    ("lytics", "/__admin/jobs/<job_id>/lease"): {"POST": "action"},
    ("lytics", "/__admin/jobs/<job_id>/lease/release"): {"POST": "action"},
    ("ansira", "/__admin/health"): {"GET": "read"},
    ("ansira", "/__admin/behaviour"): {"GET": "read", "PUT": "replace", "PATCH": "merge"},
    ("ansira", "/__admin/users"): {"GET": "read", "POST": "add"},
    ("ansira", "/__admin/journal"): {"GET": "read", "DELETE": "clear"},
    ("ansira", "/__admin/journal/summary"): {"GET": "read"},
    ("ansira", "/__admin/reset"): {"POST": "action"},
    ("ansira", "/__admin/tokens/revoke"): {"POST": "action"},
    ("ansira", "/__admin/tokens/expire"): {"POST": "action"},
}
VERBS = {"read": {"GET"}, "replace": {"PUT"}, "merge": {"PATCH"}, "add": {"POST"}, "action": {"POST"},
         "clear": {"DELETE"}}
# Forms published before the rule, kept because users' scripts call them (add, don't rename).
ALIASES = {("lytics", "/__admin/faults", "POST")}
ACTIONS = {"reset", "reevaluate", "report", "lease", "release", "revoke", "expire"}


def _apps() -> dict[str, Flask]:
    return {"lytics": lytics_app({"API_KEY": API_KEY}), "ansira": ansira_app()}


def _admin_routes(app: Flask) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/__admin"):
            out.setdefault(rule.rule, set()).update((rule.methods or set()) - {"HEAD", "OPTIONS"})
    return out


def test_every_admin_route_is_classified_and_nothing_else_is() -> None:
    for mock, app in _apps().items():
        served = _admin_routes(app)
        declared = {rule: set(methods) for (m, rule), methods in PLANE.items() if m == mock}
        assert served == declared, f"mock {mock}: classify new /__admin routes in PLANE (served vs declared)"


@pytest.mark.parametrize(("mock", "rule"), sorted(PLANE), ids=[f"{m} {r}" for m, r in sorted(PLANE)])
def test_each_verb_is_the_one_its_kind_allows(mock: str, rule: str) -> None:
    for method, kind in PLANE[(mock, rule)].items():
        if (mock, rule, method) in ALIASES:
            continue
        assert method in VERBS[kind], f"{method} {rule} is a {kind}: expected {sorted(VERBS[kind])}"
        if kind == "action":
            assert rule.rsplit("/", 1)[-1] in ACTIONS, f"POST {rule}: an action's last segment names the action"


def _lytics_fingerprint(c: FlaskClient) -> str:
    parts = [c.get(path).get_json()["data"] for path in ("/__admin/state", "/__admin/profiles?limit=10000",
                                                         "/__admin/faults", "/__admin/audience-events")]
    parts.append(c.get("/__admin/feed").get_json()["data"]["last_seq"])
    return json.dumps(parts, sort_keys=True)


def _ansira_fingerprint(c: FlaskClient) -> str:
    parts: list[Any] = [c.get(path).get_json() for path in ("/__admin/behaviour", "/__admin/users",
                                                            "/__admin/journal?bodies=true", "/__admin/journal/summary")]
    return json.dumps(parts, sort_keys=True)


def _get_paths(app: Flask, mock: str, values: dict[str, str]) -> list[str]:
    paths = []
    for (m, rule), methods in PLANE.items():
        if m == mock and "GET" in methods:
            path = rule
            for name, value in values.items():
                path = path.replace(f"<{name}>", value)
            paths.append(path + ("?fields=email" if path.endswith("field-times") else ""))
    return paths


def test_a_get_on_either_control_plane_changes_nothing() -> None:
    apps = _apps()
    lytics = apps["lytics"].test_client()
    lytics.environ_base["HTTP_AUTHORIZATION"] = API_KEY
    assert lytics.post("/api/query", data="SELECT email(email) AS email, count(email) AS visits FROM web INTO user "
                       "BY email ALIAS visits", content_type="text/plain").status_code == 200
    assert lytics.post("/api/segment", data="FILTER visits > 1 FROM user ALIAS regulars",
                       content_type="text/plain").status_code == 200
    for email in ("a@example.com", "b@example.com", "a@example.com"):
        assert lytics.post("/collect/json/web", json=[{"email": email}]).status_code == 200
    assert lytics.put("/__admin/faults", json={"collect": {"status": 503, "count": 2}}).status_code == 200
    profiles = lytics.get("/__admin/profiles").get_json()["data"]
    events = lytics.get("/__admin/audience-events").get_json()["data"]
    assert len(profiles) == 2 and [e["event"] for e in events] == ["enter"], "the state to watch is not trivial"
    profile = profiles[0]["_id"]
    before = _lytics_fingerprint(lytics)
    for path in _get_paths(apps["lytics"], "lytics", {"profile_id": profile, "job_id": "no-such-job"}):
        assert lytics.get(path).status_code in (200, 404), path
    assert _lytics_fingerprint(lytics) == before

    ansira = apps["ansira"].test_client()
    assert ansira.post("/__admin/users", json={"generate": 3}).status_code == 201
    ansira.get("/service/api/v2/users?email=x@example.com")  # a journaled (401) call
    assert len(ansira.get("/__admin/users").get_json()) >= 3  # the default behaviour seeds some too
    before = _ansira_fingerprint(ansira)
    for path in _get_paths(apps["ansira"], "ansira", {}):
        assert ansira.get(path).status_code == 200, path
    assert _ansira_fingerprint(ansira) == before


def test_put_and_its_post_alias_replace_the_lytics_faults_alike() -> None:
    answers = []
    for method in ("PUT", "POST"):
        c = lytics_app({"API_KEY": API_KEY, "CLOCK": lambda: 1_700_000_000.0}).test_client()
        first = c.open("/__admin/faults", method=method, json={"collect": {"status": 503, "count": 2}})
        second = c.open("/__admin/faults", method=method, json={"collect": {"status": 429, "duration_s": 5}})
        assert first.status_code == second.status_code == 200
        answers.append(second.get_json()["data"])
        assert c.open("/__admin/faults", method=method, json={"collect": None}).get_json()["data"] == \
            c.get("/__admin/faults").get_json()["data"]
    assert answers[0] == answers[1]
    assert answers[0]["collect"]["status"] == 429  # replaced, not merged with the first rule
