"""The runner and mock Lytics each declare the internal plane's payloads (the walls keep the runner from importing
a mock); the two declarations must stay the same, key by key and type by type."""

from __future__ import annotations

import typing

import pytest

import harness.runner.wire as runner_side
import mock_lytics.wire as mock_side

NAMES = ("FeedEvent", "FeedPage", "Runtime", "JobReport")


def _shape(cls: type) -> dict[str, object]:
    return {
        # the annotation text (postponed evaluation, kept as ForwardRefs): same words, same types
        "fields": {k: getattr(v, "__forward_arg__", v) for k, v in cls.__annotations__.items()},
        "required": sorted(cls.__required_keys__),  # type: ignore[attr-defined]
        "optional": sorted(cls.__optional_keys__),  # type: ignore[attr-defined]
    }


@pytest.mark.parametrize("name", NAMES)
def test_both_sides_declare_the_same_payload(name: str) -> None:
    assert _shape(getattr(runner_side, name)) == _shape(getattr(mock_side, name))


def test_every_payload_is_listed() -> None:
    declared = {n for n, v in vars(mock_side).items() if typing.is_typeddict(v)}
    assert declared == set(NAMES) == {n for n, v in vars(runner_side).items() if typing.is_typeddict(v)}


def test_a_difference_would_be_seen() -> None:
    class Drifted(typing.TypedDict):
        seq: int
        kind: int  # the mock says str

    assert _shape(Drifted) != _shape(mock_side.FeedEvent)
