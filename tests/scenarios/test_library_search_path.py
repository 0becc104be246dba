"""`import 'enrichsim/...'` works from a scenario in any folder; local files win; nothing escapes (issue #14 item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.scenario import library, loader

ROOT = Path(__file__).resolve().parents[2]


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_scenario_outside_the_repo_imports_the_library_and_its_templates(tmp_path: Path) -> None:
    f = _write(tmp_path / "proj" / "scenarios", "mine.jsonnet",
               "local a = import 'enrichsim/ansira.libsonnet';\nlocal v = import 'enrichsim/variants.libsonnet';\n"
               "a.base { name: 'mine', audience: v.audience,\n"
               "  seed_template: importstr 'enrichsim/templates/ansira_seed.jsonnet' }")
    doc = loader.render(f)
    assert doc["name"] == "mine"
    assert doc["audience"] == "ansira_enrichment_source"  # variants.libsonnet imported ansira.libsonnet beside it
    assert doc["lytics"]["templates"][0]["name"] == "ansira_temp"
    assert doc["seed_template"] == (ROOT / "scenarios/templates/ansira_seed.jsonnet").read_text(encoding="utf-8")


def test_the_library_renders_the_same_document_as_the_repo_import(tmp_path: Path) -> None:
    body = "a.base { name: 'same', checks: [a.checks.all_enriched] }"
    via_lib = _write(tmp_path, "lib_import.jsonnet", "local a = import 'enrichsim/ansira.libsonnet';\n" + body)
    via_repo = _write(ROOT / "scenarios", ".tmp_test_repo_import.jsonnet",
                      "local a = import 'lib/ansira.libsonnet';\n" + body)
    try:
        assert loader.render(via_lib) == loader.render(via_repo)
    finally:
        via_repo.unlink()


def test_a_local_file_of_the_same_name_wins_over_the_library(tmp_path: Path) -> None:
    _write(tmp_path / "scenarios" / "enrichsim", "ansira.libsonnet", "{ mine: true }")
    f = _write(tmp_path / "scenarios", "s.jsonnet", "(import 'enrichsim/ansira.libsonnet') { name: 'x' }")
    assert loader.render(f) == {"mine": True, "name": "x"}


def test_local_imports_keep_working_beside_library_imports(tmp_path: Path) -> None:
    _write(tmp_path / "scenarios" / "lib", "extra.libsonnet", "{ count: 7 }")
    f = _write(tmp_path / "scenarios", "s.jsonnet",
               "local a = import 'enrichsim/ansira.libsonnet';\nlocal e = import 'lib/extra.libsonnet';\n"
               "a.base { name: 'x', profiles+: { generate: { count: e.count } } }")
    assert loader.render(f)["profiles"]["generate"]["count"] == 7


@pytest.mark.parametrize("rel", ["enrichsim/../../../../etc/hostname", "enrichsim/../lib/ansira.libsonnet",
                                 "/etc/hostname"])
def test_a_library_import_never_leaves_the_library(tmp_path: Path, rel: str) -> None:
    f = _write(tmp_path / "scenarios", "s.jsonnet", f"(import '{rel}') {{ name: 'x' }}")
    with pytest.raises(ScenarioError) as exc:
        loader.render(f)
    assert "refused" in str(exc.value) or "no such file" in str(exc.value)
    assert library.resolve(rel) is None


def test_a_misspelt_library_name_is_named_with_the_fix(tmp_path: Path) -> None:
    f = _write(tmp_path / "scenarios", "s.jsonnet", "(import 'enrichsim/ansirra.libsonnet') { name: 'x' }")
    with pytest.raises(ScenarioError) as exc:
        loader.render(f)
    text = str(exc.value)
    assert "s.jsonnet:1:2" in text and "packaged library" in text
    assert "did you mean 'enrichsim/ansira.libsonnet'?" in text


def test_the_library_names_cover_the_repo_sources() -> None:
    expected = {f"enrichsim/{p.name}" for p in (ROOT / "scenarios/lib").glob("*.libsonnet")}
    expected |= {f"enrichsim/templates/{p.name}" for p in (ROOT / "scenarios/templates").iterdir()
                 if p.suffix in library.SUFFIXES}
    assert set(library.names()) == expected
    assert {"enrichsim/ansira.libsonnet", "enrichsim/templates/ansira_seed.jsonnet"} <= expected
