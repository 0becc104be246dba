"""The internal feed: enter/exit events (incl. merges and segment creation), long polling, 410, reset."""

from __future__ import annotations

import threading
from typing import Any

import requests
from flask import Flask
from lytics_helpers import API_KEY, TARGET_QL, Api, FakeClock, ansira_schema, moves

from harness.servers import ServerThread
from mock_lytics import create_app


def test_enter_then_exit_when_the_profile_changes(api: Api, clock: FakeClock) -> None:
    ansira_schema(api)
    seg = api.segment(TARGET_QL)
    start = api.feed()["last_seq"]
    api.collect("web", {"email": "a@x.com"})
    done = clock.now
    clock.advance(3)
    api.collect("ansira", {"origin": {"email": "a@x.com"}, "response": {"uuid": "u-1", "email": "a@x.com"}})
    enter, exit_ = api.segment_events(start)
    assert (enter["event"], exit_["event"]) == ("enter", "exit")
    assert enter["segment_id"] == seg["id"] and enter["slug"] == "ansira_enrichment_source"
    assert enter["identity"] == {"email": "a@x.com"} and enter["profile_id"] == "1"
    assert enter["profile"]["email"] == "a@x.com" and set(enter["profile"]) == {"email", "_id", "_created",
                                                                                "_modified"}
    assert enter["cause_ts"] <= enter["ts"] <= done < done + 3 <= exit_["cause_ts"] <= exit_["ts"]
    assert exit_["profile"]["ansira_uuid"] == "u-1"
    assert enter["seq"] < exit_["seq"]


def test_segment_creation_emits_enters_for_current_members(api: Api) -> None:
    ansira_schema(api)
    api.collect("web", [{"email": "a@x.com"}, {"email": "b@x.com"}])
    api.collect("ansira", {"origin": {"email": "b@x.com"}, "response": {"uuid": "u"}})
    start = api.feed()["last_seq"]
    api.segment(TARGET_QL)
    assert moves(api.feed(start)["events"]) == [("ansira_enrichment_source", "enter", "1")]
    api.ok("PUT", "/api/segment/ansira_enrichment_source", json={"segment_ql": "FILTER EXISTS ansira_uuid"})
    assert moves(api.feed(start)["events"])[1:] == [("ansira_enrichment_source", "exit", "1"),
                                                     ("ansira_enrichment_source", "enter", "2")]


def test_merge_emits_exit_for_the_absorbed_and_enter_for_the_survivor(api: Api) -> None:
    api.field("email", is_identifier=True)
    api.field("user_id", is_identifier=True)
    api.mapping("email", "web", "email")
    api.mapping("user_id", "web", "user_id")
    api.publish()
    api.segment("FILTER EXISTS email ALIAS has_email")
    api.segment("FILTER EXISTS user_id ALIAS has_user")
    api.collect("web", {"user_id": "u"})  # profile 1 (oldest): in has_user only
    api.collect("web", {"email": "e"})  # profile 2: in has_email only
    start = api.feed()["last_seq"]
    api.collect("web", {"email": "e", "user_id": "u"})
    assert moves(api.feed(start)["events"]) == [("has_email", "exit", "2"), ("has_email", "enter", "1")]
    absorbed_exit = api.feed(start)["events"][0]
    assert absorbed_exit["identity"] == {"email": "e"}


def test_job_events_on_the_feed(api: Api) -> None:
    ansira_schema(api)
    seg = api.segment(TARGET_QL)
    job = api.ok("POST", "/v2/job/webhook_enrichment", json={
        "name": "j", "config": {"segment_ids": [seg["id"]], "webhook_url": "https://example.com/hook"}})
    for action in ("pause", "resume", "bounce", "kill"):
        api.ok("POST", f"/v2/job/{job['id']}/{action}")
    api.ok("DELETE", f"/v2/job/{job['id']}", status=204)
    events = [e for e in api.feed()["events"] if e["kind"] == "job"]
    assert [e["action"] for e in events] == ["created", "paused", "resumed", "bounced", "killed", "deleted"]
    assert {e["job_id"] for e in events} == {job["id"]} and all("ts" in e for e in events)


def test_stale_cursor_is_410_and_reset_keeps_counting(clock: FakeClock) -> None:
    api = Api(create_app({"API_KEY": API_KEY, "CLOCK": clock, "FEED_CAPACITY": 5}))
    ansira_schema(api)
    api.segment("FILTER EXISTS email ALIAS has_email")
    api.collect("web", [{"email": f"{i}@x.com"} for i in range(8)])  # seqs 1..8, ring keeps 4..8
    resp = api.get("/__admin/feed", query_string={"after": 2}, auth=False)
    assert resp.status_code == 410 and resp.get_json()["data"] == {"oldest_seq": 4, "last_seq": 8}
    page = api.feed(3)
    assert [e["seq"] for e in page["events"]] == [4, 5, 6, 7, 8]
    assert (page["oldest_seq"], page["last_seq"]) == (4, 8)
    assert [e["seq"] for e in api.feed(3, limit=2)["events"]] == [4, 5]

    api.ok("POST", "/__admin/reset", auth=False)
    assert api.feed(8)["events"] == [] and api.feed(0)["last_seq"] == 8  # cursors stay valid
    ansira_schema(api)
    api.segment("FILTER EXISTS email ALIAS has_email")
    api.collect("web", {"email": "new@x.com"})
    assert [e["seq"] for e in api.feed(8)["events"]] == [9]
    assert api.feed(0)["oldest_seq"] == 9


