"""Unit tables for the backend's building blocks: time parsing, coercion, merge ops, the feed ring."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mock_lytics.feed import Feed, StaleCursor
from mock_lytics.timeutil import iso, parse_time
from mock_lytics.values import FieldSpec, coerce, merge_value

JAN1 = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
TIMES = [
    ("iso-z", "2024-01-01T00:00:00Z", JAN1),
    ("iso-offset", "2024-01-01T01:00:00+01:00", JAN1),
    ("date-only", "2024-01-01", JAN1),
    ("us-date", "01/01/2024", JAN1),
    ("epoch-s", JAN1, JAN1),
    ("epoch-ms", JAN1 * 1000, JAN1),
    ("epoch-ms-string", str(int(JAN1 * 1000)), JAN1),
    ("rfc2822", "Mon, 01 Jan 2024 00:00:00 +0000", JAN1),
    ("datetime", datetime(2024, 1, 1, tzinfo=UTC), JAN1),
    ("garbage", "next tuesday", None),
    ("bool", True, None),
    ("empty", "", None),
]


@pytest.mark.parametrize(("value", "expected"), [t[1:] for t in TIMES], ids=[t[0] for t in TIMES])
def test_parse_time(value: Any, expected: float | None) -> None:
    assert parse_time(value) == expected


def test_iso_is_fixed_width_and_sortable() -> None:
    assert iso(JAN1) == "2024-01-01T00:00:00.000000Z"
    assert sorted([iso(JAN1 + 10), iso(JAN1 + 1.5), iso(JAN1)]) == [iso(JAN1), iso(JAN1 + 1.5), iso(JAN1 + 10)]


COERCIONS = [
    ("string-from-int", "string", 5, "5"),
    ("string-from-float", "string", 2.5, "2.5"),
    ("string-from-integral-float", "string", 3.0, "3"),
    ("string-from-bool", "string", True, "true"),
    ("string-empty-is-no-value", "string", "", None),
    ("string-from-list-takes-last", "string", ["a", "b"], "b"),
    ("int-from-string", "int", "42", 42),
    ("int-from-garbage", "int", "x", None),
    ("number-from-string", "number", "1.5", 1.5),
    ("bool-from-string", "bool", "false", False),
    ("bool-unknown", "bool", "maybe", None),
    ("date-from-epoch", "date", JAN1, "2024-01-01T00:00:00.000000Z"),
    ("date-garbage", "date", "soon", None),
    ("list-from-scalar", "[]string", "a", ["a"]),
    ("list-dedupes", "[]string", ["a", "a", 1], ["a", "1"]),
    ("list-from-set", "[]string", {"b", "a"}, ["a", "b"]),
    ("time-list", "[]time", ["2024-01-01"], ["2024-01-01T00:00:00.000000Z"]),
    ("map-int", "map[string]int", {"a": "1", "b": "x"}, {"a": 1}),
    ("map-from-scalar", "map[string]string", "x", None),
    ("none", "string", None, None),
]


@pytest.mark.parametrize(("ftype", "value", "expected"), [c[1:] for c in COERCIONS], ids=[c[0] for c in COERCIONS])
def test_coerce(ftype: str, value: Any, expected: Any) -> None:
    assert coerce(ftype, value) == expected


MERGES = [
    # (id, type, op, current, current time, new, new time, aggregate, expected value)
    ("latest-newer-wins", "string", "latest", "a", 1, "b", 2, None, "b"),
    ("latest-older-loses", "string", "latest", "a", 2, "b", 1, None, "a"),
    ("latest-tie-takes-new", "string", "latest", "a", 1, "b", 1, None, "b"),
    ("oldest-older-wins", "string", "oldest", "a", 2, "b", 1, None, "b"),
    ("oldest-tie-keeps", "string", "oldest", "a", 1, "b", 1, None, "a"),
    ("min", "int", "min", 5, 1, 3, 2, None, 3),
    ("max", "int", "max", 5, 1, 3, 2, None, 5),
    ("min-mixed-types-falls-back-to-latest", "string", "min", "a", 1, 3, 2, None, 3),
    ("sum", "int", "sum", 5, 1, 3, 2, None, 8),
    ("sum-non-numeric-is-latest", "string", "sum", "a", 1, "b", 2, None, "b"),
    ("merge-lists", "[]string", "merge", ["a"], 1, ["b", "a"], 2, None, ["a", "b"]),
    ("merge-maps-newer-key-wins", "map[string]string", "merge", {"k": "old", "o": "1"}, 1, {"k": "new"}, 2, None,
     {"k": "new", "o": "1"}),
    ("merge-maps-older-key-loses", "map[string]string", "merge", {"k": "new"}, 2, {"k": "old", "o": "1"}, 1, None,
     {"k": "new", "o": "1"}),
    ("merge-valuect-sums", "map[string]int", "merge", {"a": 2}, 1, {"a": 1, "b": 1}, 2, "valuect", {"a": 3, "b": 1}),
    ("merge-scalar-is-latest", "string", "merge", "a", 1, "b", 2, None, "b"),
    ("no-current-value", "string", "oldest", None, None, "b", 2, None, "b"),
]


@pytest.mark.parametrize(("ftype", "op", "cur", "cur_ts", "new", "new_ts", "agg", "expected"),
                         [m[1:] for m in MERGES], ids=[m[0] for m in MERGES])
def test_merge_value(ftype: str, op: str, cur: Any, cur_ts: float | None, new: Any, new_ts: float, agg: str | None,
                     expected: Any) -> None:
    value, _ = merge_value(FieldSpec(id="f", type=ftype, mergeop=op), cur, cur_ts, new, new_ts, aggregate=agg)
    assert value == expected


def test_merge_respects_capacity() -> None:
    spec = FieldSpec(id="f", type="[]string", mergeop="merge", capacity=2)
    value, _ = merge_value(spec, ["a", "b"], 1, ["c"], 2)
    assert value == ["b", "c"]


def test_feed_ring_bounds_and_limits() -> None:
    feed = Feed(capacity=3, clock=lambda: 1.0)
    assert feed.read(0).events == [] and feed.bounds() == (0, 0)
    for i in range(5):
        feed.append("job", job_id=str(i), action="created")
    page = feed.read(2)
    assert [e["seq"] for e in page.events] == [3, 4, 5] and (page.oldest_seq, page.last_seq) == (3, 5)
    with pytest.raises(StaleCursor) as gone:
        feed.read(1)
    assert (gone.value.oldest_seq, gone.value.last_seq) == (3, 5)
    assert [e["seq"] for e in feed.read(2, limit=1).events] == [3]
    assert feed.read(5, wait=0.0).events == []  # nothing newer, no waiting asked
    assert feed.filter(lambda e: e["job_id"] == "3") == [page.events[1]]


def test_feed_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="FEED_CAPACITY"):
        Feed(capacity=0)
