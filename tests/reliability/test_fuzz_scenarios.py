"""Scenario parsing is total: any file gives a Scenario or a clean ScenarioError, never another exception.

Four sources of input: arbitrary text (jsonnet), arbitrary bytes, arbitrary JSON documents built from the schema's
own key names, and the quickstart scenario with one value anywhere replaced by something arbitrary.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import ScenarioError
from harness.scenario import engine, loader
from harness.scenario import model as m

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEYS = sorted({
    "name", "description", "seed", "ansira", "runner", "lytics", "profiles", "steps", "checks", "clients",
    "client_id", "client_secret", "source_codes", "latency", "faults", "kind", "ms", "fields", "mappings",
    "segments", "templates", "auths", "jobs", "config", "generate", "count", "explicit", "stream", "wait_until",
    "idle", "timeout_s", "create_profiles", "create_jobs", "collect", "sleep_s", "expect", "where", "size",
    "equals", "min", "max", "per_user", "status", "rate_limit", "known_users", "operation", "probability",
    "request_timeout_s", "enriched_min", "lytics_faults", "ql", "type", "source", "label", "id", "expr",
    "field", "segment", "job", "revoke_tokens", "ansira_behaviour", "audience_empty", "job_status", "scopes",
    "token_ttl_s", "events", "users", "omitted_reasons", "batch_size", "missing_email", "quantifier",
})
SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=12)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5),
                    max_leaves=25)
QUICKSTART = loader.render(ROOT / "scenarios" / "quickstart.jsonnet")


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        out += [p for k, v in value.items() for p in _paths(v, (*prefix, k))]
    elif isinstance(value, list):
        out += [p for i, v in enumerate(value) for p in _paths(v, (*prefix, i))]
    return out


PATHS = [p for p in _paths(QUICKSTART) if p]
_counter = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz") / "scenarios"
    root.mkdir()
    return root


def write(folder: Path, data: bytes) -> Path:
    path = folder / f"case{next(_counter)}.jsonnet"
    path.write_bytes(data)
    return path


def load_is_total(path: Path) -> m.Scenario | None:
    try:
        return engine.load(path)
    except ScenarioError as exc:
        assert str(path) in str(exc) and exc.message.strip(), str(exc)
        return None


@SETTINGS
@given(st.text(max_size=200))
def test_any_text_renders_or_raises_scenario_error(folder: Path, text: str) -> None:
    path = write(folder, text.encode("utf-8", "surrogatepass"))
    try:
        doc = loader.render(path)
    except ScenarioError as exc:
        assert str(path) in str(exc)
        return
    assert isinstance(doc, dict)


@SETTINGS
@given(st.binary(max_size=120))
def test_any_bytes_load_or_raise_scenario_error(folder: Path, data: bytes) -> None:
    load_is_total(write(folder, data))


@SETTINGS
@given(st.dictionaries(st.sampled_from(KEYS), JSON, max_size=8))
def test_any_json_document_loads_or_raises_scenario_error(folder: Path, doc: dict[str, Any]) -> None:
    load_is_total(write(folder, json.dumps(doc).encode()))


@SETTINGS
@given(st.sampled_from(PATHS), JSON)
def test_quickstart_with_one_value_replaced_loads_or_raises_scenario_error(folder: Path, path: tuple[Any, ...],
                                                                           value: Any) -> None:
    doc = json.loads(json.dumps(QUICKSTART))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    load_is_total(write(folder, json.dumps(doc).encode()))


UNCHECKED = b'{"name": "x", "allow_no_checks": true, '  # so the error under test is the one reported


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (b"\xff\xfe{", "not UTF-8 text (byte 0)"),
        (b"{ name: \"x\x00\" }", "NUL character at offset 10"),
        (UNCHECKED + b'"ansira": {"clients": "abc"}}', "ansira.clients: Input should be a valid list"),
        (UNCHECKED + b'"ansira": {"clients": ["abc"]}}', "ansira.clients[0]"),
        (UNCHECKED + b'"ansira": {"clients": [{"client_id": "a", "client_secret": 12345678}]}}',
         "client_secret: Input should be a valid string"),
        (UNCHECKED + b'"runner": {"typo": 1}}', "runner: unknown key(s) typo"),
        (UNCHECKED + b'"runner": {"request_timeout_s": "1"}}', "request_timeout_s: expected a number"),
        (UNCHECKED + b'"runner": {"scan_page_size": 0}}', "scan_page_size: expected an integer >= 1"),
        (UNCHECKED + b'"runner": {"dry_run": 1}}', "dry_run: expected true or false"),
    ],
    ids=["not-utf8", "nul", "clients-not-a-list", "client-not-an-object", "secret-not-a-string", "runner-typo",
         "runner-wrong-type", "runner-out-of-range", "runner-bool"],
)
def test_found_by_fuzzing(folder: Path, text: bytes, needle: str) -> None:
    """Inputs that once escaped as AttributeError/TypeError/UnicodeDecodeError, or passed `harness check`."""
    path = write(folder, text)
    with pytest.raises(ScenarioError) as info:
        engine.load(path)
    assert needle in str(info.value)


def test_every_runner_option_is_validated() -> None:
    from dataclasses import fields

    from harness.runner import RunnerOptions
    from harness.runner.options import _LIST_OPTIONS, _OPTION_RULES

    assert {f.name for f in fields(RunnerOptions)} == set(_OPTION_RULES) | _LIST_OPTIONS
    for bad in ("ci-host", ["ok", ""], [3]):  # a bare string is not a list of hosts
        with pytest.raises(ValueError, match="allow_http_hosts: expected a list of host names"):
            RunnerOptions(allow_http_hosts=bad)  # type: ignore[arg-type]
