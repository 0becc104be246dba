"""Build hook: copy the jsonnet library from scenarios/ into the wheel (harness/_library/enrichsim/).

scenarios/ stays the one source; the copy is made at build time, never by hand. All other metadata lives in
pyproject.toml. An editable install skips the copy: harness.scenario.library reads scenarios/ directly then.
"""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithLibrary(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        library = runpy.run_path(str(HERE / "harness" / "scenario" / "library.py"))
        target = Path(self.build_lib) / "harness" / "_library"
        shutil.rmtree(target, ignore_errors=True)  # a file removed from scenarios/ must leave the wheel too
        for name, src in library["files_to_package"](HERE).items():
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)


setup(cmdclass={"build_py": BuildPyWithLibrary})
