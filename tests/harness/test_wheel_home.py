"""Take it home (issue #14 "done when"): the wheel, installed into a fresh venv, works from an empty folder.

The wheel is built offline from this checkout; the fresh venv sees the dependencies already installed in this
checkout's venv through a .pth line (no index, no download), and enrichsim itself only from the wheel.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from harness.init_project import FILES
from harness.scenario import library

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{shlex.join(cmd)} in {cwd} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def _clean_env(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTEST_ADDOPTS", None)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv holding the wheel built from this checkout; yields its bin folder."""
    base = tmp_path_factory.mktemp("home")
    wheels, src = base / "wheels", base / "src"
    # a clean copy: no stale build/ output can reach the wheel, and the checkout gets no build/ of its own
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "build", "out", "*.egg-info",
                                                             "__pycache__", ".*_cache", ".benchmarks"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", str(wheels), str(src)], cwd=base, env=_clean_env(Path(sys.executable).parent), timeout=300)
    (wheel,) = wheels.glob("enrichsim-*.whl")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=base,
                     env=_clean_env(env_dir / "bin")).stdout.strip())
    (site / "_enrichsim_test_deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "-q",
          "--find-links", str(wheels), str(wheel)], cwd=base, env=_clean_env(env_dir / "bin"))
    yield env_dir / "bin"


def test_the_wheel_works_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    env = _clean_env(installed)
    version = _run(["enrichsim", "--version"], cwd=tmp_path, env=env).stdout
    assert "(enrichsim)" in version
    where = _run([str(installed / "python"), "-c", "import harness; print(harness.__file__)"],
                 cwd=tmp_path, env=env).stdout.strip()
    assert Path(where).is_relative_to(installed.parent), f"harness imported from {where}, not from the wheel"

    _run(["enrichsim", "init", "demo"], cwd=tmp_path, env=env)
    demo = tmp_path / "demo"
    assert sorted(str(p.relative_to(demo)) for p in demo.rglob("*") if p.is_file()) == sorted(FILES)
    run = _run(["enrichsim", "run"], cwd=demo, env=env)
    assert "PASS quickstart" in run.stdout and "1 passed, 0 failed" in run.stdout
    tests = _run([str(installed / "python"), "-m", "pytest", "-q"], cwd=demo, env=env)
    assert "3 passed" in tests.stdout  # the quickstart scenario and the two example tests


def test_the_packaged_library_equals_the_repo_sources(installed: Path) -> None:
    site = Path(_run([str(installed / "python"), "-c", "import harness, os; print(os.path.dirname(harness.__file__))"],
                     cwd=installed, env=_clean_env(installed)).stdout.strip())
    packaged = site / "_library"
    got = {str(p.relative_to(packaged)): p.read_bytes() for p in packaged.rglob("*") if p.is_file()}
    expected = {name: src.read_bytes() for name, src in library.files_to_package(ROOT).items()}
    assert "enrichsim/ansira.libsonnet" in expected and "enrichsim/templates/ansira_seed.jsonnet" in expected
    assert got == expected


def test_each_import_name_belongs_to_enrichsim_alone(installed: Path) -> None:
    code = ("import importlib.metadata as md, json; d = md.packages_distributions(); "
            "print(json.dumps({n: sorted(set(d.get(n, []))) for n in "
            "('enrich_templates', 'harness', 'mock_ansira', 'mock_lytics')}))")
    out = _run([str(installed / "python"), "-c", code], cwd=installed, env=_clean_env(installed)).stdout
    assert yaml.safe_load(out) == {"enrich_templates": ["enrichsim"], "harness": ["enrichsim"],
                                   "mock_ansira": ["enrichsim"], "mock_lytics": ["enrichsim"]}


def test_the_template_engine_ships_with_its_library(installed: Path) -> None:
    """enrich_templates is in the wheel with lytemplates.libsonnet, and its isolation child starts from there."""
    code = ("import enrich_templates, sys; from enrich_templates import library; "
            "e = enrich_templates.TemplateEngine(isolation='process'); "
            "print(enrich_templates.__file__); print(library.full_source() == library.resources.files("
            "'enrich_templates').joinpath('lytemplates.libsonnet').read_text(encoding='utf-8')); "
            "print(e.render(\"(import 'lytemplates.libsonnet').get('email')\", {'email': 'a@b.c'}).text); e.close()")
    out = _run([str(installed / "python"), "-c", code], cwd=installed, env=_clean_env(installed)).stdout.split("\n")
    assert Path(out[0]).is_relative_to(installed.parent), f"enrich_templates imported from {out[0]}, not the wheel"
    assert out[1] == "True" and out[2] == '"a@b.c"'
    lib = (ROOT / "enrich_templates" / "lytemplates.libsonnet").read_bytes()
    assert (Path(out[0]).parent / "lytemplates.libsonnet").read_bytes() == lib


def test_the_ci_files_run_what_a_project_needs(tmp_path: Path) -> None:
    """The GitLab job's script, run here (less the install), writes the JUnit files both CI files publish."""
    from harness.init_project import scaffold

    scaffold(tmp_path)
    gitlab = yaml.safe_load((tmp_path / ".gitlab-ci.yml").read_text(encoding="utf-8"))["enrichsim"]
    github = yaml.safe_load((tmp_path / ".github/workflows/enrichsim.yml").read_text(encoding="utf-8"))
    gh_runs = [s["run"] for s in github["jobs"]["scenarios"]["steps"] if "run" in s]
    assert gh_runs == gitlab["script"]  # one set of commands in both CI files
    env = _clean_env(Path(sys.executable).parent)
    for line in gitlab["script"]:
        if line.startswith("pip install"):
            continue
        cmd = shlex.split(line)
        if cmd[0] == "pytest":
            cmd = [sys.executable, "-m", *cmd]
        _run(cmd, cwd=tmp_path, env=env)
    for junit in gitlab["artifacts"]["reports"]["junit"]:
        text = (tmp_path / junit).read_text(encoding="utf-8")
        assert "<testsuite" in text and 'failures="0"' in text, junit
    published = github["jobs"]["scenarios"]["steps"][-1]["with"]["report_paths"]
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.glob(published)) == sorted(
        gitlab["artifacts"]["reports"]["junit"])
