"""Templates, authorizations and jobs through the public API, plus the runner's internal job plane."""

from __future__ import annotations

import re
from typing import Any

import pytest
from lytics_helpers import TARGET_QL, Api, ansira_schema

ANSIRA_TEMPLATE = """local event = (import "lytemplates.libsonnet");
{ "email": event.get("email", ""), "sourceCode": { "keyName": event.jobConfGet("key_name", "XXX") } }"""
SECRET = "s3cr3t-client-secret-value"
OAUTH = {"label": "Ansira", "description": "cc grant",
         "config": {"token_url": "https://ansira.example/oauth/token", "client_id": "cid", "client_secret": SECRET,
                    "scopes": "users.write users.read", "webhook_request_params": "access_token={token}"}}


def create_template(api: Api, source: str = ANSIRA_TEMPLATE, ttype: str = "jsonnet") -> dict[str, Any]:
    return api.ok("POST", "/v2/template", data=source, content_type="text/plain",
                  query_string={"name": "ansira_temp", "type": ttype, "description": "d"})


# ------------------------------------------------------------------------------------------- templates


@pytest.fixture
def loose(clock: Any) -> Api:
    """Mock Lytics with PERMISSIVE_TEMPLATE_API: what the OpenAPI lists but the live API refuses."""
    from lytics_helpers import API_KEY

    from mock_lytics import create_app

    return Api(create_app({"API_KEY": API_KEY, "CLOCK": clock, "PERMISSIVE_TEMPLATE_API": True}))


def render(api: Api, tid: str, body: dict[str, Any]) -> Any:
    return api.ok("POST", f"/v2/template/{tid}/test", json=body, query_string={"desired_format": "json"})


def test_template_lifecycle(api: Api) -> None:
    tpl = create_template(api)
    assert re.fullmatch(r"[0-9a-f]{32}", tpl["id"])
    assert (tpl["name"], tpl["type"], tpl["description"]) == ("ansira_temp", "jsonnet", "d")
    assert [t["id"] for t in api.ok("GET", "/v2/template")] == [tpl["id"]]
    rendered = render(api, tpl["id"], {"entity": {"email": "a@b.com"}, "job_config": {"key_name": "K1"}})
    assert isinstance(rendered, str)
    assert re.sub(r"\s", "", rendered) == '{"email":"a@b.com","sourceCode":{"keyName":"K1"}}'

    new_source = 'local event = (import "lytemplates.libsonnet"); {"e": event.get("email")}'
    api.ok("PUT", f"/v2/template/{tpl['id']}", data=new_source, content_type="text/plain",
           query_string={"description": "PUT"})
    assert api.ok("GET", f"/v2/template/{tpl['id']}")["description"] == "PUT"
    assert re.sub(r"\s", "", render(api, tpl["id"], {"entity": {"email": "a@b.com"}})) == '{"e":"a@b.com"}'
    api.ok("DELETE", f"/v2/template/{tpl['id']}", status=204)
    api.fail("GET", f"/v2/template/{tpl['id']}", 404)


def test_template_api_is_as_strict_as_the_live_one(api: Api, loose: Api) -> None:
    """Live: POST update is a 405 with Lytics' Allow list, the source cannot be read back, /test needs
    desired_format (500). PERMISSIVE_TEMPLATE_API accepts all three as the OpenAPI lists them."""
    tpl = create_template(api)
    resp = api.call("POST", f"/v2/template/{tpl['id']}", data="{}", content_type="text/plain")
    assert resp.status_code == 405 and set(resp.headers["Allow"].split(", ")) == {"GET", "OPTIONS", "DELETE",
                                                                                   "PUT", "HEAD"}
    assert "PUT" in resp.get_json()["message"]
    assert "does not return a template's source" in api.fail("GET", f"/v2/template/{tpl['id']}/definition", 404)
    assert "desired_format is required" in api.fail("POST", f"/v2/template/{tpl['id']}/test", 500, json={})
    assert "desired_format is required" in api.fail("POST", "/v2/template/test", 500,
                                                    json={"template": ANSIRA_TEMPLATE})
    assert api.ok("POST", f"/v2/template/{tpl['id']}/test", json={"desired_format": "json"})
    tpl = create_template(loose)
    loose.ok("POST", f"/v2/template/{tpl['id']}", data="{}", content_type="text/plain",
             query_string={"description": "POST"})
    assert loose.ok("GET", f"/v2/template/{tpl['id']}/definition") == "{}"
    assert loose.ok("POST", f"/v2/template/{tpl['id']}/test", json={"entity": {}}) == "{ }\n"


