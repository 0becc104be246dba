"""Reports of scenario runs: a text table for people, JSON for machines, JUnit XML and Markdown for CI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from harness.redact import REDACTOR
from harness.scenario import report_ci
from harness.scenario.engine import ScenarioResult


def text(results: Sequence[ScenarioResult], out: TextIO) -> None:
    tty = hasattr(out, "isatty") and out.isatty()
    console = Console(file=out, highlight=False, soft_wrap=True, width=None if tty else 140)
    for r in results:
        verdict = "[green]PASS[/]" if r.ok else "[red]FAIL[/]"
        console.print(f"{verdict} [bold]{r.name}[/] ({r.file}) in {r.duration_s:.2f}s")
        if r.description:
            console.print(f"  {r.description}")
        if r.error:
            console.print(f"  [red]error:[/] {REDACTOR(r.error)}")
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("", width=4)
        table.add_column("check")
        table.add_column("result")
        for c in r.checks:
            table.add_row("[green]ok[/]" if c.ok else "[red]FAIL[/]", c.name, REDACTOR(c.reason))
            if not c.ok:
                for d in c.details:
                    table.add_row("", "", f"  - {REDACTOR(d)}")
        console.print(table)
        s = r.summary.get("outcomes") or {}
        if s:
            lat = s.get("latency_ms") or {}
            console.print(
                f"  users: {s.get('enriched', 0)} enriched, {s.get('omitted', 0)} omitted, {s.get('pending', 0)} "
                f"pending; Ansira calls: {(r.summary.get('ansira') or {}).get('total', '?')}; "
                f"latency p50/p99: {_ms(lat.get('p50'))}/{_ms(lat.get('p99'))}")
        handled = r.summary.get("handled") or {}
        if handled:
            console.print("  remote failures the runner handled (INFO; -v shows each): "
                          + ", ".join(f"{n} {label}" for label, n in handled.items()))
    passed = sum(1 for r in results if r.ok)
    console.print(f"{passed} passed, {len(results) - passed} failed")


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f} ms"


def as_json(results: Sequence[ScenarioResult]) -> str:
    doc: dict[str, Any] = {"passed": sum(r.ok for r in results), "failed": sum(not r.ok for r in results),
                           "scenarios": [r.to_dict() for r in results]}
    return REDACTOR.json(doc, indent=2, default=str)


def junit(results: Sequence[ScenarioResult]) -> str:
    """One testcase per check with a unique name, time and file (harness.scenario.report_ci)."""
    return report_ci.junit(results)


def markdown(results: Sequence[ScenarioResult]) -> str:
    """A summary for a CI step summary, failures first (harness.scenario.report_ci)."""
    return report_ci.markdown(results)
