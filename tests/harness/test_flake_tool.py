"""The flake budget tool (tests/flake.py): what counts as a flip, the JUnit reading and the docs block."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("flake", Path(__file__).resolve().parents[1] / "flake.py")
assert spec is not None and spec.loader is not None
flake = importlib.util.module_from_spec(spec)
spec.loader.exec_module(flake)


@pytest.mark.parametrize(("seen", "said", "runs", "expected"), [
    ({"a": [True, True, True]}, {}, 3, []),
    ({"a": [True, False, True]}, {"a": ["boom"]}, 3, [("a: failed 1 of 3", "boom")]),
    ({"a": [False, False]}, {"a": ["one", "two"]}, 2, [("a: failed 2 of 2", "one")]),  # a steady failure too
    ({"a": [True, True]}, {}, 3, [("a: failed 1 of 3", "missing from a run")]),  # e.g. the scenario did not run
    ({"b": [True], "  a": [False]}, {"  a": ["x"]}, 1, [("a: failed 1 of 1", "x")]),
])
def test_flips(seen: dict[str, list[bool]], said: dict[str, list[str]], runs: int,
               expected: list[tuple[str, str]]) -> None:
    assert flake.flips(seen, said, runs) == expected


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_suite_run_reads_each_test_verdict(tmp_path: Path, workers: list[str]) -> None:
    tests = tmp_path / "t"
    tests.mkdir()
    (tests / "test_x.py").write_text(
        "import pytest\n"
        "def test_ok():\n    assert True\n"
        "def test_bad():\n    assert 1 == 2\n"
        "@pytest.mark.skip(reason='x')\ndef test_skipped():\n    pass\n")
    out = tmp_path / "out"
    out.mkdir()
    verdicts = flake.suite_run(out, [*workers, str(tests)])
    assert {k.rsplit("::", 1)[1]: ok for k, (ok, _) in verdicts.items()} == {"test_ok": True, "test_bad": False}
    why = next(why for k, (ok, why) in verdicts.items() if not ok)
    assert "assert 1 == 2" in why  # the failure explains itself after the run's files are gone


def test_record_rewrites_only_its_block(tmp_path: Path) -> None:
    doc = tmp_path / "r.md"
    doc.write_text(f"intro\n{flake.BEGIN}\nold\n{flake.END}\noutro\n")
    flake.record(doc, "new result")
    assert doc.read_text() == f"intro\n{flake.BEGIN}\nnew result\n{flake.END}\noutro\n"
    bare = tmp_path / "bare.md"
    bare.write_text("no block\n")
    with pytest.raises(SystemExit, match="no <!-- FLAKE:BEGIN -->"):
        flake.record(bare, "x")
    assert bare.read_text() == "no block\n"
