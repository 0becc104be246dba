"""Print a CheckReport for people (rich; plain text when not a terminal) or for machines (JSON)."""

from __future__ import annotations

import json
from typing import IO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness.templates.check import CheckReport, Finding, exported

_STYLE = {"error": "bold red", "warning": "yellow"}


def print_json(report: CheckReport, out: IO[str], *, fail_on: str = "error") -> None:
    json.dump(report.as_dict(fail_on), out, indent=2, ensure_ascii=False)
    out.write("\n")


def _example_line(finding: Finding) -> str:
    ex = finding.example or {}
    parts = [f"e.g. {ex.get('profile', '?')}"]
    if "entity" in ex:
        parts.append("entity " + json.dumps(ex["entity"], ensure_ascii=False))
    if "body" in ex:
        parts.append("body " + json.dumps(ex["body"], ensure_ascii=False))
    return "; ".join(parts)


def print_text(report: CheckReport, out: IO[str], *, fail_on: str = "error") -> None:
    console = Console(file=out, highlight=False, soft_wrap=False, width=110 if not out.isatty() else None)
    console.print(
        f"[bold]template check[/bold] {escape(report.template)}: {report.rendered} renders "
        f"({report.samples} samples, {report.edge_cases} edge cases)"
        + (f" - {report.stopped_early}" if report.stopped_early else "")
    )
    exports = ", ".join(report.user_fields) if report.user_fields else "(all fields)"
    console.print(f"exported fields: {escape(exports)}")
    if report.source_codes is not None:
        console.print(f"known source codes: {escape(', '.join(report.source_codes))}")

    if report.fields_read:
        table = Table(title="fields read (traced)", title_justify="left", show_edge=False, pad_edge=False)
        table.add_column("field")
        table.add_column("renders", justify="right")
        table.add_column("exported")
        for name, count in sorted(report.fields_read.items()):
            ok = exported(name, report.user_fields)
            table.add_row(escape(name), str(count), "yes" if ok else "[bold red]NO[/bold red]")
        console.print(table)
    else:
        console.print("fields read: none")

    if report.findings:
        console.print(f"\n[bold]findings ({len(report.findings)})[/bold]")
        for f in report.findings:
            who = f"{f.count} renders" + (
                f", {f.realistic} realistic" if f.kind != "field_not_exported" else ""
            )
            console.print(
                f"[{_STYLE[f.severity]}]{f.severity.upper()}[/{_STYLE[f.severity]}] {f.kind}: "
                f"{escape(f.message)} ({who})"
            )
            console.print("    " + escape(_example_line(f)), overflow="fold")
    if report.omissions:
        console.print("\n[bold]omitted by assert[/bold] (the runner skips these users; allowed)")
        for om in report.omissions:
            label = (om.example or {}).get("profile", "?")
            console.print(
                f"  {escape(repr(om.message))}: {om.realistic} of {report.samples} samples, "
                f"{om.edge} edge cases (e.g. {escape(label)})"
            )
    failing = report.failing(fail_on)
    if failing:
        console.print(f"\n[bold red]FAIL[/bold red]: {len(failing)} finding(s) at or above {fail_on}")
    elif report.findings:
        console.print(
            f"\n[bold green]OK[/bold green]: no {fail_on}s ({len(report.findings)} warning(s) above)"
        )
    else:
        console.print("\n[bold green]OK[/bold green]: no findings")
