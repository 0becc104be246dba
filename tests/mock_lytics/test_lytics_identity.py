"""Identity resolution and merge operations, through the HTTP API."""

from __future__ import annotations

from typing import Any

import pytest
from lytics_helpers import Api

T0 = 1_600_000_000  # event times (timestamp_field) well before the fake clock's "now"


def two_identifiers(api: Api, **extra_fields: tuple[str, str | None]) -> None:
    """email + user_id identifiers on stream web, plus `extra_fields` (name -> (type, mergeop)).

    Map fields are fed with match("name."): the collected nested object arrives flattened (name.key).
    """
    api.field("email", is_identifier=True)
    api.field("user_id", is_identifier=True)
    api.mapping("email", "web", "email(email)")
    api.mapping("user_id", "web", "user_id")
    for name, (ftype, op) in extra_fields.items():
        api.field(name, ftype, **({"mergeop": op} if op else {}))
        api.mapping(name, "web", f'match("{name}.")' if ftype.startswith("map[") else name)
    api.publish()


def test_one_event_links_two_profiles_and_the_oldest_survives(api: Api) -> None:
    two_identifiers(api, score=("int", "sum"))
    api.collect("web", {"email": "a@x.com", "score": 1})
    api.collect("web", {"user_id": "u1", "score": 10})
    first, second = api.entity("email", "a@x.com"), api.entity("user_id", "u1")
    assert first["_id"] != second["_id"]
    assert api.ok("GET", "/__admin/state", auth=False)["profiles"] == 2

    api.collect("web", {"email": "A@x.com", "user_id": "u1", "score": 100})

    merged = api.entity("user_id", "u1")
    assert merged["_id"] == first["_id"]  # oldest survives
    assert api.entity("email", "a@x.com")["_id"] == first["_id"]
    assert merged["email"] == "a@x.com" and merged["user_id"] == "u1"
    assert merged["score"] == 111  # sum folds both profiles and the linking event
    assert api.ok("GET", "/__admin/state", auth=False)["profiles"] == 1
    api.fail("GET", f"/__admin/profiles/{second['_id']}", 404, auth=False)


def test_three_profiles_merge_into_one(api: Api) -> None:
    api.field("email", is_identifier=True)
    api.field("user_id", is_identifier=True)
    api.field("phone", is_identifier=True)
    for f in ("email", "user_id", "phone"):
        api.mapping(f, "web", f)
    api.publish()
    api.collect("web", [{"email": "e"}, {"user_id": "u"}, {"phone": "p"}])
    api.collect("web", {"email": "e", "user_id": "u", "phone": "p"})
    state = api.ok("GET", "/__admin/state", auth=False)
    assert state["profiles"] == 1
    profile = api.entity("phone", "p")
    assert (profile["_id"], profile["email"], profile["user_id"]) == ("1", "e", "u")


def test_identifier_keeps_every_value_but_exposes_the_latest(api: Api) -> None:
    two_identifiers(api)
    api.collect("web", {"email": "old@x.com", "user_id": "u", "ts": T0}, timestamp_field="ts")
    api.collect("web", {"email": "new@x.com", "user_id": "u", "ts": T0 + 10}, timestamp_field="ts")
    api.collect("web", {"email": "older@x.com", "user_id": "u", "ts": T0 - 10}, timestamp_field="ts")
    profile = api.entity("user_id", "u")
    assert profile["email"] == "new@x.com"  # newest event time, not newest arrival
    for email in ("old@x.com", "new@x.com", "older@x.com"):
        assert api.entity("email", email)["_id"] == profile["_id"]
    detail = api.ok("GET", f"/__admin/profiles/{profile['_id']}", auth=False)
    assert detail["identifier_values"]["email"] == ["older@x.com", "old@x.com", "new@x.com"]
    assert detail["identity"] == {"email": "new@x.com", "user_id": "u"}


def test_event_without_identifier_attaches_to_no_profile(api: Api) -> None:
    two_identifiers(api, score=("int", None))
    data = api.collect("web", [{"score": 3}, {"email": ""}])
    assert data["message_count"] == 2
    state = api.ok("GET", "/__admin/state", auth=False)
    assert state["profiles"] == 0 and state["unattached_events"] == 2


