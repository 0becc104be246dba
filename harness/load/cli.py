"""`harness load SCENARIO`: run the scenario's `load` section. Exit 0 pass, 1 threshold breached or run failed,
2 bad scenario or arguments."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.redact import REDACTOR


def cmd_load(args: argparse.Namespace) -> int:
    from harness.load import report
    from harness.load.run import LoadOptions, LoadRun
    from harness.load.spec import load_spec
    from harness.pictures import load_report as html_report
    from harness.scenario import engine

    sc = engine.load(args.scenario)
    overrides = {k: v for k, v in (("duration_s", args.duration), ("arrival_rate", args.rate)) if v is not None}
    if overrides and sc.load is not None:
        sc.load = {**sc.load, **overrides}
    spec = load_spec(sc, file=args.scenario)
    progress = None
    if sys.stderr.isatty():
        def progress(msg: str) -> None:
            sys.stderr.write(f"\r\033[K[{sc.name}] {msg}")
            sys.stderr.flush()
    out = Path(args.out) if args.out else None
    result = LoadRun(sc, spec, file=args.scenario, options=LoadOptions(
        out=out, workers=args.workers, remote_workers=args.remote_workers, host=args.host,
        api_key_env=args.api_key_env, progress=progress)).execute()
    if progress:
        sys.stderr.write("\r\033[K")
    if out is not None:
        (out / "report.json").write_text(report.as_json(result), encoding="utf-8")
        (out / "report.txt").write_text(report.text(result), encoding="utf-8")
        (out / "report.html").write_text(html_report.render(result), encoding="utf-8")
    if args.report == "html" and out is None:
        sys.stdout.write(html_report.render(result))
    else:
        sys.stdout.write(REDACTOR(report.as_json(result) + "\n" if args.report == "json" else report.text(result)))
    return 0 if result.ok else 1


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("load", help="load-test a scenario: locust + mocks + runner as separate processes")
    p.add_argument("scenario", help="a scenario file with a `load` section")
    p.add_argument("--out", help="keep locust's CSV/HTML, the logs, report.json, report.txt and report.html here")
    p.add_argument("--report", choices=("text", "json", "html"), default="text",
                   help="html: a self-contained page with the joined table and timelines (with --out: report.html "
                        "there, and the text report on stdout)")
    p.add_argument("--duration", type=float, help="override load.duration_s")
    p.add_argument("--rate", type=float, help="override load.arrival_rate (events/s)")
    p.add_argument("--workers", type=int, default=0, help="local locust worker processes (distributed mode)")
    p.add_argument("--remote-workers", type=int, default=0,
                   help="more workers the locust master waits for, started by hand (docs/load-testing.md)")
    p.add_argument("--host", default="127.0.0.1", help="bind address of the mocks and the locust master")
    p.add_argument("--api-key-env", help="use the Lytics API key in this environment variable (remote workers)")
    p.set_defaults(func=cmd_load)
