"""Where `harness run` puts its reports: `--report FORMAT` on stdout, every format into `--out DIR`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.pictures import report as html_report
from harness.scenario import report
from harness.scenario.engine import ScenarioResult

FILES = {"report.json": report.as_json, "junit.xml": report.junit, "summary.md": report.markdown}


def write_reports(results: Sequence[ScenarioResult], args: argparse.Namespace, *, machine_only: bool = False) -> None:
    """`machine_only`: some scenarios could not run (exit 2); stderr tells people, so stdout carries only a report
    a CI step reads (json, junit, markdown), never a second, text copy of the error."""
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name, render in FILES.items():
            (out / name).write_text(render(results), encoding="utf-8")
        with (out / "report.txt").open("w", encoding="utf-8") as fh:
            report.text(results, fh)
        (out / "report.html").write_text(html_report.render(results), encoding="utf-8")
    if args.report == "json":
        print(report.as_json(results))
    elif args.report == "junit":
        sys.stdout.write(report.junit(results))
    elif args.report == "markdown":
        sys.stdout.write(report.markdown(results))
    elif args.report == "html" and not args.out:  # with --out the page is in report.html and people get text
        sys.stdout.write(html_report.render(results))
    elif not machine_only:
        report.text(results, sys.stdout)
    sys.stdout.flush()
