"""`harness load SCENARIO`: run the scenario's `load` section. Exit 0 pass, 1 threshold breached or run failed,
2 bad scenario or arguments."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import HarnessError
from harness.redact import REDACTOR

if TYPE_CHECKING:
    from harness.load.run import LoadResult


def cmd_load(args: argparse.Namespace) -> int:
    from harness.load.run import LoadOptions, LoadResult, LoadRun
    from harness.load.spec import load_spec
    from harness.scenario import engine

    sc = engine.load(args.scenario)
    overrides = {k: v for k, v in (("duration_s", args.duration), ("arrival_rate", args.rate)) if v is not None}
    if overrides and sc.load is not None:
        sc.load = {**sc.load, **overrides}
    spec = load_spec(sc, file=args.scenario)
    def show(msg: str) -> None:
        sys.stderr.write(f"\r\033[K[{sc.name}] {msg}")
        sys.stderr.flush()

    progress = show if sys.stderr.isatty() else None
    out = Path(args.out) if args.out else None
    started, t0 = time.time(), time.monotonic()
    try:
        result = LoadRun(sc, spec, file=args.scenario, options=LoadOptions(
            out=out, workers=args.workers, remote_workers=args.remote_workers, host=args.host,
            api_key_env=args.api_key_env, progress=progress)).execute()
    except HarnessError as exc:  # a process did not start, the runner vanished: CI still gets its report
        if progress:
            sys.stderr.write("\r\033[K")
        failed = LoadResult(sc.name, args.scenario, errors=[str(exc)])
        _write_reports(failed, args.report, out, started, time.monotonic() - t0, machine_only=True)
        raise
    if progress:
        sys.stderr.write("\r\033[K")
    _write_reports(result, args.report, out, started, time.monotonic() - t0)
    return 0 if result.ok else 1


def _write_reports(result: LoadResult, fmt: str, out: Path | None, started: float, took: float, *,
                   machine_only: bool = False) -> None:
    """Every format into `out`, `fmt` on stdout; `machine_only`: the run failed (stderr says why), so stdout gets
    a CI report (json, junit, markdown) but no second, text copy of the error."""
    from harness.load import report, report_ci
    from harness.pictures import load_report as html_report

    rendered = {"json": lambda: report.as_json(result) + "\n", "text": lambda: report.text(result),
                "junit": lambda: report_ci.junit(result, started=started, duration_s=took),
                "markdown": lambda: report_ci.markdown(result, duration_s=took)}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name, key in (("report.json", "json"), ("report.txt", "text"), ("junit.xml", "junit"),
                          ("summary.md", "markdown")):
            (out / name).write_text(REDACTOR(rendered[key]()), encoding="utf-8")
        # the page escapes and redacts each text itself: a redactor pass over the whole page would mangle its
        # inlined scripts (uPlot's `key=` looks like a query parameter)
        (out / "report.html").write_text(html_report.render(result), encoding="utf-8")
    if fmt == "html":
        if out is None:  # with --out the page is in report.html and people get text
            sys.stdout.write(html_report.render(result))
        elif not machine_only:
            sys.stdout.write(REDACTOR(rendered["text"]()))
    elif not (machine_only and fmt == "text"):
        sys.stdout.write(REDACTOR(rendered[fmt]()))
    sys.stdout.flush()


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("load", help="load-test a scenario: locust + mocks + runner as separate processes")
    p.add_argument("scenario", help="a scenario file with a `load` section")
    p.add_argument("--out", help="keep locust's CSV/HTML, the logs, report.json, report.txt, junit.xml, summary.md "
                                 "and report.html in this folder")
    p.add_argument("--report", choices=("text", "json", "junit", "markdown", "html"), default="text",
                   help="what to print: junit has one testcase per threshold; markdown is for a CI step summary; "
                        "html a self-contained page with the joined table and timelines")
    p.add_argument("--duration", type=float, help="override load.duration_s")
    p.add_argument("--rate", type=float, help="override load.arrival_rate (events/s)")
    p.add_argument("--workers", type=int, default=0, help="local locust worker processes (distributed mode)")
    p.add_argument("--remote-workers", type=int, default=0,
                   help="more workers the locust master waits for, started by hand (docs/load-testing.md)")
    p.add_argument("--host", default="127.0.0.1", help="bind address of the mocks and the locust master")
    p.add_argument("--api-key-env", help="use the Lytics API key in this environment variable (remote workers)")
    p.set_defaults(func=cmd_load)
