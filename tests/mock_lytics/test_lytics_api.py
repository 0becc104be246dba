"""Profile lookup, the envelope on unknown routes and methods, and the OpenAPI document."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from lytics_helpers import API_KEY, TARGET_QL, Api, FakeClock, ansira_schema

from mock_lytics import create_app

NOT_FOUND = {"segments": ["not_found", "all"]}


@pytest.fixture
def one_user(api: Api) -> Api:
    ansira_schema(api)
    api.segment(TARGET_QL)
    api.collect("web", {"email": "a@x.com"})
    return api


def test_entity_lookup(one_user: Api) -> None:
    resp = one_user.get("/api/entity/user/email/a@x.com")
    body = resp.get_json()
    assert body["meta"] == {"format": "json", "name": "user", "by_fields": ["email"]}
    data = body["data"]
    assert data["email"] == "a@x.com" and data["segments"] == ["ansira_enrichment_source", "all"]
    assert {"_id", "_created", "_modified"} <= set(data)
    assert one_user.ok("GET", "/api/me/email/a@x.com")["_id"] == data["_id"]
    assert one_user.ok("GET", "/api/me/user/email/a@x.com")["_id"] == data["_id"]
    assert one_user.ok("GET", f"/api/entity/user/_id/{data['_id']}")["email"] == "a@x.com"


def test_entity_fields_and_segments_options(one_user: Api) -> None:
    data = one_user.ok("GET", "/api/entity/user/email/a@x.com", query_string={"fields": "email,nope"})
    assert data == {"email": "a@x.com", "segments": ["ansira_enrichment_source", "all"]}
    data = one_user.ok("GET", "/api/entity/user/email/a@x.com", query_string={"segments": "false"})
    assert "segments" not in data


def test_not_found_quirk_and_v2_identity(one_user: Api) -> None:
    resp = one_user.get("/api/entity/user/email/nobody@x.com")
    body = resp.get_json()
    assert (resp.status_code, body["status"], body["message"], body["data"]) == (200, 200, "Not Found", NOT_FOUND)
    assert one_user.ok("GET", "/api/entity/user/ansira_uuid/x") == NOT_FOUND  # not an identity field
    assert one_user.ok("GET", "/v2/identity/user/email/a@x.com")["email"] == "a@x.com"
    assert "no user profile" in one_user.fail("GET", "/v2/identity/user/email/nobody@x.com", 404)
    assert "only 'user'" in one_user.fail("GET", "/api/entity/content/url/x", 404)


def test_unknown_route_and_wrong_method_use_the_envelope(api: Api) -> None:
    assert "no route GET /api/nothing" in api.fail("GET", "/api/nothing", 404)
    assert "API key" in api.fail("GET", "/api/nothing", 401, auth=False)  # the key first: routes stay private
    assert "API key" in api.fail("GET", "/v2/schema/account/field", 401, auth=False)
    assert "API key" in api.fail("PATCH", "/api/segment", 401, auth=False)
    assert "no route GET /elsewhere" in api.fail("GET", "/elsewhere", 404, auth=False)
    resp = api.call("PATCH", "/api/segment")
    body = resp.get_json()
    assert resp.status_code == 405 and body["status"] == 405 and body["data"] is None
    assert "GET" in resp.headers["Allow"] and "POST" in resp.headers["Allow"]
    assert api.fail("GET", "/v2/schema/account/field", 404)


def test_openapi_covers_every_route(app: Flask, api: Api) -> None:
    doc = api.client.get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    def shape(path: str) -> str:
        return re.sub(r"\{[^}]+\}|<[^>]+>", "{}", path)

    documented = {(shape(path), method.upper()) for path, ops in doc["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (shape(rule.rule), method) in documented, (rule.rule, method)
    shapes = [shape(p) for p in doc["paths"]]
    assert len(shapes) == len(set(shapes)), "OpenAPI forbids paths that differ only in parameter names"
    post = doc["paths"]["/v2/job/{job_id_or_workflow}"]["post"]["parameters"]
    assert post == [{"name": "job_id_or_workflow", "in": "path", "required": True, "schema": {"type": "string"},
                     "description": "the workflow for this operation"}]
    op_ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(op_ids) == len(set(op_ids))
    assert {"collect_json", "get_entity", "create_segment", "scan_segment", "create_template", "test_template",
            "create_auth", "create_job", "read_feed", "job_runtime", "report_job"} <= set(op_ids)
    assert doc["paths"]["/__admin/feed"]["get"]["security"] == [{"AdminKey": []}]
    assert all(op["summary"] for ops in doc["paths"].values() for op in ops.values())


def test_reset_forgets_everything(one_user: Api) -> None:
    one_user.ok("POST", "/__admin/reset", auth=False)
    state = one_user.ok("GET", "/__admin/state", auth=False)
    assert (state["profiles"], state["segments"], state["streams"], state["schema"]["fields"]) == (0, [], [], 0)
    assert one_user.ok("GET", "/v2/schema/user/field") == []


def test_admin_profiles_paging(api: Api) -> None:
    ansira_schema(api)
    api.collect("web", [{"email": f"u{i}@x.com"} for i in range(5)])
    first = api.get("/__admin/profiles", query_string={"limit": 3}).get_json()
    assert [p["_id"] for p in first["data"]] == ["1", "2", "3"] and first["total"] == 5
    second = api.get("/__admin/profiles", query_string={"limit": 3, "start": first["_next"]}).get_json()
    assert [p["_id"] for p in second["data"]] == ["4", "5"] and second["_next"] == ""


def test_every_route_bounds_its_body(clock: FakeClock) -> None:
    api = Api(create_app({"API_KEY": API_KEY, "CLOCK": clock, "MAX_BODY_BYTES": 100}))
    resp = api.post("/api/segment", data="FILTER EXISTS email ALIAS x " + "-" * 200, content_type="text/plain")
    assert resp.status_code == 413 and resp.get_json()["status"] == 413
    assert api.ok("GET", "/api/segment") == []
