"""`harness`: run scenarios, serve the simulated stack, check templates. Exit 0 pass, 1 check failed, 2 bad input."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.cli_procs import wait_for_signal, write_ready
from harness.errors import ConfigError, HarnessError
from harness.redact import REDACTOR, install_log_redaction
from harness.scenario import discovery

DEFAULT_SCENARIO = "scenarios/quickstart.jsonnet"
EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 already; keep its message but our wording
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _scenario_files(paths: Sequence[str], keyword: str | None) -> list[Path]:
    files: list[Path] = []
    for raw in paths or [DEFAULT_SCENARIO]:
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
    from harness.pictures import report as html_report
    from harness.scenario import engine, report
    from harness.scenario.progress import for_stream

    files = _scenario_files(args.scenarios, args.k)
    scenarios = engine.load_all(files)  # validate every file before running any; report every bad one
    results = []
    overrides: dict[str, object] = {}
    if args.dry_run:
        overrides["dry_run"] = True
    if args.max_calls is not None:
        overrides["max_calls"] = args.max_calls
    live = for_stream(sys.stderr, len(scenarios))  # a live bar on a terminal only
    with live or contextlib.nullcontext():
        for f, sc in scenarios:
            step = live.scenario(sc.name) if live else None
            results.append(engine.ScenarioRun(sc, file=str(f), progress=step, runner_overrides=overrides).execute())
            if live:
                live.finished(results[-1].ok)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(report.as_json(results), encoding="utf-8")
        (out / "junit.xml").write_text(report.junit(results), encoding="utf-8")
        with (out / "report.txt").open("w", encoding="utf-8") as fh:
            report.text(results, fh)
        (out / "report.html").write_text(html_report.render(results), encoding="utf-8")
    if args.report == "json":
        print(report.as_json(results))
    elif args.report == "junit":
        print(report.junit(results))
    elif args.report == "html" and not args.out:
        print(html_report.render(results))
    else:
        report.text(results, sys.stdout)
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAIL


def cmd_check(args: argparse.Namespace) -> int:
    from harness.scenario import engine

    engine.load_all(_scenario_files(args.scenarios, args.k), each=lambda f, sc: print(
        f"ok {f}: {sc.name} ({len(sc.checks)} checks, {len(sc.steps)} steps)", flush=True))
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from harness.scenario import engine

    for f, sc in engine.load_all(_scenario_files(args.scenarios or ["scenarios"], args.k)):
        print(f"{f}\t{sc.name}\t{sc.description}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from harness.stack import Stack

    stack = Stack(seed=args.seed, lytics_port=args.lytics_port, ansira_port=args.ansira_port, host=args.host)
    stack.start()
    info = stack.ready_info()
    console = None
    try:
        if not args.no_console:
            from harness.pictures.serve import console_urls, stack_sources, start_console

            console = start_console(stack_sources(stack), host=args.host, port=args.console_port)
            info["console_url"], shown = console_urls(console, stack.admin_key)
        write_ready(args.ready_file, info)
        if console is not None:
            print(f"console      {shown} (needs the admin key: open console_url from the ready file)", flush=True)
        print(f"mock Lytics  {info['lytics_url']}\nmock Ansira  {info['ansira_url']}\n"
              f"runner       following {info['lytics_url']}/__admin/feed\n"
              f"credentials  {'written to ' + args.ready_file if args.ready_file else 'use --ready-file to get them'}"
              "\nCtrl-C to stop.", flush=True)
    except BaseException:
        if console is not None:
            console.stop()
        stack.stop()
        raise

    def stop() -> None:
        if console is not None:
            console.stop()
        stack.stop()

    wait_for_signal(stop)
    return EXIT_OK


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
    run.add_argument("scenarios", nargs="*", help=f"files or folders (default {DEFAULT_SCENARIO})")
    run.add_argument("-k", help="only scenarios whose file name contains this")
    run.add_argument("--report", choices=("text", "json", "junit", "html"), default="text",
                     help="html: a self-contained page with check tables and timelines (with --out: report.html "
                          "there, and the text report on stdout)")
    run.add_argument("--out", help="also write report.json, junit.xml, report.txt and report.html into this folder")
    run.add_argument("--dry-run", action="store_true", help="render every request and log it; send nothing")
    run.add_argument("--max-calls", type=int, help="hard cap on webhook requests (live validation safety)")
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
    srv.add_argument("--host", default="127.0.0.1", help="bind address (default loopback only)")
    srv.add_argument("--ready-file", help="write URLs and credentials as JSON here once everything answers")
    srv.add_argument("--seed", type=int, default=0)
    srv.add_argument("--no-console", action="store_true", help="do not serve the live console (console_url)")
    srv.add_argument("--console-port", type=int, default=0, help="the live console's port (0 = let the OS pick)")
    srv.set_defaults(func=cmd_serve)

    from harness.cli_procs import add_commands as add_process_commands
    from harness.load.cli import add_commands as add_load_commands
    from harness.templates.cli import add_commands as add_template_commands

    add_process_commands(sub)
    add_load_commands(sub)
    add_template_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    install_log_redaction()
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"harness: {REDACTOR(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except HarnessError as exc:
        print(f"harness: {REDACTOR(exc)}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
