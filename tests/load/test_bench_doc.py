"""The bench script's output: the figures table and the docs block it swaps in, keeping the analysis around it."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.load import bench
from harness.load.bench import BEGIN, END, Figure, _with, block, machine, table, write_doc

FIGS = [Figure("1", "raw capacity", "993/s", "-", None), Figure("2", "backfill", "235/s", ">= 1,000/s", False),
        Figure("6", "memory", "183 MB", "<= 300 MB", True, {"runner_peak_rss_mb": 183.2}, "100,000 users")]


def test_table_marks_met_and_missed_targets() -> None:
    rows = table(FIGS).splitlines()
    assert rows[0].startswith("| # | figure")
    assert rows[2].endswith("| - |") and "**missed**" in rows[3] and rows[4].endswith("| met |")
    assert "memory (100,000 users)" in rows[4]


def test_write_doc_replaces_only_the_bench_block(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\nintro\n\n{BEGIN}\nold figures\n{END}\n\n## Analysis\nkept\n")
    mach = {"cpu": "X", "cores": 2, "ram_gb": 4.0, "python": "3.11", "platform": "p", "load_avg": [0.5, 0, 0]}
    write_doc(doc, block(FIGS, mach, [0.7, 0, 0], "2026-01-01 00:00", "{}"))
    text = doc.read_text()
    assert "old figures" not in text and "intro" in text and "## Analysis\nkept" in text
    assert text.count(BEGIN) == 1 and "X, 2 cores, 4.0 GB RAM" in text and "before: 0.5, after: 0.7" in text
    assert '"runner_peak_rss_mb": 183.2' in text


def test_write_doc_creates_a_missing_file(tmp_path: Path) -> None:
    doc = tmp_path / "new.md"
    write_doc(doc, f"{BEGIN}\nx\n{END}")
    assert doc.read_text().startswith("# Performance\n\n" + BEGIN)


def test_runner_options_merge_and_machine_facts() -> None:
    assert _with("{}", "max_unlanded: 200") == "{ max_unlanded: 200 }"
    assert _with("{ a: 1 }", "b: 2") == "{ a: 1, b: 2 }"
    m = machine()
    assert m["cores"] and len(m["load_avg"]) == 3 and m["python"].count(".") == 2


@pytest.mark.parametrize(("load", "force", "written", "marked"), [(0.4, False, True, False), (2.5, False, False, False),
                                                                  (2.5, True, True, True)])
def test_a_busy_start_keeps_the_figures_out_of_the_docs_unless_forced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, load: float, force: bool, written: bool,
        marked: bool) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(f"intro\n\n{BEGIN}\nold figures\n{END}\n")
    monkeypatch.setattr(bench.os, "getloadavg", lambda: (load, 0.0, 0.0))
    said: list[str] = []
    argv = ["--only", "", "--doc", str(doc), *(["--force-doc"] if force else [])]
    assert bench.main(argv, out=said.append) == 0
    text = doc.read_text()
    assert ("old figures" not in text) is written
    assert ("Measured on a busy machine: the load average before the run was 2.50" in text) is marked
    if not written:
        assert any(line.startswith("NOT written") and "2.50, over --max-load 1" in line for line in said), said


def test_repeats_report_the_median_run_with_the_spread() -> None:
    runs = [[Figure("2", "backfill", f"{eps}/s ({ratio} of (1))", ">= 0.5 of (1)", ratio >= 0.5, {"eps": eps},
                    primary=ratio)] for eps, ratio in ((900, 0.61), (700, 0.38), (800, 0.52))]
    [fig] = bench.median_of(runs)
    assert fig.primary == 0.52 and fig.met is True and fig.details["eps"] == 800  # one run's figures, not a mix
    assert fig.value == "800/s (0.52 of (1)); median of 3 (spread 0.38-0.61)"
    assert fig.details["repeats"] == [0.61, 0.38, 0.52]
    assert bench.median_of([runs[0]]) == runs[0]  # one repeat: nothing to add
