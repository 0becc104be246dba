"""The whole enrichment loop against mock Lytics over real loopback HTTP, playing the runner by hand.

Setup uses the public API only (field, mapping, publish, audience, template, auth, job); the "runner" follows
the internal feed, reads the job runtime, and writes Ansira-like responses back to the job's stream.
"""

from __future__ import annotations

from typing import Any

import requests
from lytics_helpers import API_KEY, TARGET_QL

from harness.servers import ServerThread
from mock_lytics import create_app

TEMPLATE = """local event = (import "lytemplates.libsonnet");
{ "email": event.get("email", ""), "sourceCode": { "keyName": "XXXXXXXXXXXXX" } }"""


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = API_KEY

    def __call__(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        resp = self.session.request(method, self.base + path, timeout=10, **kw)
        assert resp.status_code == status, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json()["data"] if resp.content else None


def test_enrichment_write_back_makes_users_leave_the_audience() -> None:
    app = create_app({"API_KEY": API_KEY, "ADMIN_KEY": "admin-secret"})
    server = ServerThread(app, name="mock-lytics").start(ready_path="/__admin/health")
    try:
        api = Client(server.url)
        admin = Client(server.url)
        admin.session.headers["X-Admin-Key"] = "admin-secret"

        # -- configuration, public API only
        api("POST", "/v2/schema/user/field", json={"id": "email", "type": "string", "is_identifier": True})
        api("POST", "/v2/schema/user/field", json={"id": "ansira_uuid", "type": "string", "mergeop": "latest"})
        api("POST", "/v2/schema/user/mapping", json={"field": "email", "stream": "web", "expr": "email(email)"})
        api("POST", "/v2/schema/user/mapping",
            json={"field": "email", "stream": "ansira", "expr": "email(`origin.email`)"})
        api("POST", "/v2/schema/user/mapping",
            json={"field": "ansira_uuid", "stream": "ansira", "expr": "`response.uuid`",
                  "guard_expr": "EXISTS `response.uuid`"})
        api("POST", "/v2/schema/user/publish", json={"tag": "ansira", "description": "enrichment"})
        segment = api("POST", "/api/segment", data=TARGET_QL, headers={"Content-Type": "text/plain"})
        template = api("POST", "/v2/template", params={"name": "ansira_temp", "type": "jsonnet"}, data=TEMPLATE)
        auth = api("POST", "/v2/auth/webhook-oauth2-client-credentials", json={
            "label": "ansira",
            "config": {"token_url": f"{server.url}/token", "client_id": "cid", "client_secret": "csecret",
                       "webhook_request_params": "access_token={token}"}})
        job = api("POST", "/v2/job/webhook_enrichment", json={
            "name": "ansira enrichment", "auth_ids": [auth["id"]],
            "config": {"segment_ids": [segment["id"]], "stream": "ansira", "template_id": template["id"],
                       "webhook_url": "https://ansira.example/service/api/v2/user", "user_fields": ["email"]}})

        # -- users arrive and enter the audience
        emails = [f"user{i}@example.com" for i in range(5)]
        api("POST", "/collect/json/web", json=[{"email": e.upper()} for e in emails])

        # -- the "runner": job event -> runtime -> enter events -> write-backs on the job's stream
        feed = admin("GET", "/__admin/feed", params={"after": 0, "wait": 1})
        assert [e["action"] for e in feed["events"] if e["kind"] == "job"] == ["created"]
        runtime = admin("GET", f"/__admin/jobs/{job['id']}/runtime")
        stream = runtime["job"]["config"]["stream"]
        assert runtime["template"]["source"] == TEMPLATE and runtime["auths"][0]["config"]["client_secret"]
        enters = [e for e in feed["events"] if e["kind"] == "segment" and e["event"] == "enter"]
        assert sorted(e["identity"]["email"] for e in enters) == emails
        assert api("GET", f"/v2/segment/{segment['id']}", params={"sizes": "true"})["size"] == 5
        write_backs = [{"origin": e["identity"],
                        "response": {"uuid": f"uuid-{e['profile_id']}", "email": e["identity"]["email"]}}
                       for e in enters]
        api("POST", f"/collect/json/{stream}", json=write_backs)

        # -- every user now carries ansira_uuid and has left the audience
        for e in enters:
            profile = api("GET", f"/api/entity/user/email/{e['identity']['email']}")
            assert profile["ansira_uuid"] == f"uuid-{e['profile_id']}"
            assert profile["segments"] == ["all"]
        later = admin("GET", "/__admin/feed", params={"after": feed["last_seq"]})["events"]
        exits = [e for e in later if e["kind"] == "segment"]
        assert {(e["event"], e["segment_id"]) for e in exits} == {("exit", segment["id"])}
        assert sorted(e["profile_id"] for e in exits) == sorted(e["profile_id"] for e in enters)
        assert all(e["profile"]["ansira_uuid"].startswith("uuid-") for e in exits)
        scan = api.session.get(f"{server.url}/api/segment/{segment['id']}/scan", timeout=10).json()
        assert scan["data"] == [] and scan["total"] == 0

        # -- latency inputs for the load tests: when ansira_uuid was written, per profile
        detail = admin("GET", f"/__admin/profiles/{enters[0]['profile_id']}")
        assert detail["field_ts"]["ansira_uuid"] >= detail["first_seen_ts"]

        # -- the runner reports back; the public job shows it
        admin("POST", f"/__admin/jobs/{job['id']}/report",
              json={"status": "running", "counters": {"enriched": 5},
                    "logs": [{"level": "info", "message": "5 users enriched", "code": "ok", "context": {"added": 5}}]})
        assert api("GET", f"/v2/job/{job['id']}")["counters"] == {"enriched": 5}
        assert requests.get(f"{server.url}/__admin/feed", timeout=5).status_code == 401  # admin key enforced
    finally:
        server.stop()