# (merge op, field type, [(value, event time offset) in ARRIVAL order], expected)
EVENT_CASES = [
    ("latest", "string", [("b", 2), ("a", 1)], "b"),
    ("latest", "string", [("a", 1), ("b", 2)], "b"),
    ("oldest", "string", [("b", 2), ("a", 1)], "a"),
    ("oldest", "string", [("a", 1), ("b", 2)], "a"),
    ("min", "int", [(5, 1), (3, 2), (8, 3)], 3),
    ("max", "int", [(5, 1), (3, 2), (8, 3)], 8),
    ("min", "date", [("2024-05-01", 1), ("2023-01-01T10:00:00Z", 2)], "2023-01-01T10:00:00.000000Z"),
    ("sum", "number", [(2, 1), (3.5, 2)], 5.5),
    ("merge", "[]string", [(["x"], 1), (["y", "x"], 2)], ["x", "y"]),
    ("merge", "map[string]string", [({"a": "1"}, 2), ({"a": "0", "b": "2"}, 1)], {"a": "1", "b": "2"}),
    ("latest", "[]string", [(["x"], 2), (["y"], 1)], ["x"]),
]


@pytest.mark.parametrize(("op", "ftype", "events", "expected"), EVENT_CASES,
                         ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(EVENT_CASES)])
def test_merge_op_over_out_of_order_events(api: Api, op: str, ftype: str, events: list[tuple[Any, int]],
                                           expected: Any) -> None:
    two_identifiers(api, value=(ftype, op))
    for value, offset in events:
        api.collect("web", {"email": "a@x.com", "value": value, "ts": T0 + offset}, timestamp_field="ts")
    assert api.entity("email", "a@x.com")["value"] == expected


def test_count_aggregate_sums_events(api: Api) -> None:
    api.ok("POST", "/api/query", data="SELECT email(email) AS email, count(email) AS visits "
                                      "FROM web INTO user BY email ALIAS visits", content_type="text/plain")
    for _ in range(3):
        api.collect("web", {"email": "a@x.com"})
    profile = api.entity("email", "a@x.com")
    assert profile["visits"] == 3


# (merge op, type, first profile's (value, time), second profile's (value, time), expected after linking)
PROFILE_CASES = [
    ("latest", "string", ("a", 1), ("b", 2), "b"),
    ("latest", "string", ("a", 2), ("b", 1), "a"),
    ("oldest", "string", ("a", 2), ("b", 1), "b"),
    ("min", "int", (7, 1), (4, 2), 4),
    ("max", "int", (7, 1), (4, 2), 7),
    ("sum", "int", (7, 1), (4, 2), 11),
    ("merge", "[]string", (["p"], 1), (["q", "p"], 2), ["p", "q"]),
]


@pytest.mark.parametrize(("op", "ftype", "first", "second", "expected"), PROFILE_CASES,
                         ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(PROFILE_CASES)])
def test_merge_op_when_profiles_merge(api: Api, op: str, ftype: str, first: tuple[Any, int],
                                      second: tuple[Any, int], expected: Any) -> None:
    two_identifiers(api, value=(ftype, op))
    api.collect("web", {"email": "a@x.com", "value": first[0], "ts": T0 + first[1]}, timestamp_field="ts")
    api.collect("web", {"user_id": "u", "value": second[0], "ts": T0 + second[1]}, timestamp_field="ts")
    api.collect("web", {"email": "a@x.com", "user_id": "u", "ts": T0}, timestamp_field="ts")
    assert api.entity("user_id", "u")["value"] == expected


def test_field_write_times_are_recorded(api: Api, clock: Any) -> None:
    two_identifiers(api, value=("string", "latest"))
    api.collect("web", {"email": "a@x.com"})
    clock.advance(5)
    api.collect("web", {"email": "a@x.com", "value": "v"})
    api.collect("web", {"email": "a@x.com", "value": "v"})  # unchanged: the write time stays
    pid = api.entity("email", "a@x.com")["_id"]
    detail = api.ok("GET", f"/__admin/profiles/{pid}", auth=False)
    assert detail["field_ts"]["value"] - detail["first_seen_ts"] == pytest.approx(5, abs=0.01)
    assert detail["field_ts"]["email"] == pytest.approx(detail["first_seen_ts"], abs=0.01)