def test_jsonnet_compile_error_names_line_and_column(api: Api) -> None:
    msg = api.fail("POST", "/v2/template?name=t&type=jsonnet", 400, data='{\n  "a": ,\n}', content_type="text/plain")
    assert "line 2, col" in msg
    assert api.ok("GET", "/v2/template") == []
    tpl = create_template(api)
    assert "line 1, col" in api.fail("PUT", f"/v2/template/{tpl['id']}", 400, data="{ a: }", content_type="text/plain")
    assert api.app.extensions["mock_lytics"].catalog.templates[tpl["id"]].source == ANSIRA_TEMPLATE  # unchanged


def test_template_import_outside_the_library_is_refused(api: Api) -> None:
    msg = api.fail("POST", "/v2/template?name=t&type=jsonnet", 400, data='import "/etc/passwd"',
                   content_type="text/plain")
    assert "/etc/passwd" in msg


def test_runtime_error_still_answers_200(api: Api) -> None:
    tpl = create_template(api, 'local event = (import "lytemplates.libsonnet"); {a: error "no email"}')
    rendered = render(api, tpl["id"], {"entity": {}})
    assert rendered.startswith("evaluating snippet: RUNTIME ERROR") and "no email" in rendered


def test_adhoc_test_and_sample_entity(api: Api) -> None:
    ansira_schema(api)
    rendered = api.ok("POST", "/v2/template/test", json={"template": ANSIRA_TEMPLATE, "desired_format": "json"})
    assert '"test@lytics.com"' in rendered  # generated from the schema when no entity is given
    assert "needs 'template'" in api.fail("POST", "/v2/template/test", 400, json={"entity": {}, "desired_format": "j"})


def test_non_jsonnet_templates_are_stored_but_not_run(api: Api) -> None:
    tpl = create_template(api, "{{email}}", "handlebars")
    assert api.app.extensions["mock_lytics"].catalog.templates[tpl["id"]].source == "{{email}}"
    assert "only jsonnet" in api.fail("POST", f"/v2/template/{tpl['id']}/test", 501, json={"desired_format": "j"})


TEMPLATE_META = [
    ("no-name", {"type": "jsonnet"}, "'name' is required"),
    ("bad-type", {"name": "t", "type": "mustache"}, "'type' must be one of"),
]


@pytest.mark.parametrize(("params", "expected"), [m[1:] for m in TEMPLATE_META], ids=[m[0] for m in TEMPLATE_META])
def test_template_metadata_validation(api: Api, params: dict[str, str], expected: str) -> None:
    assert expected in api.fail("POST", "/v2/template", 400, data="{}", query_string=params)


# ------------------------------------------------------------------------------------------- auths


def test_client_secret_never_leaves_the_public_api(api: Api) -> None:
    created = api.post("/v2/auth/webhook-oauth2-client-credentials", json=OAUTH)
    assert created.status_code == 200
    auth = created.get_json()["data"]
    assert auth["config"]["client_secret"] == "********"
    assert auth["config"]["scopes"] == ["users.write", "users.read"]
    for resp in (created, api.get("/v2/auth"), api.get(f"/v2/auth/{auth['id']}")):
        assert SECRET not in resp.get_data(as_text=True)
    assert SECRET not in repr(api.app.extensions["mock_lytics"].catalog.auths[auth["id"]])


def test_auth_fields_may_sit_at_top_level(api: Api) -> None:
    body = {"label": "flat", **OAUTH["config"], "token_url": "http://127.0.0.1:8080/token"}
    auth = api.ok("POST", "/v2/auth/webhook-oauth2-client-credentials", json=body)
    assert auth["config"]["token_url"] == "http://127.0.0.1:8080/token"
    api.ok("DELETE", f"/v2/auth/{auth['id']}", status=204)
    api.fail("GET", f"/v2/auth/{auth['id']}", 404)


