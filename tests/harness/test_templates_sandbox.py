"""The sandbox: only lytemplates.libsonnet may be imported, and runaway evaluations are bounded."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrich_templates import TemplateEngine, TemplateEvalError, TemplateImportRefused, TemplateTimeout
from enrich_templates import engine as engine_mod
from enrich_templates.scan import scan

SEED = "local event = import 'lytemplates.libsonnet';\n{email: event.get('email', '')}"
RECURSION = "local f(n) = f(n + 1); f(0)"
# CPU-bound with bounded memory: each takes well over a second on any machine.
SLOW_LOOP = "std.foldl(function(acc, x) acc + x, std.range(1, 600000), 0)"
# Ten billion additions over ranges rebuilt on every step: never finishes, and memory stays flat.
HUGE_RANGE = (
    "std.foldl(function(a, i) a + std.foldl(function(b, j) b + j, std.range(1, 10000), 0),"
    " std.range(1, 1000000), 0)"
)


@pytest.fixture(scope="module")
def engine() -> TemplateEngine:
    return TemplateEngine()


@pytest.fixture
def isolated() -> Iterator[TemplateEngine]:
    with TemplateEngine(isolation="process", timeout_s=1.0, memory_limit_mb=768) as eng:
        yield eng


@pytest.mark.parametrize(
    ("source", "path", "line", "col"),
    [
        ("local p = import '/etc/passwd';\n{a: p}", "/etc/passwd", 1, 11),
        ('{\n  a: importstr "../pyproject.toml",\n}', "../pyproject.toml", 2, 6),
        ("local b = importbin '/bin/sh'; b", "/bin/sh", 1, 11),
        ("import 'https://example.com/x.libsonnet'", "https://example.com/x.libsonnet", 1, 1),
        ("local x = import 'lytemplates_extra.libsonnet'; x", "lytemplates_extra.libsonnet", 1, 11),
        ("importstr 'lytemplates.libsonnet'", "lytemplates.libsonnet", 1, 1),
        ("local unused = import '/etc/passwd';\n{}", "/etc/passwd", 1, 16),
        ("local p = import @'/etc/passwd'; p", "/etc/passwd", 1, 11),
    ],
    ids=[
        "absolute",
        "parent-importstr",
        "importbin",
        "url",
        "other-libsonnet",
        "importstr-of-library",
        "unused-import",
        "verbatim-string",
    ],
)
def test_forbidden_imports_are_refused(
    engine: TemplateEngine, source: str, path: str, line: int, col: int
) -> None:
    with pytest.raises(TemplateImportRefused) as err:
        engine.render(source, {})
    assert repr(path) in err.value.message and "lytemplates.libsonnet" in err.value.message
    assert (err.value.line, err.value.col) == (line, col)
    with pytest.raises(TemplateImportRefused):
        engine.compile_check(source)


@pytest.mark.parametrize(
    "source",
    [
        "// import '/etc/passwd'\n{a: 1}",
        "/* importstr '/etc/passwd' */ {a: 1}",
        "# import '/etc/passwd'\n{a: 1}",
        "{a: \"import '/etc/passwd'\"}",
        "{a: |||\n  import '/etc/passwd'\n|||}",
        "{import_: 1, a: 'importstr'}",
    ],
    ids=["line-comment", "block-comment", "hash-comment", "inside-string", "inside-text-block", "lookalikes"],
)
def test_import_words_outside_code_are_not_imports(engine: TemplateEngine, source: str) -> None:
    engine.render(source, {})


def test_runtime_backstop_refuses_what_the_static_scan_missed(
    engine: TemplateEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_mod, "refused_import", lambda source, filename: None)
    with pytest.raises(TemplateImportRefused, match="'/etc/passwd' refused"):
        engine.render("local p = importstr '/etc/passwd'; {a: p}", {})  # importstr would have succeeded
    with pytest.raises(TemplateImportRefused, match=r"'\.\./pyproject\.toml' refused"):
        engine.render("(import '../pyproject.toml').x", {})


def test_a_failing_importer_is_an_error_outcome_not_an_exception_across_the_binding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug in the importer must not raise through gojsonnet (it garbles the text): guard_import records it."""

    class Broken:
        members = ext_vars = frozenset()

        @property
        def source(self) -> bytes:
            raise OSError("library unreadable")

    monkeypatch.setattr(engine_mod.library, "served_for", lambda names, trace=False: Broken())
    out = TemplateEngine().evaluate(SEED, {"email": "a@b.co"})
    assert out.kind == "eval"
    assert out.message == "internal error in the template engine: the importer failed: OSError: library unreadable"


