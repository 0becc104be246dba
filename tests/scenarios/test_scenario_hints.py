"""Errors that point at the fix: each kind of broken scenario exits 2 naming the file, the place in it and a hint,
every bad file of a folder is reported, and nothing raises across the gojsonnet boundary (issue #12 items 1, 6)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from enrich_templates.jsonnet_guard import ImportRefused, Refusal, guard_import, guard_native
from harness.cli import main
from harness.errors import ScenarioError
from harness.scenario import engine

ROOT = Path(__file__).resolve().parents[2]
HEAD = "local a = import 'lib/ansira.libsonnet';\n"
OK_CHECKS = "checks: [a.checks.all_enriched]"

# (id, file under scenarios/, body, [file-name, place-in-it, hint...]): the six kinds of the "done when".
BROKEN = [
    ("typo-key", "typo_key.jsonnet", HEAD + f"a.base {{ name: 'x', chekcs: [], {OK_CHECKS} }}",
     ["typo_key.jsonnet", "chekcs: unknown key", "did you mean 'checks'?"]),
    ("wrong-type", "wrong_type.jsonnet",
     HEAD + f"a.base {{ name: 'x', profiles+: {{ generate: {{ count: '500' }} }}, {OK_CHECKS} }}",
     ["wrong_type.jsonnet", "profiles.generate.count:", "found '500'", "write the number without quotes"]),
    ("jsonnet-syntax", "syntax.jsonnet", HEAD + "a.base { name: 'x' ",
     ["syntax.jsonnet:2:", "jsonnet: Expected"]),
    ("unknown-check-kind", "check_kind.jsonnet",
     HEAD + "a.base { name: 'x', checks: [{ kind: 'audience_sise', segment: 's', size: { equals: 0 } }] }",
     ["check_kind.jsonnet", "checks[0].kind: unknown kind 'audience_sise'", "did you mean 'audience_size'?"]),
    ("missing-import", "load/missing_import.jsonnet",
     "local a = import '../lib/ansira.libsonnet';\nlocal v = import '../lib/variant.libsonnet';\n"
     f"a.base + v {{ name: 'x', {OK_CHECKS} }}",
     ["missing_import.jsonnet:2:11", "import '../lib/variant.libsonnet': no such file",
      "did you mean '../lib/variants.libsonnet'?"]),
    ("bad-filterql", "bad_filterql.jsonnet",
     HEAD + "a.base { name: 'x', checks: [{ kind: 'profiles', expect: 'FILTER EXIST ansira_uuid' }] }",
     ["bad_filterql.jsonnet", "checks[0].profiles.expect: FilterQL: line 1, col 14",
      "'EXIST' is not a keyword: did you mean EXISTS?"]),
]


@pytest.fixture
def scenarios(tmp_path: Path) -> Path:
    root = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios" / "lib", root / "lib")
    (root / "load").mkdir()
    return root


def put(root: Path, name: str, body: str) -> Path:
    f = root / name
    f.write_text(body, encoding="utf-8")
    return f


@pytest.mark.parametrize(("name", "body", "needles"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_each_broken_kind_exits_2_with_file_place_and_hint(scenarios: Path, name: str, body: str,
                                                          needles: list[str], capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    f = put(scenarios, name, body)
    assert main(["check", str(f)]) == 2
    captured = capsys.readouterr()
    assert str(f.parent) in captured.err and "Traceback" not in captured.err + captured.out
    for needle in needles:
        assert needle in captured.err, captured.err


def test_check_dir_reports_every_bad_file_and_run_runs_none(scenarios: Path) -> None:
    for _id, name, body, _needles in BROKEN:
        put(scenarios, name, body)
    put(scenarios, "good.jsonnet", HEAD + f"a.base {{ name: 'good', {OK_CHECKS} }}")
    # load/ runs only when named: name it as well, so all six broken files are walked
    check = subprocess.run([sys.executable, "-m", "harness", "check", str(scenarios), str(scenarios / "load")],
                           capture_output=True, text=True, timeout=120, check=False)
    assert check.returncode == 2, check.stderr
    assert "6 of 7 scenario files are invalid" in check.stderr
    assert f"ok {scenarios / 'good.jsonnet'}" in check.stdout
    for _id, _name, _body, needles in BROKEN:
        for needle in needles:
            assert needle in check.stderr, (needle, check.stderr)
    assert "Traceback" not in check.stdout + check.stderr
    run = subprocess.run([sys.executable, "-m", "harness", "run", str(scenarios), str(scenarios / "load")],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 2 and "6 of 7 scenario files are invalid" in run.stderr
    assert "PASS" not in run.stdout and "Traceback" not in run.stdout + run.stderr  # nothing ran


def test_missing_import_is_the_same_clean_error_on_any_thread(scenarios: Path) -> None:
    """The binding used to garble a raised callback error (UnicodeDecodeError), more often off the main thread."""
    f = put(scenarios, "load/missing_import.jsonnet", BROKEN[4][2])

    def attempt(_: int) -> str:
        try:
            engine.load(f)
        except ScenarioError as exc:  # ConfigError: the CLI's exit 2
            return str(exc)
        return "loaded"

    with ThreadPoolExecutor(max_workers=8) as pool:
        messages = list(pool.map(attempt, range(100)))
    assert len(set(messages)) == 1, set(messages)
    assert messages[0].startswith(f"{f}:2:11: import '../lib/variant.libsonnet': no such file")


def test_an_import_in_a_library_file_names_that_file_and_an_importstr_still_fails(scenarios: Path) -> None:
    put(scenarios, "lib/broken.libsonnet", "{\n  x: import 'ansria.libsonnet',\n}\n")
    f = put(scenarios, "uses_lib.jsonnet", "local b = import 'lib/broken.libsonnet';\n{ name: 'x', y: b.x }")
    with pytest.raises(ScenarioError) as info:
        engine.load(f)
    assert str(info.value) == (f"{f}: lib/broken.libsonnet:2:6: import 'ansria.libsonnet': no such file (looked for "
                               f"{scenarios / 'lib' / 'ansria.libsonnet'}); did you mean 'ansira.libsonnet'?")
    # importstr reads the stand-in error file as text, so evaluation succeeds: the record still fails the load
    g = put(scenarios, "text.jsonnet", "{ name: 'x', allow_no_checks: true, y: importstr 'lib/notes.txt' }")
    with pytest.raises(ScenarioError, match=r"text\.jsonnet:1:40: import 'lib/notes\.txt': no such file"):
        engine.load(g)


def test_an_import_outside_the_root_is_refused_without_looking_around_there(scenarios: Path) -> None:
    (scenarios.parent / "secret.libsonnet").write_text("{}")
    f = put(scenarios, "outside.jsonnet", "{ name: 'x', y: import '../secret.libsonet' }")
    with pytest.raises(ScenarioError) as info:
        engine.load(f)
    assert str(info.value) == (f"{f}:1:17: import '../secret.libsonet': refused: scenarios may import only files "
                               f"under {scenarios}")


def test_a_misspelt_folder_is_found_under_the_scenario_root(scenarios: Path) -> None:
    f = put(scenarios, "folder.jsonnet", "local a = import 'lbi/ansira.libsonnet';\na.base { name: 'x' }")
    with pytest.raises(ScenarioError, match=r"did you mean 'lib/ansira\.libsonnet'\?"):
        engine.load(f)


def test_import_guard_records_and_never_raises() -> None:
    refusals: list[Refusal] = []

    def importer(base: str, rel: str) -> tuple[str, bytes]:
        if rel == "refused":
            raise ImportRefused("not here", target="/t")
        raise KeyError(rel)  # a bug in an importer must not cross the binding either

    guarded = guard_import(importer, refusals)
    assert guarded("/b/", "refused") == ("<refused>/refused", b'error "import \'refused\': not here"')
    name, text = guarded("/b/", "boom")
    assert name == "<refused>/boom" and text.startswith(b'error "import \'boom\': the importer failed: KeyError')
    assert refusals[0] == Refusal("/b/", "refused", "not here", "/t")
    assert refusals[1].unexpected and refusals[1].rel == "boom"


def test_native_guard_returns_the_fallback_and_records_why() -> None:
    failures: list[str] = []

    def read(field: str) -> bool:
        raise ValueError(field)

    assert guard_native(read, failures, fallback=True)("email") is True
    assert failures == ["read failed: ValueError: email"]


@pytest.mark.parametrize(
    ("extra", "ok"),
    [("", False), ("allow_no_checks: true", True), ("load: { thresholds: ['lost_users == 0'] }", True),
     ("allow_no_checks: false", False)],
    ids=["none", "allowed", "load-scenario", "explicitly-not-allowed"],
)
def test_a_scenario_with_no_checks_must_say_so(scenarios: Path, extra: str, ok: bool) -> None:
    f = put(scenarios, "unchecked.jsonnet", HEAD + f"a.base {{ name: 'x', {extra} }}")
    if ok:
        assert engine.load(f).checks == []
        return
    with pytest.raises(ScenarioError, match=r"checks: the scenario checks nothing.*allow_no_checks: true"):
        engine.load(f)


@pytest.mark.parametrize(
    ("value", "needle"),
    [("profiles+: { batch_size: '50' }", "profiles.batch_size: Input should be a valid integer; found '50'"),
     ("steps: [{ sleep_s: '1.5' }]", "steps[0].sleep_s: Input should be a valid number; found '1.5'"),
     ("seed: 4.5", "seed: Input should be a valid integer; found 4.5"),
     ("lytics+: { jobs: [a.job() { run_job: 'yes' }] }", "run_job: Input should be a valid boolean; found 'yes' "
      "(write true or false, without quotes)")],
    ids=["int-as-string", "float-as-string", "int-as-float", "bool-as-string"],
)
def test_numbers_and_booleans_are_strict(scenarios: Path, value: str, needle: str) -> None:
    f = put(scenarios, "strict.jsonnet", HEAD + f"a.base {{ name: 'x', {value}, {OK_CHECKS} }}")
    with pytest.raises(ScenarioError) as info:
        engine.load(f)
    assert needle in str(info.value)


def test_an_integer_is_a_number(scenarios: Path) -> None:
    f = put(scenarios, "ints.jsonnet", HEAD + "a.base { name: 'x', steps: [{ sleep_s: 1 }, { wait_until: "
                                             "{ timeout_s: 5 } }], checks: [{ kind: 'duration', seconds: "
                                             "{ max: 30 } }] }")
    sc = engine.load(f)
    assert sc.steps[0].sleep_s == 1.0 and sc.steps[1].wait_until is not None


@pytest.mark.parametrize(
    ("value", "hint"),
    [("steps: [{ wait_untl: {} }]", "steps[0].wait_untl: unknown key (not part of the scenario schema); "
                                     "did you mean 'wait_until'?"),
     ("checks: [{ kind: 'audience_size', segment: 's', size: { equal: 0 } }]",
      "checks[0].audience_size.size.equal: unknown key (not part of the scenario schema); did you mean 'equals'?"),
     ("checks: [{ segment: 's' }]", "checks[0]: give a `kind` (kinds: profiles, audience_size,"),
     ("runner: { max_cals: 3 }", "runner: unknown key(s) max_cals; did you mean 'max_calls'?")],
    ids=["step-operation", "nested-key", "no-kind", "runner-option"],
)
def test_did_you_mean_comes_from_the_schema(scenarios: Path, value: str, hint: str) -> None:
    f = put(scenarios, "hint.jsonnet", HEAD + f"a.base {{ name: 'x', {OK_CHECKS} }} + {{ {value} }}")
    with pytest.raises(ScenarioError) as info:
        engine.load(f)
    assert hint in str(info.value)
