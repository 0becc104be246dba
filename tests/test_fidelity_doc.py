"""docs/fidelity.md stays honest: every row marked "same" names at least one test, and every named test exists."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "fidelity.md").read_text(encoding="utf-8")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")
VERDICTS = ("same", "deliberate", "not simulated", "choice")


def rows() -> list[list[str]]:
    """Table rows of the audit (the header and separator rows excluded)."""
    out = []
    for line in DOC.splitlines():
        if line.startswith("| ") and re.match(r"\| [A-Z]\d+ \|", line):
            out.append([c.strip() for c in line.strip().strip("|").split(" | ")])
    return out


@cache
def defined_tests(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return frozenset(n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test_"))


def test_the_table_has_rows_with_six_cells() -> None:
    assert len(rows()) > 60
    bad = [r[0] for r in rows() if len(r) != 6]
    assert not bad, f"rows without exactly 6 cells: {bad}"


@pytest.mark.parametrize("row", rows(), ids=lambda r: r[0])
def test_row_has_a_known_verdict_and_same_rows_name_real_tests(row: list[str]) -> None:
    rid, _doc, _source, _here, verdict, tests = row
    assert verdict.startswith(VERDICTS), f"{rid}: verdict {verdict!r} is not one of {VERDICTS}"
    refs = TEST_REF.findall(tests)
    if verdict.startswith("same"):
        assert refs, f"{rid} is marked same but names no test"
    for path, name in refs:
        assert (ROOT / path).is_file(), f"{rid}: {path} does not exist"
        assert name in defined_tests(path), f"{rid}: {path} has no test {name}"
