"""`harness`: run scenarios, serve the simulated stack, check templates. Exit 0 pass, 1 check failed, 2 bad input."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from enrich_templates.errors import TemplateError, TemplateInputError
from harness.errors import ConfigError, HarnessError, ScenarioErrors
from harness.redact import REDACTOR, log_to_stderr
from harness.scenario import discovery

DEFAULT_SCENARIO = "scenarios/quickstart.jsonnet"
EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 already; keep its message but our wording
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _default_scenarios() -> list[str]:
    """With no paths: this project's quickstart when it has one (this repo's habit), else its scenarios/ folder."""
    if Path(DEFAULT_SCENARIO).is_file():
        return [DEFAULT_SCENARIO]
    if Path("scenarios").is_dir():
        return ["scenarios"]
    raise ConfigError(f"no scenarios here: {Path.cwd()} has no scenarios/ folder; name files or folders, "
                      "or start a project with `enrichsim init`")


def _scenario_files(paths: Sequence[str], keyword: str | None) -> list[Path]:
    files: list[Path] = []
    for raw in paths or _default_scenarios():
        p = Path(raw)
        if p.is_dir():
            files.extend(discovery.walk(p))
        elif p.is_file():
            files.append(p)
        else:
            raise ConfigError(f"no such scenario file or folder: {raw}")
    if keyword:
        files = [f for f in files if keyword in f.stem]
    if not files:
        raise ConfigError(f"no scenarios matched {list(paths)}" + (f" with -k {keyword!r}" if keyword else ""))
    return files


def cmd_run(args: argparse.Namespace) -> int:
    from harness.scenario import engine
    from harness.scenario.batch import run_all
    from harness.scenario.progress import for_stream
    from harness.scenario.report_ci import not_run
    from harness.scenario.run_reports import write_reports

    files = _scenario_files(args.scenarios, args.k)
    try:
        scenarios = engine.load_all(files)  # validate every file before running any; report every bad one
    except ScenarioErrors as exc:  # CI still gets its report: each bad file is an <error> testcase
        write_reports([not_run(getattr(e, "file", None), str(e)) for e in exc.errors], args, machine_only=True)
        raise
    overrides: dict[str, object] = {}
    if args.dry_run:
        overrides["dry_run"] = True
    if args.max_calls is not None:
        overrides["max_calls"] = args.max_calls
    target = None
    if args.target:
        from harness.scenario.target import read_targets

        if overrides:
            raise ConfigError("--dry-run and --max-calls set up a runner of our own; with --target the running "
                              "stack's runner is used: pass them to that runner instead")
        target = read_targets(args.target)
    jobs = _jobs(args.jobs, len(scenarios), target is not None)
    live = for_stream(sys.stderr, len(scenarios))  # a live bar on a terminal only
    with live or contextlib.nullcontext():
        results, unrunnable = run_all(scenarios, jobs=jobs, overrides=overrides, target=target, live=live)
    write_reports(results, args, machine_only=bool(unrunnable))
    if unrunnable:
        raise unrunnable[0] if len(unrunnable) == 1 else ScenarioErrors(unrunnable, len(scenarios))
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAIL


def _jobs(asked: int | None, count: int, remote: bool) -> int:
    """How many scenarios run at once: one against a running stack (they share it and reset it), else -j or the
    parallel module's default."""
    if asked is not None and asked < 1:
        raise ConfigError(f"--jobs must be 1 or more, got {asked}")
    if remote:
        if asked not in (None, 1):
            raise ConfigError("--target runs scenarios one at a time: they share (and reset) that one stack; "
                              "drop --jobs")
        return 1
    if asked is not None:
        return min(asked, count)
    from harness.scenario.batch import default_jobs

    return default_jobs(count)


