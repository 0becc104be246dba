from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_ansira import contract
from mock_ansira.contract import MAX_BODY_BYTES, USER_REQUEST_SCHEMA, Problem, request_problems

GOOD = {"email": "john.connor@ansira.com", "sourceCode": {"keyName": "ITSP201511"}}


def test_schema_is_draft_2020_12() -> None:
    assert USER_REQUEST_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert MAX_BODY_BYTES == 1_000_000


def test_sdk_example_body_is_valid() -> None:
    body = {
        "firstName": "John",
        "lastName": "Connor",
        "email": "john.connor@ansira.com",
        "subscriptions": ["PE", "PU"],
        "sourceCode": {"keyName": "ITSP201511"},
        "petOwnershipPlan": {"keyName": "DOG"},
        "address": {"postalCode": "75001", "country": {"name": "United States", "keyName": "US"}},
        "pets": [{"name": "Rex", "petType": {"keyName": "DOG"}}],
        "language": "en",
    }
    assert request_problems(body, source_codes={"ITSP201511"}) == []


def test_unknown_top_level_keys_are_ignored() -> None:
    assert request_problems({**GOOD, "favouriteColour": 3}) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param([], [Problem("$", "expected object, got array")], id="root-not-object"),
        pytest.param(
            {},
            [Problem("email", "is required but missing"), Problem("sourceCode", "is required but missing")],
            id="empty-object",
        ),
        pytest.param(
            {"email": "a@b.com", "sourceCode": {}},
            [Problem("sourceCode.keyName", "is required but missing")],
            id="keyName-missing",
        ),
        pytest.param(
            {"email": "a@b.com", "sourceCode": {"keyName": 7}},
            [Problem("sourceCode.keyName", "expected string, got integer")],
            id="keyName-wrong-type",
        ),
        pytest.param(
            {**GOOD, "firstName": 1, "subscriptions": "PE"},
            [
                Problem("firstName", "expected string or null, got integer"),
                Problem("subscriptions", "expected array, got string"),
            ],
            id="several-wrong-types-sorted",
        ),
        pytest.param(
            {**GOOD, "pets": [{"name": "a"}, {"name": False}]},
            [Problem("pets[1].name", "expected string or null, got boolean")],
            id="nested-array-path",
        ),
        pytest.param(
            {**GOOD, "address": {"country": {"keyName": 1}}},
            [Problem("address.country.keyName", "expected string, got integer")],
            id="nested-object-path",
        ),
    ],
)
def test_schema_problems(body: object, expected: list[Problem]) -> None:
    assert request_problems(body) == expected


@pytest.mark.parametrize(
    "email",
    ["Bob <b@x.com>", "not-an-email", "a@@b.com", "a@b", "a b@c.com"],
    ids=["display-name", "no-at", "double-at", "no-tld", "space"],
)
def test_invalid_email_is_a_problem(email: str) -> None:
    problems = request_problems({**GOOD, "email": email})
    assert [p.path for p in problems] == ["email"]
    assert "not a valid email address" in problems[0].message


def test_source_code_checked_only_when_given() -> None:
    assert request_problems(GOOD) == []
    problems = request_problems(GOOD, source_codes=["LYTICS_SIM"])
    assert problems == [
        Problem("sourceCode.keyName", "unknown source code 'ITSP201511'; known: LYTICS_SIM"),
    ]


# -- the fast validity check (jsonschema-rs) must agree with jsonschema on every body -----------------------------
_KEYS = ["email", "sourceCode", "keyName", "id", "name", "firstName", "address", "city", "pets", "petType",
         "subscriptions", "lastSourceCode", "petOwnershipPlan", "other"]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "x", "a@b.co", "LYTICS2024"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=5),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(_KEYS), _JSON, max_size=6) | _JSON)
def test_fast_validity_agrees_with_jsonschema(body: object) -> None:
    assert contract._FAST.is_valid(body) == (not list(contract._VALIDATOR.iter_errors(body)))


_FIELD = st.none() | st.sampled_from(["Jane", ""]) | _JSON  # mostly the right type, sometimes anything
_NEAR_VALID = st.fixed_dictionaries(
    {"email": st.sampled_from(["a@b.co", "a@b.co", "", 3]),
     "sourceCode": st.fixed_dictionaries({"keyName": st.sampled_from(["LYTICS2024", "LYTICS2024", "", 7])})},
    optional={k: _FIELD for k in ("firstName", "lastName", "address", "pets", "subscriptions", "lastSourceCode")},
)


@settings(max_examples=400, deadline=None)
@given(_NEAR_VALID)
def test_fast_validity_agrees_on_nearly_valid_bodies(body: dict[str, object]) -> None:
    assert contract._FAST.is_valid(body) == (not list(contract._VALIDATOR.iter_errors(body)))


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"email": "a@b.co", "sourceCode": {"keyName": "X"}}, True),
        ({"email": "a@b.co", "sourceCode": {"keyName": "X"}, "firstName": None, "pets": [{"name": None}]}, True),
        ({"email": "a@b.co", "sourceCode": {"keyName": ""}}, False),
        ({"email": "a@b.co", "sourceCode": {"keyName": "X"}, "firstName": 3}, False),
        ({"email": "a@b.co"}, False),
        ([], False),
    ],
    ids=["minimal", "nullable-fields", "empty-keyName", "wrong-type", "missing-sourceCode", "not-an-object"],
)
def test_fast_validity_on_known_bodies(body: object, valid: bool) -> None:
    assert contract._FAST.is_valid(body) is valid
    assert (not list(contract._VALIDATOR.iter_errors(body))) is valid
