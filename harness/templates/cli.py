"""`harness template render|check`: the same engine and library the runner uses, from the command line.

Exit codes: 0 clean, 1 findings (check) or a template fault on this profile (render), 2 unusable input.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from enrich_templates import (
    TemplateAssertionFailed,
    TemplateEngine,
    TemplateError,
    TemplateEvalError,
    TemplateInputError,
    build_entity,
    encode_body,
    split_override,
)
from harness.errors import ConfigError
from harness.templates import inputs

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2


def _err(message: str) -> None:
    print(f"harness template: {message}", file=sys.stderr)


def _job_and_fields(args: argparse.Namespace) -> tuple[dict[str, Any], list[str] | None]:
    job = inputs.load_job_config(args.job) if args.job else {}
    fields = inputs.parse_fields(args.fields) if getattr(args, "fields", None) else job.get("user_fields")
    return job, fields


def cmd_render(args: argparse.Namespace) -> int:
    try:
        source = inputs.read_template(args.template)
        job, fields = _job_and_fields(args)
        profile = inputs.load_profile(args.profile)
        events = [inputs.parse_segment_event(spec) for spec in args.segment_event or []]
        entity = build_entity(profile, fields, events)
        # an untrusted template: a killable child process with a memory cap, not a thread that runs on
        engine = TemplateEngine(isolation="process", timeout_s=args.timeout,
                                memory_limit_mb=getattr(args, "memory_mb", None) or 2048)
        engine.compile_check(source, filename=args.template)
    except (ConfigError, TemplateInputError, TemplateEvalError) as exc:
        _err(str(exc))
        return EXIT_UNUSABLE
    try:
        with engine:
            rendered = engine.render(source, entity, job, filename=args.template)
        url, headers, body = split_override(rendered.value)
    except TemplateInputError as exc:  # e.g. a job config value jsonnet cannot take
        _err(str(exc))
        return EXIT_UNUSABLE
    except TemplateAssertionFailed as exc:
        _err(f"the runner would omit this user: assert failed: {exc.message}")
        return EXIT_FINDINGS
    except TemplateError as exc:
        _err(str(exc))
        return EXIT_FINDINGS
    if url is not None:
        print(f"url: {url}", file=sys.stderr)
    for name, value in (headers or {}).items():
        print(f"header: {name}: {value}", file=sys.stderr)
    data = encode_body(body)
    sys.stdout.buffer.write(data)
    if sys.stdout.isatty() and data:
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from harness.templates.check import run_check  # faker and the Ansira contract load only for `check`
    from harness.templates.report import print_json, print_text

    try:
        source = inputs.read_template(args.template)
        job, fields = _job_and_fields(args)
        codes = inputs.parse_fields(args.source_codes) if args.source_codes else None
        if args.samples < 1:
            raise ConfigError(f"--samples must be at least 1, got {args.samples}")
    except ConfigError as exc:
        _err(str(exc))
        return EXIT_UNUSABLE
    with TemplateEngine(
        isolation="process", timeout_s=args.timeout, memory_limit_mb=args.memory_mb
    ) as engine:
        try:
            report = run_check(
                source,
                engine=engine,
                filename=args.template,
                user_fields=fields,
                job_config=job,
                samples=args.samples,
                seed=args.seed,
                source_codes=codes,
            )
        except TemplateEvalError as exc:  # the template itself does not parse, or imports a forbidden file
            _err(str(exc))
            return EXIT_UNUSABLE
    try:
        if args.report == "json":
            print_json(report, sys.stdout, fail_on=args.fail_on)
        else:
            print_text(report, sys.stdout, fail_on=args.fail_on)
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader left; the exit code still tells the story
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return report.exit_code(args.fail_on)


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `template render` and `template check` on the main harness CLI."""
    template = subparsers.add_parser("template", help="render or check a jsonnet webhook template")
    sub = template.add_subparsers(dest="template_command", required=True, metavar="{render,check}")

    render = sub.add_parser("render", help="print the body the runner would send for one profile")
    render.add_argument("template", help="the jsonnet template file")
    render.add_argument("--profile", required=True, help="profile JSON (or jsonnet) file, or - for stdin")
    render.add_argument("--job", help="job config file: {'user_fields': [...], ...} or {'config': {...}}")
    render.add_argument(
        "--segment-event",
        action="append",
        metavar="enter:SLUG",
        help="a trigger segment event (enter:slug or exit:slug); repeatable; default none",
    )
    render.add_argument("--timeout", type=float, default=2.0, help="evaluation time bound in seconds")
    render.set_defaults(func=cmd_render)

    check = sub.add_parser(
        "check", help="render over many profiles and report contract and template problems"
    )
    check.add_argument("template", help="the jsonnet template file")
    check.add_argument("--fields", help="exported fields (comma-separated); overrides the job's user_fields")
    check.add_argument("--job", help="job config file (user_fields and job config keys)")
    check.add_argument("--samples", type=int, default=200, help="realistic Faker profiles (default 200)")
    check.add_argument("--seed", type=int, default=0, help="Faker seed (default 0)")
    check.add_argument("--source-codes", help="known Ansira sourceCode keyNames (comma-separated)")
    check.add_argument("--report", choices=("text", "json"), default="text")
    check.add_argument(
        "--fail-on",
        choices=("error", "warning"),
        default="error",
        help="lowest severity that makes the exit code 1 (default error)",
    )
    check.add_argument("--timeout", type=float, default=2.0, help="per-render time bound in seconds")
    check.add_argument(
        "--memory-mb", type=int, default=1024, help="memory the evaluation process may use (default 1024 MB)"
    )
    check.set_defaults(func=cmd_check)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: `python -m harness.templates.cli template check ...`."""
    parser = argparse.ArgumentParser(prog="harness")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