def cmd_check(args: argparse.Namespace) -> int:
    from harness.scenario import engine

    engine.load_all(_scenario_files(args.scenarios, args.k), each=lambda f, sc: print(
        f"ok {f}: {sc.name} ({len(sc.checks)} checks, {len(sc.steps)} steps)", flush=True))
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from harness.scenario import engine

    if not args.scenarios and not Path("scenarios").is_dir():
        raise ConfigError(f"no scenarios here: {Path.cwd()} has no scenarios/ folder; name files or folders, "
                          "or start a project with `enrichsim init`")
    for f, sc in engine.load_all(_scenario_files(args.scenarios or ["scenarios"], args.k)):
        print(f"{f}\t{sc.name}\t{sc.description}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from harness.cli_serve import cmd_serve as serve

    return serve(args)


def _prog() -> str:
    """`enrichsim` or `harness`, as the user typed it (both console scripts run this CLI)."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return name if name in ("enrichsim", "harness") else "harness"


def build_parser() -> argparse.ArgumentParser:
    from harness import __version__

    p = _Parser(prog=_prog(), description=__doc__)
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    p.add_argument("--version", action="version", version=f"%(prog)s (enrichsim) {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run scenarios end to end and check them")
    run.add_argument("scenarios", nargs="*", help=f"files or folders (default {DEFAULT_SCENARIO}, else scenarios/, "
                                                   "from the current folder)")
    run.add_argument("-k", help="only scenarios whose file name contains this")
    run.add_argument("--report", choices=("text", "json", "junit", "markdown", "html"), default="text",
                     help="what to print: markdown is a summary for a CI step summary (docs/ci.md); html a "
                          "self-contained page with check tables and timelines (docs/pictures.md)")
    run.add_argument("--out", help="also write report.json, junit.xml, report.txt, summary.md and report.html into "
                                   "this folder")
    run.add_argument("--dry-run", action="store_true", help="render every request and log it; send nothing")
    run.add_argument("--max-calls", type=int, help="hard cap on webhook requests (live validation safety)")
    run.add_argument("-j", "--jobs", type=int, help="scenarios run at once, each in a process of its own (default: "
                     "two per core, at most one per scenario; 1 runs them one after another in this process)")
    run.add_argument("--target", action="append", metavar="READY_FILE", help="run against an already running stack "
                     "(serve's ready file, or both mocks' ready files) instead of starting one")
    run.set_defaults(func=cmd_run)

    chk = sub.add_parser("check", help="render and validate scenarios without running them")
    chk.add_argument("scenarios", nargs="*")
    chk.add_argument("-k")
    chk.set_defaults(func=cmd_check)

    lst = sub.add_parser("list", help="list scenarios with their descriptions")
    lst.add_argument("scenarios", nargs="*")
    lst.add_argument("-k")
    lst.set_defaults(func=cmd_list)

    srv = sub.add_parser("serve", help="run mock Ansira, mock Lytics and the runner until interrupted")
    srv.add_argument("--lytics-port", type=int, default=0, help="0 = let the OS pick")
    srv.add_argument("--ansira-port", type=int, default=0, help="0 = let the OS pick")
    srv.add_argument("--host", default="127.0.0.1", help="bind address (default loopback only; 0.0.0.0 for a CI "
                     "service, with --public-host)")
    srv.add_argument("--ready-file", help="write URLs and credentials as JSON here once everything answers")
    srv.add_argument("--seed", type=int, default=0)
    from harness.cli_serve import add_serve_args

    add_serve_args(srv)
    srv.set_defaults(func=cmd_serve)

    from harness.cli_procs import add_commands as add_process_commands
    from harness.init_project import add_commands as add_init_commands
    from harness.load.cli import add_commands as add_load_commands
    from harness.templates.cli import add_commands as add_template_commands
    from harness.verify.cli import add_commands as add_verify_commands

    add_process_commands(sub)
    add_load_commands(sub)
    add_template_commands(sub)
    add_verify_commands(sub)
    add_init_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log_to_stderr([logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)])
    try:
        return int(args.func(args))
    except (ConfigError, TemplateInputError) as exc:
        print(f"{_prog()}: {REDACTOR(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except (HarnessError, TemplateError) as exc:
        print(f"{_prog()}: {REDACTOR(exc)}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