def test_audience_events_endpoint_filters_by_segment(api: Api) -> None:
    ansira_schema(api)
    api.segment("FILTER EXISTS email ALIAS one")
    two = api.segment("FILTER * ALIAS two")
    api.collect("web", [{"email": "a@x.com"}, {"email": "b@x.com"}])
    for ref in ("two", two["id"]):
        events = api.ok("GET", "/__admin/audience-events", query_string={"segment": ref}, auth=False)
        assert [(e["slug"], e["profile_id"]) for e in events] == [("two", "1"), ("two", "2")]
    assert len(api.ok("GET", "/__admin/audience-events", auth=False)) == 4
    assert len(api.ok("GET", "/__admin/audience-events", query_string={"after": 2}, auth=False)) == 2


def test_feed_parameter_validation(api: Api) -> None:
    assert "after" in api.fail("GET", "/__admin/feed?after=x", 400, auth=False)
    assert "wait" in api.fail("GET", "/__admin/feed?wait=-1", 400, auth=False)


# ------------------------------------------------------------------------------------------- live HTTP


def test_long_poll_wakes_when_an_event_is_committed() -> None:
    app: Flask = create_app({"API_KEY": API_KEY})
    setup = Api(app)
    ansira_schema(setup)
    setup.segment(TARGET_QL)
    feed = app.extensions["mock_lytics"].feed
    with ServerThread(app, name="mock-lytics") as server:
        server_ready = requests.get(f"{server.url}/__admin/health", timeout=5)
        assert server_ready.status_code == 200
        after = requests.get(f"{server.url}/__admin/feed", timeout=5).json()["data"]["last_seq"]
        result: dict[str, Any] = {}

        def poll() -> None:
            result["resp"] = requests.get(f"{server.url}/__admin/feed",
                                          params={"after": after, "wait": 25}, timeout=30)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        assert feed.wait_for_waiters(1, timeout=10), "the poller never started waiting"
        posted = requests.post(f"{server.url}/collect/json/web", json={"email": "a@x.com"},
                               headers={"Authorization": API_KEY}, timeout=5)
        assert posted.status_code == 200
        poller.join(timeout=12)  # far less than wait=25: only a wake-up can finish it in time
        assert not poller.is_alive(), "the long poll was not woken by the commit"
    events = result["resp"].json()["data"]["events"]
    assert [(e["event"], e["identity"]) for e in events] == [("enter", {"email": "a@x.com"})]


def test_admin_key_protects_the_internal_plane() -> None:
    app = create_app({"API_KEY": API_KEY, "ADMIN_KEY": "adm"})
    api = Api(app)
    assert api.get("/__admin/health", auth=False).status_code == 200
    assert "X-Admin-Key" in api.fail("GET", "/__admin/feed", 401, auth=False)
    assert api.get("/__admin/feed", auth=False, headers={"X-Admin-Key": "adm"}).status_code == 200
    assert api.fail("GET", "/__admin/reset", 405, auth=False, headers={"X-Admin-Key": "adm"})


def test_concurrent_collects_keep_membership_and_feed_consistent() -> None:
    """Threads post overlapping identities at once (creates, merges, write-backs); the feed must replay to the
    final memberships, with strictly increasing seqs and enter/exit alternating per (audience, profile)."""
    app = create_app({"API_KEY": API_KEY})
    setup = Api(app)
    setup.field("email", is_identifier=True)
    setup.field("user_id", is_identifier=True)
    setup.field("ansira_uuid", mergeop="latest")
    setup.mapping("email", "web", "email(email)")
    setup.mapping("user_id", "web", "user_id")
    setup.mapping("email", "ansira", "email(`origin.email`)")
    setup.mapping("ansira_uuid", "ansira", "`response.uuid`")
    setup.publish()
    seg = setup.segment(TARGET_QL)
    errors: list[str] = []

    def worker(n: int, url: str) -> None:
        session = requests.Session()
        session.headers["Authorization"] = API_KEY
        for round_ in range(4):
            web = [{"email": f"u{i}@x.com"} if (i + n) % 2 else {"user_id": f"id{i}"} for i in range(20)]
            web += [{"email": f"u{i}@x.com", "user_id": f"id{i}"} for i in range(n, 20, 4)]
            back = [{"origin": {"email": f"u{i}@x.com"}, "response": {"uuid": f"{n}-{round_}"}}
                    for i in range(round_ * 5, round_ * 5 + 3)]
            for stream, events in (("web", web), ("ansira", back)):
                resp = session.post(f"{url}/collect/json/{stream}", json=events, timeout=10)
                if resp.status_code != 200:
                    errors.append(resp.text)

    with ServerThread(app, name="mock-lytics") as server:
        threads = [threading.Thread(target=worker, args=(n, server.url)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors and not any(t.is_alive() for t in threads)
    events = setup.feed(0, limit=10_000)["events"]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    inside: dict[str, bool] = {}
    for e in events:
        if e["kind"] != "segment":
            continue
        was_in = inside.get(e["profile_id"], False)
        assert was_in == (e["event"] == "exit"), f"{e['event']} out of turn for profile {e['profile_id']}"
        inside[e["profile_id"]] = e["event"] == "enter"
    members = {p["_id"] for p in setup.ok("GET", f"/api/segment/{seg['id']}/scan?limit=1000")}
    assert members == {pid for pid, is_in in inside.items() if is_in}
    backend = app.extensions["mock_lytics"]
    assert all(backend.profiles.index[k] in backend.profiles.profiles for k in backend.profiles.index)
    for i in range(20):  # every linked identity resolves to one profile
        assert setup.entity("email", f"u{i}@x.com")["_id"] == setup.entity("user_id", f"id{i}")["_id"]
