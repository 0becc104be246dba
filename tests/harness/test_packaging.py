"""What an installed enrichsim says about itself: version, console scripts, licence."""

from __future__ import annotations

import importlib.metadata as md
import subprocess
import sys

import pytest

import harness
from harness.cli import main


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip().endswith(f"(enrichsim) {harness.__version__}")


def test_installed_metadata_matches_the_package() -> None:
    dist = md.distribution("enrichsim")
    assert dist.version == harness.__version__
    scripts = {ep.name: ep.value for ep in dist.entry_points if ep.group == "console_scripts"}
    assert scripts == {"enrichsim": "harness.cli:main", "harness": "harness.cli:main"}
    assert dist.metadata["License-Expression"] == "MIT"


def test_module_entry_point_reports_the_version() -> None:
    proc = subprocess.run([sys.executable, "-m", "harness", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert harness.__version__ in proc.stdout
