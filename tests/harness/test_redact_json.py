"""Redacting JSON per string, not over the serialised text: the output still parses and still hides secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from harness.redact import MASK, Redactor


@pytest.fixture
def red() -> Redactor:
    return Redactor(["s3cret-client-value"])


def test_an_escaped_quote_after_a_masked_parameter_still_parses(red: Redactor) -> None:
    doc = {"reason": 'sent "token=abc" then "access_token=xyz\\"tail"', "n": 3}
    text_way = red(json.dumps(doc))  # the old way: the mask eats the escape backslash
    with pytest.raises(json.JSONDecodeError):
        json.loads(text_way)
    back = json.loads(red.json(doc))
    assert back["n"] == 3 and "abc" not in back["reason"] and "xyz" not in back["reason"]
    assert back["reason"].count(f"={MASK}") == 2


@pytest.mark.parametrize(("doc", "hidden", "kept"), [
    ({"headers": {"Authorization": "Bearer eyJraWQiOiJ1bmtub3du"}}, "eyJraWQiOiJ1bmtub3du", "Bearer ***"),
    ({"Authorization": "opaque-value-123"}, "opaque-value-123", MASK),
    ({"x-admin-key": "adm-0123456789"}, "adm-0123456789", MASK),
    ({"list": [{"client_secret": "never-registered"}]}, "never-registered", MASK),
    ({"deep": ["a", ["s3cret-client-value in text"]]}, "s3cret-client-value", f"{MASK} in text"),
    ({"s3cret-client-value": 1}, "s3cret-client-value", MASK),  # keys too
], ids=["bearer", "authorization", "admin-key", "body-field", "registered", "key"])
def test_credentials_are_masked_wherever_they_sit(red: Redactor, doc: dict, hidden: str, kept: str) -> None:
    out = red.json(doc)
    assert hidden not in out and kept in out
    json.loads(out)


def test_counts_and_ordinary_fields_are_left_alone(red: Redactor) -> None:
    doc = {"token": 2, "key": "email", "access_token": "", "when": datetime(2026, 1, 1, tzinfo=UTC)}
    assert json.loads(red.json(doc, default=str)) == {"token": 2, "key": "email", "access_token": "",
                                                      "when": "2026-01-01 00:00:00+00:00"}


def test_what_default_turns_into_json_is_redacted_too(red: Redactor) -> None:
    class Opaque:
        def __str__(self) -> str:
            return "holder of s3cret-client-value"

    assert json.loads(red.json({"x": Opaque()}, default=str)) == {"x": f"holder of {MASK}"}
