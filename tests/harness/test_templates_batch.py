"""Batched renders (enrich_templates.batch): the same values as one evaluation per user, or no batch at all."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from enrich_templates import TemplateAssertionFailed, TemplateEngine, TemplateEvalError, TemplateImportRefused
from enrich_templates import batch as batch_mod
from enrich_templates.batch import Coalescer, program
from enrich_templates.payload import lookup_table

ROOT = Path(__file__).resolve().parents[2]
LIB = "local event = import 'lytemplates.libsonnet';\n"
JOB = {"email_field": "work_email", "region": "eu"}
AUTH = {"client_id": "cid", "access_token": "tok-123"}

TEMPLATES = {
    "seed": (ROOT / "scenarios" / "templates" / "ansira_seed.jsonnet").read_text(encoding="utf-8"),
    "guarded": (ROOT / "scenarios" / "templates" / "ansira_guarded.jsonnet").read_text(encoding="utf-8"),
    "url_override": (ROOT / "scenarios" / "templates" / "url_override.jsonnet").read_text(encoding="utf-8"),
    "helpers": LIB + """{
  e: event.get('email', 'none'), has: event.has('first_name'), city: event.get('address.city'),
  cfg: event.profileFieldFromConfig('email_field', 'x'), region: event.jobConfGet('region'),
  tok: event.getOAuth2AccessToken(), enter: event.isEnter(), slug: event.segSlug(),
  sha: event.sha256(event.get('email', '')), n: event.notNull(event.get('age'), -1),
}""",
    "no_library": "{ constant: [1, 2.5, 'x', null, true, {}], nested: { a: [] } }",
    "two_imports_and_quotes": """local a = import "lytemplates.libsonnet";
