"""enrich_templates stands alone: it renders (in threads and in its isolation child) with no harness or mock loaded,
its errors share one root, and the old `harness.templates` / `harness.errors` names are the same objects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import enrich_templates
from enrich_templates import errors
from enrich_templates.isolate import IsolatedRenderer

ROOT = Path(__file__).resolve().parents[2]
OURS = ("harness", "mock_lytics", "mock_ansira")
TEMPLATE = "local e = import 'lytemplates.libsonnet';\n{email: e.get('email')}"


def test_the_engine_renders_with_harness_and_the_mocks_unimportable() -> None:
    code = textwrap.dedent(f"""
        import json, sys
        for name in {OURS!r}:
            sys.modules[name] = None  # any import of it now raises ImportError
        import enrich_templates
        out = {{}}
        for isolation in ("thread", "process"):
            with enrich_templates.TemplateEngine(isolation=isolation) as engine:
                out[isolation] = engine.render({TEMPLATE!r}, {{"email": "a@b.c"}}).value
                try:
                    engine.render("assert false : 'no email'; {{}}", {{}})
                except enrich_templates.TemplateAssertionFailed as exc:
                    out[isolation + "-assert"] = exc.message
        out["loaded"] = sorted(m for m in sys.modules if m.split(".")[0] in {OURS!r} and sys.modules[m] is not None)
        print(json.dumps(out))
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out == {"thread": {"email": "a@b.c"}, "process": {"email": "a@b.c"}, "thread-assert": "no email",
                   "process-assert": "no email", "loaded": []}


def test_the_isolation_child_loads_no_harness_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The child imports only what it is handed by name: a probe handler lists what it has loaded."""
    (tmp_path / "walls_probe.py").write_text(textwrap.dedent(f"""
        import sys

        def loaded(req, max_output_bytes):
            return {{"loaded": sorted(m for m in sys.modules if m.split(".")[0] in {OURS!r})}}
    """), encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(tmp_path), os.environ.get("PYTHONPATH")) if p))
    child = IsolatedRenderer(max_stack=500, timeout_s=60, memory_limit_mb=512, handlers={"probe": "walls_probe:loaded"})
    try:
        rendered = child.evaluate(TEMPLATE, {"email": "a@b.c"}, None, None, "t.jsonnet", False)
        assert rendered.kind is None and json.loads(rendered.text or "null") == {"email": "a@b.c"}
        answer, kind, why = child.ask(b'{"op": "probe"}\n', 60)
        assert answer == {"loaded": []}, (kind, why)
    finally:
        child.close()


def test_unusable_inputs_are_template_errors_with_their_own_class() -> None:
    with pytest.raises(errors.TemplateInputError, match="entity must be a JSON object") as exc:
        enrich_templates.TemplateEngine().render(TEMPLATE, ["email"])  # type: ignore[arg-type]
    assert isinstance(exc.value, errors.TemplateError)
    for cls in (errors.TemplateInputError, errors.TemplateAssertionFailed, errors.TemplateEvalError,
                errors.TemplateImportRefused, errors.TemplateTimeout):
        assert issubclass(cls, errors.TemplateError)
    assert errors.TemplateError.__mro__[1] is Exception  # its own root, not the harness's


def test_the_old_import_paths_are_the_same_objects() -> None:
    import harness.errors
    import harness.jsonnet_guard
    import harness.templates
    from enrich_templates import jsonnet_guard

    renamed = {"Outcome": "Evaluation"}  # the engine's name for one evaluation's result since the runner owns "Outcome"
    for name in harness.templates.__all__:
        assert getattr(harness.templates, name) is getattr(enrich_templates, renamed.get(name, name)), name
    for name in ("TemplateError", "TemplateInputError", "TemplateAssertionFailed", "TemplateEvalError",
                 "TemplateImportRefused", "TemplateTimeout"):
        assert getattr(harness.errors, name) is getattr(errors, name), name
    for name in harness.jsonnet_guard.__all__:
        assert getattr(harness.jsonnet_guard, name) is getattr(jsonnet_guard, name), name


@pytest.mark.parametrize(("error", "code"), [(errors.TemplateInputError("entity must be a JSON object"), 2),
                                             (errors.TemplateEvalError("boom", filename="t.jsonnet"), 1)])
def test_the_cli_maps_an_escaping_template_error_to_its_exit_code(
        error: Exception, code: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Template errors are no HarnessError any more; `harness` still exits 2 for bad input and 1 for a fault."""
    import harness.templates.cli
    from harness.cli import main

    def fail(args: object) -> int:
        raise error

    monkeypatch.setattr(harness.templates.cli, "cmd_render", fail)
    assert main(["template", "render", "t.jsonnet", "--profile", "p.json"]) == code
    assert str(error) in capsys.readouterr().err