def config_with(**changes: Any) -> dict[str, Any]:
    return {**OAUTH, "config": {**OAUTH["config"], **changes}}


BAD_AUTHS = [
    ("http-remote-token-url", config_with(token_url="http://ansira.example/token"), "must use https"),
    ("relative-token-url", config_with(token_url="/token"), "absolute https URL"),
    ("missing-secret", config_with(client_secret=""), "config.client_secret is required"),
    ("unknown-config-key", config_with(grant="x"), "unknown config key(s) ['grant']"),
    ("bad-header-line", config_with(webhook_request_headers="NoColonHere"), "is not 'Name: value'"),
    ("no-label", {"config": OAUTH["config"]}, "'label' is required"),
]


@pytest.mark.parametrize(("body", "expected"), [b[1:] for b in BAD_AUTHS], ids=[b[0] for b in BAD_AUTHS])
def test_auth_validation(api: Api, body: dict[str, Any], expected: str) -> None:
    msg = api.fail("POST", "/v2/auth/webhook-oauth2-client-credentials", 400, json=body)
    assert expected in msg and SECRET not in msg
    assert api.ok("GET", "/v2/auth") == []


def test_header_param_auth_masks_values(api: Api) -> None:
    auth = api.ok("POST", "/v2/auth/header-param-auth", json={
        "label": "static", "config": {"webhook_request_headers": {"X-Api-Key": "hidden-key"},
                                      "webhook_request_params": "a=hidden-param"}})
    assert auth["config"] == {"webhook_request_headers": "X-Api-Key: ********", "webhook_request_params": "a=********"}


# ------------------------------------------------------------------------------------------- jobs


@pytest.fixture
def parts(api: Api) -> dict[str, str]:
    ansira_schema(api)
    return {"segment": api.segment(TARGET_QL)["id"], "template": create_template(api)["id"],
            "auth": api.ok("POST", "/v2/auth/webhook-oauth2-client-credentials", json=OAUTH)["id"]}


def job_body(parts: dict[str, str], **config: Any) -> dict[str, Any]:
    return {"name": "ansira", "description": "enrich", "auth_ids": [parts["auth"]],
            "config": {"segment_ids": [parts["segment"]], "template_id": parts["template"], "stream": "ansira",
                       "webhook_url": "https://ansira.example/service/api/v2/user", **config}}


def test_job_defaults_and_runtime(api: Api, parts: dict[str, str]) -> None:
    job = api.ok("POST", "/v2/job/webhook_enrichment", json=job_body(parts))
    assert (job["status"], job["workflow"]) == ("running", "webhook_enrichment")
    cfg = job["config"]
    assert (cfg["http_method"], cfg["withbackfill"], cfg["audience_events"], cfg["worker_count"]) == (
        "POST", True, "enters_only", 5)
    runtime = api.ok("GET", f"/__admin/jobs/{job['id']}/runtime", auth=False)
    assert runtime["job"]["id"] == job["id"]
    assert runtime["auths"][0]["config"]["client_secret"] == SECRET  # internal plane only
    assert runtime["template"] == {"id": parts["template"], "name": "ansira_temp", "type": "jsonnet",
                                   "source": ANSIRA_TEMPLATE}
    assert SECRET not in api.get(f"/v2/job/{job['id']}").get_data(as_text=True)
    assert "ansira" in api.ok("GET", "/v2/stream/names")
    api.fail("GET", "/__admin/jobs/nope/runtime", 404, auth=False)


def test_job_via_generic_route_and_paused_creation(api: Api, parts: dict[str, str]) -> None:
    body = {**job_body(parts), "workflow": "webhook_enrichment"}
    job = api.ok("POST", "/v2/job", json=body, query_string={"run_job": "false"})
    assert job["status"] == "paused"
    assert [j["id"] for j in api.ok("GET", "/v2/job")] == [job["id"]]