local b = import @'lytemplates.libsonnet';
// a comment naming import 'lytemplates.libsonnet' stays a comment
{ note: "import 'lytemplates.libsonnet'", email: a.get('email'), again: b.get('email') }""",
    "self_and_dollar": LIB + "{ a: event.get('email'), b: self.a, c: $.a, local x = 1, d: x }",
    "unicode": LIB + "{ name: event.get('first_name', '') + ' \\u00e9\\ud83d\\ude00', n: 1e3 }",
}

ENTITIES: list[dict[str, Any]] = [
    {"email": "a@b.com", "segment_events": []},
    {"email": "b@c.org", "first_name": "Zoë", "work_email": "w@c.org", "age": 31,
     "address": {"city": "Lyon"}, "segment_events": [{"event": "enter", "slug": "src", "id": "s1"}]},
    {"email": None, "segment_events": []},
    {"segment_events": [{"event": "exit", "slug": "x"}]},
]


@pytest.fixture(scope="module")
def engine() -> TemplateEngine:
    return TemplateEngine()


def _batch_values(engine: TemplateEngine, source: str, entities: list[dict[str, Any]]) -> list[Any] | None:
    prog = program(source)
    assert prog is not None, "expected the template to be batchable"
    bound = engine.bind(source, JOB, AUTH)
    ents = [json.dumps(lookup_table(e)) for e in entities]
    values, _cpu, timed_out = Coalescer(max_stack=500, timeout_s=2.0, max_output_bytes=1 << 20).evaluate(
        prog, ents, bound._ext_vars)
    assert not timed_out
    return values


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_a_batch_renders_what_one_evaluation_per_user_renders(engine: TemplateEngine, name: str) -> None:
    source = TEMPLATES[name]
    entities = [e for e in ENTITIES if name != "guarded" or e.get("email")]  # it asserts on the others
    single = [engine.render(source, e, JOB, AUTH).value for e in entities]
    assert _batch_values(engine, source, entities) == single


@pytest.mark.parametrize(("source", "why"), [
    (LIB + "{ e: std.extVar('ly_entity') }", "reads an ext var itself"),
    (LIB + "{ f: std.thisFile }", "names its own file, which a batch renames"),
    (LIB + "local __ly_lib = 1; { a: __ly_lib }", "uses the rewrite's reserved names"),
    ("local x = importstr 'lytemplates.libsonnet'; { x: x }", "importstr"),
    ("local x = import 'other.libsonnet'; { x: x }", "an import the sandbox refuses"),
])
def test_templates_the_rewrite_cannot_prove_equivalent_are_not_batched(source: str, why: str) -> None:
    assert program(source) is None, why


def test_the_sandbox_still_refuses_through_a_bound_template(engine: TemplateEngine) -> None:
    bound = engine.bind("local x = import 'other.libsonnet'; { x: x }", JOB)
    with pytest.raises(TemplateImportRefused):
        bound.value({"email": "a@b.com"})


def test_one_failing_user_fails_the_batch_and_nobody_else(engine: TemplateEngine) -> None:
    source = LIB + "local e = event.get('email'); assert e != null : 'no email'; { email: e }"
    assert _batch_values(engine, source, ENTITIES[:2]) == [{"email": "a@b.com"}, {"email": "b@c.org"}]
    assert _batch_values(engine, source, ENTITIES) is None  # entities 2 and 3 have no email


# The held evaluation lasts until every other thread is queued: a limit far past that, so a loaded machine cannot
# turn the hold into a timeout (which would rightly stop batching).
HELD_LIMIT_S = 60.0


def _held_coalescing(engine: TemplateEngine, source: str, entities: list[dict[str, Any]],
                     monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], Coalescer]:
    """Render `entities` on one thread each while the first evaluation is held until all others wait."""
    real = batch_mod._gojsonnet.evaluate_snippet
    release = threading.Event()
    calls: list[int] = []

    class Held:
        @staticmethod
        def evaluate_snippet(*args: Any, **kwargs: Any) -> str:
            calls.append(1)
            if len(calls) == 1:
                release.wait(10)
            return str(real(*args, **kwargs))

    monkeypatch.setattr(batch_mod, "_gojsonnet", Held)
    bound = engine.bind(source, JOB, AUTH)
    results: list[Any] = [None] * len(entities)

    def one(i: int) -> None:
        try:
            results[i] = bound.value(entities[i])
        except Exception as exc:  # the test compares it with what render() raises
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(entities))]
    threads[0].start()
    coalescer = engine._coalescer
    while not calls:
        threading.Event().wait(0.005)
    for t in threads[1:]:
        t.start()
    while sum(len(q) for q in coalescer._pending.values()) < len(entities) - 1:
        threading.Event().wait(0.005)
    release.set()
    for t in threads:
        t.join(10)
    return results, coalescer


def test_renders_waiting_together_are_one_evaluation_and_each_gets_its_own_user(
        monkeypatch: pytest.MonkeyPatch) -> None:
    engine = TemplateEngine(timeout_s=HELD_LIMIT_S)
    source = TEMPLATES["helpers"]
    entities = [dict(ENTITIES[1], email=f"user{i}@example.com") for i in range(12)]
    results, coalescer = _held_coalescing(engine, source, entities, monkeypatch)
    assert results == [engine.render(source, e, JOB, AUTH).value for e in entities]
    # the held lone first render, then the eleven that queued behind it in one batch
    assert (coalescer.batches, coalescer.batched, coalescer.fallbacks) == (2, 12, 0)


def test_a_failed_batch_sends_each_user_to_its_own_render(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = TemplateEngine(timeout_s=HELD_LIMIT_S)
    source = LIB + "local e = event.get('email'); assert e != null : 'no email'; { email: e }"
    entities = [{"email": "first@x.io"}, {"email": "a@x.io"}, {"email": None}, {"email": "c@x.io"}]
    results, coalescer = _held_coalescing(engine, source, entities, monkeypatch)
    assert results[:2] == [{"email": "first@x.io"}, {"email": "a@x.io"}]
    assert isinstance(results[2], TemplateAssertionFailed) and results[2].message == "no email"
    assert results[3] == {"email": "c@x.io"}
    assert coalescer.fallbacks == 3


def test_an_oversized_batch_is_decided_user_by_user() -> None:
    engine = TemplateEngine(max_output_bytes=400)
    source = LIB + "{ pad: std.repeat('x', 150), e: event.get('email') }"
    bound = engine.bind(source)
    prog = program(source)
    assert prog is not None
    ents = [json.dumps({"email": f"{i}@x.io"}) for i in range(4)]
    values, _cpu, _t = engine._coalescer.evaluate(prog, ents, bound._ext_vars)
    assert values is None  # ~700 bytes together, over 400
    assert bound.value({"email": "1@x.io"})["e"] == "1@x.io"  # ~180 bytes alone: within the limit
    big = engine.bind(LIB + "{ pad: std.repeat('x', 500) }")
    with pytest.raises(TemplateEvalError, match="over the limit"):
        big.value({"email": "a"})


def test_a_slow_template_is_not_batched_again(engine: TemplateEngine) -> None:
    c = Coalescer(max_stack=500, timeout_s=30.0, max_output_bytes=0)
    slow = LIB + "{ n: std.length([x for x in std.range(1, 20000) if x % 7 == 0]), e: event.get('email') }"
    prog = program(slow)
    assert prog is not None
    for i in range(batch_mod.SLOW_BATCHES):  # one slow batch may be a cold start: it takes several in a row
        ok, value = c.value("k", prog, json.dumps({"email": f"a{i}"}), {})
        assert ok and value == {"n": 2857, "e": f"a{i}"}  # rendered, and measured over SLOW_CPU_S per user
    assert c.value("k", prog, json.dumps({"email": "b"}), {}) == (False, None)  # from now on: on its own


def test_one_slow_batch_among_fast_ones_does_not_stop_batching(monkeypatch: pytest.MonkeyPatch) -> None:
    c = Coalescer(max_stack=500, timeout_s=30.0, max_output_bytes=0)
    prog = program(TEMPLATES["seed"])
    assert prog is not None
    cpu = iter([0.5, 0.0001, 0.5, 0.0001, 0.5, 0.0001])  # a cold start, then slow and fast in turn
    real = c.evaluate
    monkeypatch.setattr(c, "evaluate", lambda *a: (real(*a)[0], next(cpu), False))
    for i in range(6):
        ok, _value = c.value("k", prog, json.dumps({"email": f"{i}@x.io"}), {})
        assert ok, f"batch {i} was refused"


def test_a_batch_that_times_out_stops_batching_that_template() -> None:
    c = Coalescer(max_stack=500, timeout_s=0.05, max_output_bytes=0)
    prog = program("{ n: std.length(std.range(1, 3000000)) }")
    assert prog is not None
    assert c.value("k", prog, "{}", {}) == (False, None)  # timed out: the caller renders it on its own
    assert c.value("k", prog, "{}", {}) == (False, None)  # and is never queued again
    assert c.fallbacks == 1


def test_a_vetted_engine_batches_only_after_the_child_vetted_the_template() -> None:
    engine = TemplateEngine(isolation="vetted")
    bound = engine.bind(TEMPLATES["seed"], JOB)
    assert bound.value({"email": "a@b.com"}) == {"email": "a@b.com", "sourceCode": {"keyName": "XXXXXXXXXXXXX"}}
    assert engine._coalescer.batched == 0  # the first render went to the child
    assert bound.value({"email": "c@d.com"})["email"] == "c@d.com"
    assert engine._coalescer.batched == 1


def test_a_process_isolated_engine_never_batches() -> None:
    with TemplateEngine(isolation="process") as engine:
        bound = engine.bind(TEMPLATES["seed"], JOB)
        assert bound.value({"email": "a@b.com"})["email"] == "a@b.com"
        assert engine._coalescer.batched == 0
