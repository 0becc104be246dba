"""Ansira's reference data (`/service/api/v2/<kind>`), as the SDKs list them: `{"id", "keyName", "name"}`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

STATIC: dict[str, list[dict[str, Any]]] = {
    "brands": [
        {"id": 1, "keyName": "PU", "name": "Purina"},
        {"id": 2, "keyName": "PE", "name": "Pet Expertise"},
        {"id": 3, "keyName": "PP", "name": "Pro Plan"},
    ],
    "pettypes": [
        {"id": 1, "keyName": "DOG", "name": "Dog"},
        {"id": 2, "keyName": "CAT", "name": "Cat"},
    ],
    "petownershipplans": [
        {"id": 1, "keyName": "DOG", "name": "Dog owner"},
        {"id": 2, "keyName": "CAT", "name": "Cat owner"},
        {"id": 3, "keyName": "BOTH", "name": "Dog and cat owner"},
        {"id": 4, "keyName": "NONE", "name": "No pet yet"},
    ],
    "countries": [
        {"id": 1, "keyName": "US", "name": "United States"},
        {"id": 2, "keyName": "CA", "name": "Canada"},
    ],
    "languages": [
        {"id": 1, "keyName": "en", "name": "English"},
        {"id": 2, "keyName": "es", "name": "Spanish"},
        {"id": 3, "keyName": "fr", "name": "French"},
    ],
}
KINDS = ("sourcecodes", *STATIC)


def source_code_items(codes: Sequence[str]) -> list[dict[str, Any]]:
    return [{"id": i, "keyName": code, "name": code} for i, code in enumerate(codes, start=1)]


def items(kind: str, source_codes: Sequence[str]) -> list[dict[str, Any]]:
    if kind == "sourcecodes":
        return source_code_items(source_codes)
    return [dict(item) for item in STATIC[kind]]


def by_key(kind: str, key: str, source_codes: Sequence[str] = ()) -> dict[str, Any] | None:
    return next((item for item in items(kind, source_codes) if item["keyName"] == key), None)