JOB_ERRORS = [
    ("unknown-config-key", {"headers": {"a": "b"}}, "unknown config key 'headers'"),
    ("missing-segment", {"segment_ids": ["0" * 32]}, "does not exist"),
    ("slug-not-id", {"segment_ids": ["ansira_enrichment_source"]}, "is the slug of segment"),
    ("missing-template", {"template_id": "f" * 32}, "template 'ffff"),
    ("http-remote-url", {"webhook_url": "http://ansira.example/hook"}, "must use https"),
    ("worker-count-21", {"worker_count": 21}, "worker_count must be an integer from 1 to 20"),
    ("worker-count-0", {"worker_count": 0}, "worker_count must be an integer from 1 to 20"),
    ("delete-method", {"http_method": "DELETE"}, "http_method must be one of"),
    ("bad-audience-events", {"audience_events": "both"}, "audience_events must be one of"),
    ("bad-do-not-retry", {"do_not_retry": ["400"]}, "do_not_retry must be a list of HTTP status codes"),
    ("batch-size-0", {"batch_size": 0}, "batch_size must be an integer from 1 to 1000"),
    ("backfill-not-bool", {"withbackfill": "yes"}, "withbackfill must be true or false"),
    ("no-segments", {"segment_ids": []}, "segment_ids is required"),
]


@pytest.mark.parametrize(("config", "expected"), [e[1:] for e in JOB_ERRORS], ids=[e[0] for e in JOB_ERRORS])
def test_job_config_validation(api: Api, parts: dict[str, str], config: dict[str, Any], expected: str) -> None:
    assert expected in api.fail("POST", "/v2/job/webhook_enrichment", 400, json=job_body(parts, **config))
    assert api.ok("GET", "/v2/job") == []


def test_job_top_level_validation(api: Api, parts: dict[str, str]) -> None:
    assert "auth 'nope'" in api.fail("POST", "/v2/job/webhook_enrichment", 400,
                                     json={**job_body(parts), "auth_ids": ["nope"]})
    assert "workflow" in api.fail("POST", "/v2/job", 400, json=job_body(parts))
    assert "'owner'" in api.fail("POST", "/v2/job/webhook_enrichment", 400, json={**job_body(parts), "owner": 1})


def test_job_replace_actions_and_reports(api: Api, parts: dict[str, str]) -> None:
    job = api.ok("POST", "/v2/job/webhook_enrichment", json=job_body(parts))
    replaced = api.ok("PUT", f"/v2/job/webhook_enrichment/{job['id']}", json=job_body(parts, worker_count=2))
    assert replaced["config"]["worker_count"] == 2
    assert "not webhook_triggers" in api.fail("PUT", f"/v2/job/webhook_triggers/{job['id']}", 400,
                                              json=job_body(parts))
    report = {"status": "sleeping", "message": "Retry-After 2s", "counters": {"sent": 3, "omitted": 1},
              "logs": [{"level": "warn", "message": "HTTP 429", "code": "retry_after", "context": {"omitted": 1}}]}
    assert api.ok("POST", f"/__admin/jobs/{job['id']}/report", json=report, auth=False)["status"] == "sleeping"
    assert api.ok("POST", f"/v2/job/{job['id']}/pause")["status"] == "pausing"
    api.ok("POST", f"/__admin/jobs/{job['id']}/report", json={"status": "running", "counters": {"sent": 5}},
           auth=False)
    fetched = api.ok("GET", f"/v2/job/{job['id']}")
    assert fetched["status"] == "pausing" and fetched["counters"] == {"sent": 5, "omitted": 1}  # pause wins
    logs = api.ok("GET", f"/v2/job/{job['id']}/logs")
    assert isinstance(logs, list) and [e["timestamp"] for e in logs] == sorted(e["timestamp"] for e in logs)
    warn = next(e for e in logs if e["level"] == "warn")
    assert set(warn) == {"job_id", "level", "message", "code", "timestamp", "context"}
    assert warn["context"] == {"added": 0, "omitted": 1, "removed": 0}
    assert api.ok("POST", f"/v2/job/{job['id']}/resume")["status"] == "running"
    assert api.ok("POST", f"/v2/job/{job['id']}/kill")["status"] == "pausing"
    assert "was killed" in api.fail("POST", f"/v2/job/{job['id']}/resume", 400)
    api.ok("DELETE", f"/v2/job/{job['id']}", status=204)
    assert api.ok("GET", f"/v2/job/{job['id']}")["status"] == "deleted"
    assert "deleted" in api.fail("POST", f"/v2/job/{job['id']}/pause", 400)
    assert "unknown job action" in api.fail("POST", f"/v2/job/{job['id']}/explode", 404)


