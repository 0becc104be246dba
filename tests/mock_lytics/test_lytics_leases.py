"""Job leases (one runner per job) and the instance id that tells a client the mock restarted and forgot."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from lytics_helpers import API_KEY, TARGET_QL, Api, FakeClock, ansira_schema

from mock_lytics import create_app


@pytest.fixture
def job_id(api: Api) -> str:
    ansira_schema(api)
    seg = api.segment(TARGET_QL)["id"]
    body = {"name": "ansira", "config": {"segment_ids": [seg], "stream": "ansira",
                                         "webhook_url": "https://ansira.example/service/api/v2/user"}}
    return str(api.ok("POST", "/v2/job/webhook_enrichment", json=body)["id"])


def _take(api: Api, job_id: str, holder: str, ttl: float = 5) -> Any:
    return api.call("POST", f"/__admin/jobs/{job_id}/lease", auth=False, json={"holder": holder, "ttl_s": ttl})


def test_second_holder_is_refused_until_the_lease_expires(api: Api, job_id: str, clock: FakeClock) -> None:
    assert _take(api, job_id, "runner-a").get_json()["data"]["holder"] == "runner-a"
    refused = _take(api, job_id, "runner-b")
    body = refused.get_json()
    assert refused.status_code == 409
    assert "runner-a" in body["message"] and body["data"] == {"holder": "runner-a", "expires_in_s": 5.0}
    clock.advance(3)
    assert _take(api, job_id, "runner-a").status_code == 200  # renewal restarts the TTL
    clock.advance(4)
    assert _take(api, job_id, "runner-b").status_code == 409
    clock.advance(1.5)  # 5.5 s after the last renewal: the holder is presumed dead
    assert _take(api, job_id, "runner-b").status_code == 200
    assert _take(api, job_id, "runner-a").status_code == 409


def test_release_lets_a_successor_in_at_once(api: Api, job_id: str) -> None:
    _take(api, job_id, "runner-a")
    path = f"/__admin/jobs/{job_id}/lease/release"
    assert api.ok("POST", path, auth=False, json={"holder": "runner-b"})["released"] is False  # not its lease
    assert _take(api, job_id, "runner-b").status_code == 409
    assert api.ok("POST", path, auth=False, json={"holder": "runner-a"})["released"] is True
    assert _take(api, job_id, "runner-b").status_code == 200


@pytest.mark.parametrize(("body", "expected"), [
    ({"holder": "r"}, "ttl_s"), ({"holder": "r", "ttl_s": 0}, "ttl_s"), ({"holder": "r", "ttl_s": True}, "ttl_s"),
    ({"holder": "", "ttl_s": 5}, "holder"), ({"holder": "r", "ttl_s": 5, "x": 1}, "unknown lease attribute"),
    ([], "JSON object"),
])
def test_bad_lease_requests_name_the_key_and_change_nothing(api: Api, job_id: str, body: Any,
                                                            expected: str) -> None:
    assert expected in api.fail("POST", f"/__admin/jobs/{job_id}/lease", 400, auth=False, json=body)
    assert _take(api, job_id, "someone").status_code == 200  # no lease was left behind


def test_lease_on_missing_or_deleted_job_is_404(api: Api, job_id: str) -> None:
    api.fail("POST", "/__admin/jobs/nope/lease", 404, auth=False, json={"holder": "r", "ttl_s": 5})
    api.ok("DELETE", f"/v2/job/{job_id}", status=204)
    assert "deleted" in api.fail("POST", f"/__admin/jobs/{job_id}/lease", 404, auth=False,
                                 json={"holder": "r", "ttl_s": 5})


def test_instance_names_the_process_state_and_survives_reset(app: Flask, api: Api, job_id: str) -> None:
    feed = api.ok("GET", "/__admin/feed", auth=False)
    runtime = api.ok("GET", f"/__admin/jobs/{job_id}/runtime", auth=False)
    instance = feed["instance"]
    assert instance and runtime["instance"] == instance
    assert api.get("/api/segment").headers["X-Mock-Lytics-Instance"] == instance
    api.ok("POST", "/__admin/reset", auth=False)
    assert api.ok("GET", "/__admin/state", auth=False)["instance"] == instance
    other = Api(create_app({"API_KEY": API_KEY}))  # a restart is a new app: new state, new instance
    assert other.ok("GET", "/__admin/feed", auth=False)["instance"] != instance
