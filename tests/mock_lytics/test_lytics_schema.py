"""v2 fields/mappings (draft -> publish), stream scoping, guard_expr, and LQL queries end to end."""

from __future__ import annotations

from typing import Any

import pytest
from lytics_helpers import Api, ansira_schema

BAD_FIELDS = [
    ("identifier-with-mergeop", {"id": "email", "is_identifier": True, "mergeop": "latest"},
     "must not carry a mergeop"),
    ("unknown-type", {"id": "x", "type": "varchar"}, "unknown type 'varchar'"),
    ("unknown-mergeop", {"id": "x", "mergeop": "average"}, "unknown mergeop 'average'"),
    ("unknown-attribute", {"id": "x", "colour": "red"}, "unknown field attribute(s) ['colour']"),
    ("bad-id", {"id": "has space"}, "field 'id' must match"),
    ("reserved-id", {"id": "_id"}, "reserved"),
    ("flag-not-bool", {"id": "x", "is_pii": "yes"}, "'is_pii' must be true or false"),
    ("capacity-zero", {"id": "x", "capacity": 0}, "'capacity' must be a positive integer"),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in BAD_FIELDS], ids=[c[0] for c in BAD_FIELDS])
def test_field_validation(api: Api, body: dict[str, Any], expected: str) -> None:
    assert expected in api.fail("POST", "/v2/schema/user/field", 400, json=body)
    assert api.ok("GET", "/v2/schema/user/field") == []


def test_field_post_is_a_full_replace(api: Api) -> None:
    api.field("score", "int", mergeop="max", shortdesc="Score")
    api.ok("POST", "/v2/schema/user/field/score", json={"type": "number"})
    field = api.ok("GET", "/v2/schema/user/field/score")
    assert (field["type"], field["mergeop"], field["shortdesc"]) == ("number", "", "")
    assert "does not match the URL" in api.fail("POST", "/v2/schema/user/field/score", 400, json={"id": "other"})


BAD_MAPPINGS = [
    ("unknown-field", {"field": "nope", "stream": "web", "expr": "x"}, "'nope' is not a field"),
    ("expr-parse-error", {"field": "email", "stream": "web", "expr": "email(email"}, "line 1, col"),
    ("guard-parse-error", {"field": "email", "stream": "web", "expr": "email", "guard_expr": "a =="},
     "guard_expr at line 1"),
    ("missing-expr", {"field": "email", "stream": "web"}, "needs 'expr'"),
    ("bad-stream", {"field": "email", "stream": "no/slash", "expr": "email"}, "stream name"),
    ("unknown-key", {"field": "email", "stream": "web", "expr": "email", "when": "x"}, "['when']"),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in BAD_MAPPINGS], ids=[c[0] for c in BAD_MAPPINGS])
def test_mapping_validation(api: Api, body: dict[str, Any], expected: str) -> None:
    api.field("email", is_identifier=True)
    assert expected in api.fail("POST", "/v2/schema/user/mapping", 400, json=body)
    assert api.ok("GET", "/v2/schema/user/mapping") == []


def test_mapping_stream_cannot_change(api: Api) -> None:
    api.field("email", is_identifier=True)
    mapping = api.mapping("email", "web", "email")
    msg = api.fail("POST", "/v2/schema/user/mapping", 400,
                   json={"id": mapping["id"], "field": "email", "stream": "app", "expr": "email"})
    assert "stream cannot change" in msg


def test_changes_apply_only_once_published(api: Api) -> None:
    api.field("email", is_identifier=True)
    api.mapping("email", "web", "email")
    api.collect("web", {"email": "a@x.com"})
    assert api.entity("email", "a@x.com") == {"segments": ["not_found", "all"]}
    assert [f["published"] for f in api.ok("GET", "/v2/schema/user/field")] == [False]
    api.publish()
    assert [f["published"] for f in api.ok("GET", "/v2/schema/user/field")] == [True]
    api.collect("web", {"email": "a@x.com"})
    assert api.entity("email", "a@x.com")["email"] == "a@x.com"


def test_a_mapping_feeds_its_field_only_from_its_stream(api: Api) -> None:
    ansira_schema(api)
    api.collect("web", {"email": "a@x.com", "response": {"uuid": "from-web"}})
    api.collect("other", {"origin": {"email": "a@x.com"}, "response": {"uuid": "from-other"}})
    assert "ansira_uuid" not in api.entity("email", "a@x.com")
    api.collect("ansira", {"origin": {"email": "a@x.com"}, "response": {"uuid": "from-ansira"}})
    assert api.entity("email", "a@x.com")["ansira_uuid"] == "from-ansira"