def feed_seq(api: Api) -> int:
    return int(api.feed()["last_seq"])


def ack(api: Api, job_id: str, seq: int | None = None) -> dict[str, Any]:
    """What the runner sends once no request of the job is in flight or can start."""
    return api.ok("POST", f"/__admin/jobs/{job_id}/report", auth=False,
                  json={"ack_seq": feed_seq(api) if seq is None else seq})


# (actions with "ack" = the runner acknowledges, expected status after each, expected feed actions)
LIFECYCLE = [
    ("pause-acked", ["pause", "ack"], ["pausing", "paused"], ["paused"]),
    ("pause-resume", ["pause", "resume"], ["pausing", "running"], ["paused", "resumed"]),
    ("pause-ack-resume", ["pause", "ack", "resume"], ["pausing", "paused", "running"], ["paused", "resumed"]),
    ("kill-acked", ["kill", "ack"], ["pausing", "failed"], ["killed"]),
    ("pause-then-kill", ["pause", "kill", "ack"], ["pausing", "pausing", "failed"], ["paused", "killed"]),
    ("bounce-running", ["bounce"], ["running"], ["bounced"]),
    ("bounce-paused", ["pause", "ack", "bounce"], ["pausing", "paused", "running"], ["paused", "bounced"]),
    ("fault-then-bounce", ["fault-3", "bounce"], ["fault-3", "running"], ["bounced"]),
    ("failed-then-resume", ["failed", "resume"], ["failed", "running"], ["resumed"]),
    ("delete", ["delete"], ["deleted"], ["deleted"]),
]


@pytest.mark.parametrize(("steps", "statuses", "feed"), [c[1:] for c in LIFECYCLE], ids=[c[0] for c in LIFECYCLE])
def test_job_lifecycle_table(api: Api, parts: dict[str, str], steps: list[str], statuses: list[str],
                             feed: list[str]) -> None:
    job = api.ok("POST", "/v2/job/webhook_enrichment", json=job_body(parts))
    start = feed_seq(api)
    for step, status in zip(steps, statuses, strict=True):
        if step == "ack":
            ack(api, job["id"])
        elif step == "delete":
            api.ok("DELETE", f"/v2/job/{job['id']}", status=204)
        elif step in ("failed", "fault-3"):  # the runner's own report
            api.ok("POST", f"/__admin/jobs/{job['id']}/report", json={"status": step}, auth=False)
        else:
            api.ok("POST", f"/v2/job/{job['id']}/{step}")
        assert api.ok("GET", f"/v2/job/{job['id']}")["status"] == status, step
        assert [j["status"] for j in api.ok("GET", "/v2/job")] == [status]
        assert api.ok("GET", f"/v2/job/webhook_enrichment/{job['id']}")["status"] == status
    assert [e["action"] for e in api.feed(start)["events"] if e["kind"] == "job"] == feed


def test_a_stale_ack_does_not_finish_a_later_pause(api: Api, parts: dict[str, str]) -> None:
    """The runner acknowledges by feed seq: an ack sent before it applied the pause leaves the job pausing."""
    job = api.ok("POST", "/v2/job/webhook_enrichment", json=job_body(parts))
    before = feed_seq(api)
    api.ok("POST", f"/v2/job/{job['id']}/pause")
    assert ack(api, job["id"], before)["status"] == "pausing"
    assert ack(api, job["id"])["status"] == "paused"
    assert api.ok("GET", f"/v2/job/{job['id']}/logs")[-1]["message"] == "workers stopped: job paused"
    assert "'ack_seq' must be" in api.fail("POST", f"/__admin/jobs/{job['id']}/report", 400, auth=False,
                                           json={"ack_seq": "1"})