def test_scan_decodes_escapes_in_import_paths() -> None:
    refs = scan('import \'\\u002fetc\\u002fpasswd\' + importstr "a\\"b"').imports
    assert [(r.keyword, r.path) for r in refs] == [("import", "/etc/passwd"), ("importstr", 'a"b')]


def test_infinite_recursion_hits_the_stack_bound(engine: TemplateEngine) -> None:
    with pytest.raises(TemplateEvalError, match="max stack frames exceeded"):
        engine.render(RECURSION, {})


def test_thread_engine_stops_waiting_for_a_runaway_loop() -> None:
    eng = TemplateEngine(timeout_s=0.05, max_runaway=1)
    with pytest.raises(TemplateTimeout, match=r"did not finish within 0\.05s"):
        eng.render(SLOW_LOOP, {})
    # Go cannot be interrupted: the evaluation runs on, and the cap refuses to stack up another one.
    assert eng.runaway == 1
    with pytest.raises(TemplateTimeout, match="still running past their time limit"):
        eng.render(SEED, {"email": "a@b.com"})
    assert eng.wait_runaway(timeout=60)
    assert eng.runaway == 0
    assert eng.render(SEED, {"email": "a@b.com"}).value == {"email": "a@b.com"}


def test_process_engine_kills_a_huge_range_loop(isolated: TemplateEngine) -> None:
    assert isolated.render(SEED, {"email": "a@b.com"}).value == {"email": "a@b.com"}
    child = psutil.Process(isolated._child.pid)
    with pytest.raises(TemplateTimeout, match=r"did not finish within 1s \(process killed\)"):
        isolated.render(HUGE_RANGE, {})
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    # The next call gets a fresh child.
    assert isolated.render(SEED, {"email": "c@d.com"}).value == {"email": "c@d.com"}
    assert isolated._child.pid != child.pid


def test_process_engine_survives_a_memory_bomb(isolated: TemplateEngine) -> None:
    with pytest.raises(TemplateEvalError, match="ran out of memory"):
        isolated.render("std.length(std.range(1, 1000000000))", {})
    assert isolated.render(SEED, {"email": "a@b.com"}).value == {"email": "a@b.com"}


def test_process_engine_matches_the_thread_engine(isolated: TemplateEngine, engine: TemplateEngine) -> None:
    cases = [
        ("local e = import 'lytemplates.libsonnet';\nassert e.has('x') : 'need x';\n{}", {}),
        ("local e = import 'lytemplates.libsonnet';\n{a: std.length(e.get('zip'))}", {}),
        ("local p = import '/etc/passwd'; p", {}),
        (SEED, {"email": "a@b.com"}),
        (RECURSION, {}),
    ]
    for source, entity in cases:
        here = engine.evaluate(source, entity, trace=True)
        there = isolated.evaluate(source, entity, trace=True)
        assert (there.kind, there.message, there.line, there.col, there.text, there.fields_read) == (
            here.kind,
            here.message,
            here.line,
            here.col,
            here.text,
            here.fields_read,
        )


def test_dropped_process_engine_leaves_no_child() -> None:
    import gc

    eng = TemplateEngine(isolation="process", timeout_s=5.0)
    assert eng.render(SEED, {"email": "a@b.com"}).value == {"email": "a@b.com"}
    child = psutil.Process(eng._child.pid)
    del eng
    gc.collect()
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_scan_never_raises(text: str) -> None:
    scan.__wrapped__(text)  # bypass the cache: every example is scanned for real


@settings(max_examples=200, deadline=None)
@given(
    path=st.text(min_size=1, max_size=40).filter(lambda p: "\n" not in p),
    keyword=st.sampled_from(["import", "importstr", "importbin"]),
    prefix=st.sampled_from(["", "local x = 1;\n", "// import 'decoy'\n", "{a: 'import \"decoy\"'} + "]),
)
def test_scan_finds_any_literal_import_path(path: str, keyword: str, prefix: str) -> None:
    source = f"{prefix}{keyword} {json.dumps(path)}"
    refs = scan.__wrapped__(source).imports
    assert [(r.keyword, r.path) for r in refs] == [(keyword, path)]
