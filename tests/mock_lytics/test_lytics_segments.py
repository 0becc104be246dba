"""Audiences: CRUD (v1 text/JSON, v2), validate, size, scan paging, incremental membership."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from lytics_helpers import TARGET_QL, Api, ansira_schema

import mock_lytics.segments as segments_module


@pytest.fixture
def seeded(api: Api) -> Api:
    ansira_schema(api)
    api.collect("web", [{"email": f"u{i:02d}@x.com"} for i in range(25)])
    return api


def test_text_create_upserts_on_alias(seeded: Api) -> None:
    seg = seeded.segment(TARGET_QL)
    assert re.fullmatch(r"[0-9a-f]{32}", seg["id"])
    assert (seg["slug_name"], seg["name"], seg["kind"], seg["table"]) == (
        "ansira_enrichment_source", "ansira_enrichment_source", "segment", "user")
    assert set(seg) >= {"account_id", "segment_ql", "description", "is_public", "tags", "created", "updated"}
    again = seeded.segment("FILTER EXISTS email ALIAS ansira_enrichment_source")
    assert again["id"] == seg["id"] and again["segment_ql"].startswith("FILTER EXISTS email")
    assert len(seeded.ok("GET", "/api/segment")) == 1
    assert "needs ALIAS" in seeded.fail("POST", "/api/segment", 400, data="FILTER EXISTS email",
                                        content_type="text/plain")


def test_json_create_get_put_delete(seeded: Api) -> None:
    body = {"name": "Has email", "segment_ql": "FILTER EXISTS email", "slug_name": "has_email",
            "description": "d", "is_public": True, "tags": ["t"]}
    seg = seeded.ok("POST", "/api/segment", json=body)
    assert (seg["name"], seg["slug_name"], seg["is_public"], seg["tags"]) == ("Has email", "has_email", True, ["t"])
    for ref in (seg["id"], "has_email"):
        assert seeded.ok("GET", f"/api/segment/{ref}")["id"] == seg["id"]
        assert seeded.ok("GET", f"/v2/segment/{ref}")["id"] == seg["id"]
    assert seeded.ok("GET", f"/v2/segment/{seg['id']}", query_string={"sizes": "true"})["size"] == 25

    updated = seeded.ok("PUT", f"/api/segment/{seg['id']}", json={"description": "new", "segment_ql":
                                                                  'FILTER email LIKE "u0*"'})
    assert updated["description"] == "new" and updated["name"] == "Has email"
    assert seeded.ok("GET", "/v2/segment", query_string={"sizes": "true"})[0]["size"] == 10

    seeded.ok("DELETE", "/api/segment/has_email", status=204)
    seeded.fail("GET", f"/api/segment/{seg['id']}", 404)
    seeded.fail("DELETE", f"/v2/segment/{seg['id']}", 404)


def test_v2_create_renames_a_taken_slug(seeded: Api) -> None:
    body = {"name": "A", "segment_ql": "FILTER EXISTS email", "slug_name": "aud"}
    first = seeded.ok("POST", "/v2/segment", json=body)
    second = seeded.ok("POST", "/v2/segment", json=body)
    third = seeded.ok("POST", "/v2/segment", json=body)
    assert [s["slug_name"] for s in (first, second, third)] == ["aud", "aud_1", "aud_2"]
    assert len({s["id"] for s in (first, second, third)}) == 3


def test_slug_conflict_on_update_is_409(seeded: Api) -> None:
    seeded.segment("FILTER EXISTS email ALIAS one")
    two = seeded.segment("FILTER EXISTS email ALIAS two")
    assert "already used" in seeded.fail("PUT", f"/v2/segment/{two['id']}", 409, json={"slug_name": "one"})


BAD_BODIES = [
    ("no-ql", {"name": "x"}, "segment_ql' is required"),
    ("bad-ql", {"name": "x", "segment_ql": "FILTER AND (EXISTS email"}, "Failed parsing segment QL at line 1"),
    ("unknown-key", {"name": "x", "segment_ql": "FILTER *", "color": 1}, "['color']"),
    ("other-table", {"name": "x", "segment_ql": "FILTER *", "table": "content"}, "only 'user'"),
    ("tags-not-list", {"name": "x", "segment_ql": "FILTER *", "tags": "t"}, "'tags' must be a list"),
]


@pytest.mark.parametrize(("body", "expected"), [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES])
def test_json_create_validation(api: Api, body: dict[str, Any], expected: str) -> None:
    assert expected in api.fail("POST", "/v2/segment", 400, json=body)
    assert api.ok("GET", "/v2/segment") == []


def test_validate(api: Api) -> None:
    resp = api.post("/api/segment/validate", data=TARGET_QL, content_type="text/plain")
    body = resp.get_json()
    assert resp.status_code == 200 and (body["status"], body["message"], body["data"]) == (200, "success", None)
    msg = api.fail("POST", "/api/segment/validate", 400, content_type="text/plain",
                   data="FILTER AND (\n  EXISTS email\n  NOT EXISTS\n)")
    assert msg.startswith("Failed parsing segment QL") and "line 3, col 13" in msg
    # a misspelt keyword: the same 400 and message shape, with the hint inside the message text
    msg = api.fail("POST", "/api/segment/validate", 400, content_type="text/plain", data="FILTER EXIST email")
    assert msg.startswith("Failed parsing segment QL at line 1, col 14") and "did you mean EXISTS?" in msg


def test_size_of_an_unsaved_statement(seeded: Api) -> None:
    data = seeded.ok("POST", "/api/segment/size", data='FILTER email LIKE "u1*" ALIAS tens',
                     content_type="text/plain")
    assert data == {"id": "", "name": "tens", "slug_name": "tens", "size": 10}


def test_scan_pages_over_every_member_once(seeded: Api) -> None:
    seg = seeded.segment(TARGET_QL)
    seen: list[str] = []
    start = ""
    pages = 0
    while True:
        resp = seeded.get(f"/api/segment/{seg['id']}/scan", query_string={"limit": 10, "start": start})
        body = resp.get_json()
        assert body["total"] == 25
        seen += [p["email"] for p in body["data"]]
        assert all("ansira_enrichment_source" in p["segments"] for p in body["data"])
        pages += 1
        start = body["_next"]
        if not start:
            break
    assert pages == 3 and sorted(seen) == sorted(f"u{i:02d}@x.com" for i in range(25))


def test_scan_cursor_is_stable_while_members_change(seeded: Api) -> None:
    seg = seeded.segment(TARGET_QL)
    first = seeded.get(f"/api/segment/{seg['id']}/scan", query_string={"limit": 10}).get_json()
    # Between pages: one already-seen member leaves, one unseen member leaves, a new member joins.
    seeded.collect("ansira", [{"origin": {"email": "u00@x.com"}, "response": {"uuid": "a"}},
                              {"origin": {"email": "u15@x.com"}, "response": {"uuid": "b"}}])
    seeded.collect("web", {"email": "late@x.com"})
    rest: list[str] = []
    start = first["_next"]
    while start:
        body = seeded.get(f"/api/segment/{seg['id']}/scan", query_string={"limit": 10, "start": start}).get_json()
        rest += [p["email"] for p in body["data"]]
        start = body["_next"]
    seen = [p["email"] for p in first["data"]] + rest
    assert Counter(seen).most_common(1)[0][1] == 1  # nobody twice
    assert "late@x.com" in rest and "u15@x.com" not in rest
    assert set(seen) >= {f"u{i:02d}@x.com" for i in range(25)} - {"u15@x.com"}


def test_scan_rejects_a_forged_cursor_and_clamps_limit(seeded: Api) -> None:
    seg = seeded.segment(TARGET_QL)
    assert "invalid scan cursor" in seeded.fail("GET", f"/api/segment/{seg['id']}/scan?start=garbage", 400)
    assert len(seeded.ok("GET", f"/api/segment/{seg['id']}/scan?limit=5000")) == 25


def test_membership_is_reevaluated_incrementally(seeded: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded.field("score", "int")
    seeded.mapping("score", "web", "score")
    seeded.publish()
    target = seeded.segment(TARGET_QL)
    scored = seeded.segment("FILTER score > 5 ALIAS scored")
    wrapper = seeded.segment("FILTER INCLUDE scored ALIAS wrapper")
    calls: Counter[str] = Counter()
    real = segments_module.filterql.evaluate

    def counting(flt: Any, profile: Any, **kw: Any) -> bool:
        calls[flt.alias] += 1
        return real(flt, profile, **kw)

    monkeypatch.setattr(segments_module.filterql, "evaluate", counting)
    after = seeded.feed()["last_seq"]
    seeded.collect("web", {"email": "u03@x.com", "score": 9})
    assert calls == Counter({"scored": 1, "wrapper": 1})  # the target audience does not read `score`
    assert [(e["slug"], e["event"]) for e in seeded.segment_events(after)] == [("scored", "enter"),
                                                                                ("wrapper", "enter")]
    calls.clear()
    seeded.collect("ansira", {"origin": {"email": "u03@x.com"}, "response": {"uuid": "x"}})
    assert calls == Counter({"ansira_enrichment_source": 1})
    assert {target["id"], scored["id"], wrapper["id"]} == {s["id"] for s in seeded.ok("GET", "/api/segment")}


def test_new_profiles_are_evaluated_against_every_segment(api: Api) -> None:
    ansira_schema(api)
    api.segment("FILTER * ALIAS everyone")
    api.segment(TARGET_QL)
    api.collect("web", {"email": "a@x.com"})
    assert api.entity("email", "a@x.com")["segments"] == ["ansira_enrichment_source", "everyone", "all"]


def test_include_of_a_segment_created_later_is_resolved(seeded: Api) -> None:
    wrapper = seeded.segment("FILTER INCLUDE target ALIAS wrapper")
    assert seeded.ok("GET", f"/v2/segment/{wrapper['id']}?sizes=true")["size"] == 0
    seeded.segment("FILTER EXISTS email ALIAS target")
    assert seeded.ok("GET", f"/v2/segment/{wrapper['id']}?sizes=true")["size"] == 25
    seeded.ok("DELETE", "/api/segment/target", status=204)
    assert seeded.ok("GET", f"/v2/segment/{wrapper['id']}?sizes=true")["size"] == 0


def test_clock_dependent_audiences_are_reevaluated_on_request(api: Api, clock: Any) -> None:
    api.field("email", is_identifier=True)
    api.field("seen", "date")
    api.mapping("email", "web", "email")
    api.mapping("seen", "web", "seen")
    api.publish()
    api.segment('FILTER seen > "now-1d" ALIAS recent')
    api.segment("FILTER EXISTS email ALIAS known")
    api.collect("web", {"email": "a@x.com", "seen": clock.now - 3600})
    assert api.entity("email", "a@x.com")["segments"] == ["known", "recent", "all"]
    clock.advance(2 * 86_400)
    assert api.entity("email", "a@x.com")["segments"] == ["known", "recent", "all"]  # nothing re-ran yet
    start = api.feed()["last_seq"]
    assert api.ok("POST", "/__admin/segments/reevaluate", auth=False) == {"reevaluated": ["recent"]}
    assert [(e["slug"], e["event"]) for e in api.segment_events(start)] == [("recent", "exit")]
    assert api.ok("POST", "/__admin/segments/reevaluate?segment=known", auth=False) == {"reevaluated": ["known"]}
    assert api.fail("POST", "/__admin/segments/reevaluate?segment=nope", 404, auth=False)