def test_actions_are_final_at_once_where_no_worker_runs(parts: dict[str, str], api: Api) -> None:
    """Triggers jobs are never run here, and IMMEDIATE_JOB_ACTIONS opts out of acknowledgements (no runner)."""
    triggers = api.ok("POST", "/v2/job/webhook_triggers", json={**job_body(parts), "config": {
        "segment_ids": [parts["segment"]], "webhook_url": "https://hooks.example/x"}})
    assert api.ok("POST", f"/v2/job/{triggers['id']}/pause")["status"] == "paused"
    assert api.ok("POST", f"/v2/job/{triggers['id']}/kill")["status"] == "failed"
    api.app.extensions["mock_lytics"].jobs.immediate_actions = True
    job = api.ok("POST", "/v2/job/webhook_enrichment", json=job_body(parts))
    assert api.ok("POST", f"/v2/job/{job['id']}/pause")["status"] == "paused"


def test_job_read_under_another_workflow_is_404(api: Api, parts: dict[str, str]) -> None:
    job = api.ok("POST", "/v2/job/webhook_enrichment", json=job_body(parts))
    assert "not webhook_triggers" in api.fail("GET", f"/v2/job/webhook_triggers/{job['id']}", 404)


REPORT_ERRORS = [
    ("bad-status", {"status": "exploded"}, "'status' must be"),
    ("bad-counters", {"counters": {"a": "1"}}, "'counters' must map names to numbers"),
    ("bad-logs", {"logs": "x"}, "'logs' must be a list"),
    ("unknown-key", {"state": "running"}, "['state']"),
]


@pytest.mark.parametrize(("body", "expected"), [r[1:] for r in REPORT_ERRORS], ids=[r[0] for r in REPORT_ERRORS])
def test_report_validation(api: Api, parts: dict[str, str], body: dict[str, Any], expected: str) -> None:
    job = api.ok("POST", "/v2/job/webhook_enrichment", json=job_body(parts))
    assert expected in api.fail("POST", f"/__admin/jobs/{job['id']}/report", 400, json=body, auth=False)
    assert api.ok("GET", f"/v2/job/{job['id']}")["status"] == "running"


def test_url_errors_do_not_echo_query_strings(api: Api, parts: dict[str, str]) -> None:
    msg = api.fail("POST", "/v2/job/webhook_enrichment", 400,
                   json=job_body(parts, webhook_url="http://hooks.example/x?api_key=SHOULD-NOT-LEAK"))
    assert "http://hooks.example/..." in msg and "SHOULD-NOT-LEAK" not in msg
    assert "SHOULD-NOT-LEAK" not in api.fail("POST", "/v2/job/webhook_enrichment", 400,
                                             json=job_body(parts, webhook_url="SHOULD-NOT-LEAK"))


@pytest.mark.parametrize("path", ["/v2/auth/webhook-oauth2-client-credentials", "/v2/auth/header-param-auth"])
def test_header_and_param_values_are_masked_for_every_auth_type(api: Api, path: str) -> None:
    """Static headers/params may carry API keys whatever the auth type; the `{token}` placeholder stays readable."""
    key = "static-api-key-0123456789"
    config = {"webhook_request_headers": f"X-Api-Key: {key}\nAuthorization: Bearer {{token}}",
              "webhook_request_params": f"access_token={{token}}&api_key={key}"}
    if "oauth2" in path:
        config = {**OAUTH["config"], **config}
    created = api.post(path, json={"label": "masked", "config": config})
    assert created.status_code == 200, created.get_data(as_text=True)
    auth = created.get_json()["data"]
    for resp in (created, api.get("/v2/auth"), api.get(f"/v2/auth/{auth['id']}")):
        assert key not in resp.get_data(as_text=True)
    assert auth["config"]["webhook_request_headers"] == "X-Api-Key: ********\nAuthorization: Bearer {token}"
    assert auth["config"]["webhook_request_params"] == "access_token={token}&api_key=********"
    internal = api.app.extensions["mock_lytics"].catalog.auths[auth["id"]].internal()["config"]
    assert key in internal["webhook_request_headers"] and key in internal["webhook_request_params"]
