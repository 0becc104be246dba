"""Which files a folder run treats as scenarios (harness run DIR, pytest DIR)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.scenario import discovery


@pytest.mark.parametrize(
    ("file", "root", "expected"),
    [
        ("s/quickstart.jsonnet", "s", True),
        ("s/faults/a.jsonnet", "s", True),
        ("s/faults/full/a.jsonnet", "s", False),
        ("s/faults/full/a.jsonnet", "s/faults/full", True),
        ("s/faults/full/a.jsonnet", "s/faults/full/a.jsonnet", True),
        ("s/load/smoke.jsonnet", "s", False),
        ("s/load/smoke.jsonnet", "s/load", True),
        ("s/lib/ansira.libsonnet", "s", False),
        ("s/lib/x.jsonnet", "s", False),
        ("s/templates/t.jsonnet", "s", False),
        ("s/faults/lib/f.jsonnet", "s/faults", False),
        ("elsewhere/a.jsonnet", "s", False),
    ],
)
def test_is_scenario(file: str, root: str, expected: bool) -> None:
    assert discovery.is_scenario(Path(file), Path(root)) is expected


def test_walk_and_named_root(tmp_path: Path) -> None:
    for rel in ("a.jsonnet", "faults/b.jsonnet", "faults/full/c.jsonnet", "load/d.jsonnet", "lib/e.jsonnet"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    assert [p.relative_to(tmp_path).as_posix() for p in discovery.walk(tmp_path)] == ["a.jsonnet", "faults/b.jsonnet"]
    c = tmp_path / "faults/full/c.jsonnet"
    assert discovery.named_root(c, [tmp_path, tmp_path / "faults"]) == (tmp_path / "faults").resolve()
    assert discovery.named_root(c, [tmp_path / "load"]) is None
