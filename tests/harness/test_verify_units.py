"""verify's comparison and behaviour-writing rules, on hand-made observations."""

from __future__ import annotations

import json
import re
from pathlib import Path

from harness.verify import cassette
from harness.verify.behaviour_file import derive
from harness.verify.compare import Observation, compare, observe, shape
from harness.verify.probes import PROBES
from harness.verify.run import ProbeResult, VerifyResult

HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def _obs(status: int, body: bytes, headers: dict[str, str] | None = None) -> Observation:
    return observe(status, headers or HEADERS, body)[0]


def test_values_that_must_differ_are_not_compared_but_types_and_keys_are() -> None:
    a = _obs(201, b'{"id": 1, "uuid": "u-1", "createdAt": "2025-01-01T00:00:00Z", "email": "a@example.com"}')
    b = _obs(201, b'{"id": 2, "uuid": "u-2", "createdAt": "2026-02-02T00:00:00Z", "email": "b@example.com"}')
    assert compare(a, b) == []
    c = _obs(201, b'{"id": "2", "uuid": "u-2", "email": "b@example.com", "extra": null}')
    assert {str(d) for d in compare(a, c)} == {
        "type of id: real integer, mock string", "key createdAt: real string, mock absent",
        "key extra: real absent, mock null"}


def test_status_error_content_type_and_rate_headers_are_compared() -> None:
    a = _obs(401, b'{"error": "invalid_client", "error_description": "nope"}', {"Content-Type": "application/json",
                                                                              "X-RateLimit-Limit": "10"})
    b = _obs(400, b'{"error": "invalid_grant"}', {"Content-Type": "text/json"})
    whats = [d.what for d in compare(a, b)]
    assert whats == ["status", "content_type", "error", "key error_description", "rate-limit headers"]
    assert a.note == "nope"


def test_nested_objects_and_lists_of_objects_have_a_shape() -> None:
    assert shape({"sourceCode": {"keyName": "X"}, "problems": [{"path": "email", "message": "m"}], "pets": []}) == {
        "sourceCode": "object", "sourceCode.keyName": "string", "problems": "array", "problems[].path": "string",
        "problems[].message": "string", "pets": "array"}


def _result(pairs: dict[str, tuple[Observation, Observation]]) -> VerifyResult:
    results = []
    for probe in PROBES:
        real, mock = pairs.get(probe.name, (Observation(status=200, body_kind="object"),) * 2)
        results.append(ProbeResult(probe, real, mock, compare(real, mock)))
    return VerifyResult("https://x.test", "t", 40, 19, 19, results)


def _err(status: int, error: str = "invalid_request") -> Observation:
    return Observation(status=status, content_type="application/json", body_kind="object", error=error,
                       shape={"error": "string"})


def test_inconsistent_statuses_for_one_error_code_are_a_note_not_an_override() -> None:
    result = _result({"user.missing_email": (_err(422), _err(400)), "user.malformed_email": (_err(400), _err(400)),
                      "token.wrong_secret": (_err(400, "invalid_client"), _err(401, "invalid_client"))})
    doc, notes = derive(result, {"seed": 3, "clients": [{"client_id": "x", "client_secret": "s"}]}, "SRC")
    assert doc == {"seed": 3, "source_codes": ["SRC"], "error_status": {"token:invalid_client": 400}}
    assert len(notes) == 1 and "user.missing_email" in notes[0] and "(400, 422)" in notes[0]


def test_differences_a_behaviour_cannot_express_come_back_as_notes() -> None:
    real = Observation(status=201, content_type="application/json", body_kind="object", shape={"id": "string"})
    mock = Observation(status=201, content_type="application/json", body_kind="object", shape={"id": "integer"})
    doc, notes = derive(_result({"user.create": (real, mock)}), None, "SRC")
    assert doc == {"source_codes": ["SRC"]}
    assert notes == ["user.create: type of id: real string, mock integer (not expressible in a behaviour document)"]


def test_going_live_doc_lists_every_probe_and_its_cassette_example_loads(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "going-live.md").read_text(encoding="utf-8")
    assert [p.name for p in PROBES if f"`{p.name}`" not in doc] == []
    example = re.search(r'```json\n(\{"format": "enrichsim-cassette".*?)\n```', doc, re.S)
    assert example is not None
    tape = tmp_path / "tape.json"
    tape.write_text(example.group(1))
    assert len(cassette.load(tape)["interactions"]) == 2
    assert json.loads(example.group(1))["version"] == cassette.VERSION
