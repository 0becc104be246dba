"""`enrichsim init` writes a project or nothing; `run`/`list` with no paths resolve scenarios/ from the cwd."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import _default_scenarios, main
from harness.init_project import FILES


def test_init_writes_every_file_of_the_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "demo")]) == 0
    demo = tmp_path / "demo"
    for name, text in FILES.items():
        assert (demo / name).read_text(encoding="utf-8") == text
    assert "import 'enrichsim/ansira.libsonnet'" in (demo / "scenarios/quickstart.jsonnet").read_text()
    assert "enrichsim run" in capsys.readouterr().out


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "README.md").write_text("mine\n", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "refusing to overwrite existing files" in err and str(tmp_path / "README.md") in err
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]  # not one file of the project written


def test_init_twice_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path)]) == 0
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert main(["init", str(tmp_path)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_init_on_a_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "f").write_text("x", encoding="utf-8")
    assert main(["init", str(tmp_path / "f")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_no_scenarios_folder_is_named_with_the_way_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for command in ("run", "list"):
        assert main([command]) == 2
        err = capsys.readouterr().err
        assert "no scenarios/ folder" in err and "enrichsim init" in err and str(tmp_path) in err


def test_defaults_resolve_from_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenarios").mkdir()
    assert _default_scenarios() == ["scenarios"]  # a project without a quickstart runs its whole folder
    assert main(["init", "."]) == 0
    capsys.readouterr()
    assert _default_scenarios() == ["scenarios/quickstart.jsonnet"]
    assert main(["list"]) == 0
    assert capsys.readouterr().out.startswith("scenarios/quickstart.jsonnet\tquickstart\t")


def test_every_command_the_project_readme_names_is_one_the_cli_takes() -> None:
    import re
    import shlex

    from harness.cli import build_parser

    readme = FILES["README.md"]
    commands = re.findall(r"`(enrichsim [^`]+)`", readme)
    commands += [line.split("#")[0].strip() for line in readme.splitlines() if line.startswith("    enrichsim ")]
    assert len(commands) >= 6
    for command in commands:
        args = build_parser().parse_args(shlex.split(command)[1:])  # exits 2 (failing the test) on a wrong one
        assert callable(args.func), command
