"""Property tests: any event sequence leaves profiles = connected identity components, and the feed replays to
the final audience memberships."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lytics_helpers import API_KEY, Api

from mock_lytics import create_app

EMAILS = [f"e{i}@x.com" for i in range(4)]
USER_IDS = [f"u{i}" for i in range(4)]

event_st = st.fixed_dictionaries({}, optional={
    "email": st.sampled_from(EMAILS),
    "user_id": st.sampled_from(USER_IDS),
    "score": st.integers(min_value=0, max_value=10),
})


def components(events: list[dict[str, Any]]) -> list[set[str]]:
    """Union-find over identifier values that appear together in an event."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for e in events:
        ids = [f"{field}:{e[field]}" for field in ("email", "user_id") if field in e]
        for a in ids:
            find(a)
        for a, b in pairwise(ids):
            parent[find(a)] = find(b)
    groups: dict[str, set[str]] = {}
    for x in parent:
        groups.setdefault(find(x), set()).add(x)
    return list(groups.values())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(st.lists(event_st, min_size=1, max_size=4), min_size=1, max_size=5))
def test_profiles_are_identity_components_and_the_feed_replays(batches: list[list[dict[str, Any]]]) -> None:
    api = Api(create_app({"API_KEY": API_KEY}))
    api.field("email", is_identifier=True)
    api.field("user_id", is_identifier=True)
    api.field("score", "int", mergeop="max")
    for f in ("email", "user_id", "score"):
        api.mapping(f, "web", f)
    api.publish()
    api.segment("FILTER EXISTS email ALIAS has_email")
    api.segment("FILTER score >= 5 ALIAS high")
    for batch in batches:
        api.collect("web", batch)

    groups = components([e for b in batches for e in b])
    state = api.ok("GET", "/__admin/state", auth=False)
    assert state["profiles"] == len(groups)
    for group in groups:
        owners = {api.entity(*key.split(":", 1))["_id"] for key in group}
        assert len(owners) == 1, (group, owners)

    inside: dict[tuple[str, str], bool] = {}
    for e in api.feed(0, limit=10_000)["events"]:
        key = (e["slug"], e["profile_id"])
        assert inside.get(key, False) == (e["event"] == "exit"), f"{e['event']} out of turn for {key}"
        inside[key] = e["event"] == "enter"
    for seg in ("has_email", "high"):
        members = {p["_id"] for p in api.ok("GET", f"/api/segment/{seg}/scan?limit=1000")}
        assert members == {pid for (slug, pid), is_in in inside.items() if slug == seg and is_in}