GUARDS = [
    ("guard-true", {"action": "signup", "plan": "gold"}, "gold"),
    ("guard-false", {"action": "view", "plan": "gold"}, None),
    ("guard-missing-key", {"plan": "gold"}, None),
]


@pytest.mark.parametrize(("event", "expected"), [g[1:] for g in GUARDS], ids=[g[0] for g in GUARDS])
def test_guard_expr(api: Api, event: dict[str, Any], expected: str | None) -> None:
    api.field("email", is_identifier=True)
    api.field("plan")
    api.mapping("email", "web", "email")
    api.mapping("plan", "web", "plan", guard='action == "signup"')
    api.publish()
    api.collect("web", {"email": "a@x.com", **event})
    assert api.entity("email", "a@x.com").get("plan") == expected


QUERY = """-- the Ansira write-back, as an LQL query
SELECT email(`response.email`) AS email,
       `response.uuid` AS ansira_uuid,
       count(`response.uuid`) AS enrich_ct,
       `response.city` AS city IF `response.country` == "US" KIND string MERGEOP OLDEST
FROM ansira INTO user BY email
WHERE EXISTS `response.uuid`
ALIAS ansira_enrich"""


def test_lql_query_end_to_end(api: Api) -> None:
    created = api.ok("POST", "/api/query", data=QUERY, content_type="text/plain")
    assert created["alias"] == "ansira_enrich" and created["by"] == ["email"] and created["from"] == "ansira"
    fields = {f["id"]: f for f in api.ok("GET", "/v2/schema/user/field")}
    assert fields["email"]["is_identifier"] and fields["email"]["mergeop"] == ""
    assert (fields["enrich_ct"]["type"], fields["enrich_ct"]["mergeop"]) == ("int", "sum")
    assert fields["city"]["mergeop"] == "oldest"
    assert "ansira" in api.ok("GET", "/v2/stream/names")

    api.collect("ansira", [{"response": {"email": "Bob <BOB@x.com>", "uuid": "u1", "city": "Paris", "country": "FR"}},
                           {"response": {"email": "bob@x.com", "uuid": "u2", "city": "Portland", "country": "US"}},
                           {"response": {"email": "bob@x.com"}}])  # WHERE fails: ignored
    profile = api.entity("email", "bob@x.com")
    assert (profile["ansira_uuid"], profile["enrich_ct"], profile["city"]) == ("u2", 2, "Portland")

    assert [q["alias"] for q in api.ok("GET", "/api/query")] == ["ansira_enrich"]
    assert api.ok("GET", "/api/query/ansira_enrich")["text"] == QUERY
    api.ok("DELETE", "/api/query/ansira_enrich", status=204)
    api.collect("ansira", {"response": {"email": "new@x.com", "uuid": "u3"}})
    assert api.entity("email", "new@x.com") == {"segments": ["not_found", "all"]}
    api.fail("GET", "/api/query/ansira_enrich", 404)


def test_lql_query_upserts_by_alias(api: Api) -> None:
    api.ok("POST", "/api/query", data="SELECT email FROM web INTO user BY email ALIAS q", content_type="text/plain")
    api.ok("POST", "/api/query", data="SELECT email, name FROM web INTO user BY email ALIAS q",
           content_type="text/plain")
    assert len(api.ok("GET", "/api/query")) == 1
    api.collect("web", {"email": "a", "name": "Ann"})
    assert api.entity("email", "a")["name"] == "Ann"


def test_lql_validate_and_parse_errors(api: Api) -> None:
    ok = api.ok("POST", "/api/query/_validate", data=QUERY, content_type="text/plain")
    assert [f["id"] for f in ok["fields"]] == ["email", "ansira_uuid", "enrich_ct", "city"]
    assert api.ok("GET", "/api/query") == []  # validate stores nothing
    bad = "SELECT email\nFROM web\nINTO user BY email\nALIAS"
    for path in ("/api/query/_validate", "/api/query"):
        msg = api.fail("POST", path, 400, data=bad, content_type="text/plain")
        assert "line 4, col" in msg
    assert "INTO 'account'" in api.fail("POST", "/api/query", 400, content_type="text/plain",
                                        data="SELECT email FROM web INTO account BY email ALIAS a")


def test_lql_test_evaluates_one_record_from_the_query_string(api: Api) -> None:
    data = api.ok("POST", "/api/query/_test", data=QUERY, content_type="text/plain",
                  query_string={"response.email": "X@Y.com", "response.uuid": "u9", "response.city": "Lyon",
                                "response.country": "FR"})
    assert data == {"email": "x@y.com", "ansira_uuid": "u9", "enrich_ct": 1}
    assert api.ok("GET", "/__admin/state", auth=False)["profiles"] == 0
