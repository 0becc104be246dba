"""The typed control-plane clients against the real mocks (Flask apps served on loopback): paging, envelopes, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.errors import RemoteError, TransportError
from harness.http import ServiceSession, lytics_session
from harness.mockclients import AnsiraAdmin, LyticsAdmin
from harness.servers import ServerThread
from mock_ansira import create_app as ansira_app
from mock_lytics import create_app as lytics_app

KEY = "lytics-key-for-client-tests"


@pytest.fixture(scope="module")
def lytics() -> Iterator[LyticsAdmin]:
    with ServerThread(lytics_app({"API_KEY": KEY}), name="ly").start(ready_path="/__admin/health") as srv:
        session = lytics_session(srv.url, KEY)
        for path, body in (("/v2/schema/user/field", {"id": "email", "type": "string", "is_identifier": True}),
                           ("/v2/schema/user/mapping", {"field": "email", "stream": "web", "expr": "email(email)"}),
                           ("/v2/schema/user/publish", {"tag": "t"})):
            assert session.post(path, json=body).status_code < 300, path
        events = [{"email": f"u{i}@x.com"} for i in range(25)]
        assert session.post("/collect/json/web", json=events).status_code == 200
        yield LyticsAdmin(session)
        session.close()


@pytest.fixture(scope="module")
def ansira() -> Iterator[AnsiraAdmin]:
    beh = {"clients": [{"client_id": "c", "client_secret": "s" * 24}], "source_codes": ["S"],
           "known_users": {"count": 0}}
    with ServerThread(ansira_app({"BEHAVIOUR": beh}), name="an").start(ready_path="/__admin/health") as srv:
        session = ServiceSession(srv.url)
        token = session.post("/service/oauth/v2/token", data={"grant_type": "client_credentials"},
                             auth=("c", "s" * 24)).json()["access_token"]
        for i in range(12):
            session.post("/service/api/v2/user", params={"access_token": token},
                         json={"email": f"u{i}@x.com", "sourceCode": {"keyName": "S"}}).raise_for_status()
        yield AnsiraAdmin(session)
        session.close()


def test_profiles_are_paged_to_the_end_in_id_order(lytics: LyticsAdmin) -> None:
    ids = [p["_id"] for p in lytics.profiles(page=7)]  # 25 profiles: four pages
    assert len(ids) == 25 and ids == sorted(ids, key=int) and len(set(ids)) == 25
    assert lytics.last_seq() >= 0 and lytics.jobs() == []


def test_journal_pages_join_up_and_the_summary_agrees(ansira: AnsiraAdmin) -> None:
    entries = ansira.journal(page=5)  # 13 entries (a token and 12 users): three pages
    assert [e["seq"] for e in entries] == sorted({e["seq"] for e in entries})
    summary = ansira.journal_summary()
    assert len(entries) == summary["total"] == 13 and summary["by_operation"]["create_user"] == 12
    assert len(ansira.users()) == 12
    tail = ansira.journal_page(entries[-2]["seq"], 10, bodies=True)
    assert [e["seq"] for e in tail] == [entries[-1]["seq"]] and "request_body" in tail[0]


def test_a_refused_behaviour_is_a_remote_error_naming_the_mock_and_the_problem(ansira: AnsiraAdmin) -> None:
    with pytest.raises(RemoteError, match=r"mock Ansira behaviour patch: HTTP 400: .*rate_limit") as info:
        ansira.patch_behaviour({"clients": [{"client_id": "c", "rate_limit": "fast"}]})
    assert info.value.status == 400
    assert ansira.behaviour()["clients"][0].get("rate_limit") is None  # nothing changed


def test_no_answer_is_a_transport_error() -> None:
    admin = LyticsAdmin(lytics_session("http://127.0.0.1:9", KEY))  # discard port: nothing listens
    with pytest.raises(TransportError, match="mock Lytics feed: no answer"):
        admin.last_seq()
