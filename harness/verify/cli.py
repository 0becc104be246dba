"""CLI glue for `harness verify ansira` (exit 0 all same, 1 any difference or probe not run, 2 bad input)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.errors import ConfigError
from harness.hosts import is_loopback
from harness.redact import REDACTOR

EXIT_OK, EXIT_DIFFER = 0, 1


def check_base_url(url: str, *, option: str = "--url") -> str:
    """https anywhere, plain http only on loopback; a service root with no query, fragment or credentials."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(f"{option} {REDACTOR.url(url)!r}: {exc}") from None
    where = f"{option} {REDACTOR.url(url)!r}"
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"{where}: expected an https:// service root such as https://api.example.com")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(f"{where}: give the service root only, without query, fragment or credentials")
    if parts.scheme == "http" and not is_loopback(host):
        raise ConfigError(f"{where}: plain http is allowed only on loopback (127.0.0.1, ::1, localhost); use https")
    return url.rstrip("/")


def env_value(name: str, option: str, *, secret: bool) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"{option}: environment variable {name} is not set or empty")
    if secret:
        REDACTOR.add(value)
    return value


def _load_behaviour(path: str | None) -> dict[str, Any] | None:
    if not path:
        return None
    from harness.scenario.loader import render

    doc = render(path)
    if not isinstance(doc, dict):
        raise ConfigError(f"--behaviour {path}: expected a JSON object (a mock Ansira behaviour document)")
    return doc


def _check_tag(tag: str) -> str:
    if not re.fullmatch(r"[a-z0-9]{4,32}", tag):
        raise ConfigError(f"--tag {tag!r}: expected 4-32 lowercase letters and digits (it goes into email addresses)")
    return tag


def _check_before_sending(args: argparse.Namespace, creds: Any, doc: dict[str, Any] | None) -> None:
    """Whatever would fail after the probes went out fails now: the mock's behaviour, the output paths."""
    from harness.verify.run import mock_behaviour
    from mock_ansira.behaviour import BehaviourError, load_behaviour

    try:
        load_behaviour(mock_behaviour(creds, doc))
    except BehaviourError as exc:
        raise ConfigError(f"--behaviour {args.behaviour}: {exc}") from None
    if args.out:
        try:
            Path(args.out).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"--out {args.out}: cannot create the folder: {exc.strerror}") from None
    if args.write_behaviour and not Path(args.write_behaviour).resolve().parent.is_dir():
        raise ConfigError(f"--write-behaviour {args.write_behaviour}: its folder does not exist")


def cmd_verify(args: argparse.Namespace) -> int:
    from harness.verify import behaviour_file, report
    from harness.verify.probes import PROBES, Context, describe, new_tag
    from harness.verify.run import Credentials, verify

    base = check_base_url(args.url)
    if args.max_calls < 1:
        raise ConfigError(f"--max-calls {args.max_calls}: expected a whole number of requests, at least 1")
    if not args.source_code.strip():
        raise ConfigError("--source-code: expected the sourceCode.keyName your Ansira client may use")
    creds = Credentials(env_value(args.client_id_env, "--client-id-env", secret=False),
                        env_value(args.client_secret_env, "--client-secret-env", secret=True), args.source_code)
    doc = _load_behaviour(args.behaviour)
    _check_before_sending(args, creds, doc)
    tag = _check_tag(args.tag) if args.tag else new_tag()
    if args.dry_run:
        ctx = Context(creds.client_id, creds.client_secret, creds.source_code, tag)
        print(f"dry run: would send these {len(PROBES)} probes to {REDACTOR.url(base)} (cap {args.max_calls}) "
              f"and to an in-process mock Ansira; nothing sent\ntest emails: {ctx.email(1)} ... (domain reserved by "
              f"RFC 2606, tag {tag})")
        for n, probe in enumerate(PROBES, 1):
            over = "  [over the cap: not sent]" if n > args.max_calls else ""
            print(REDACTOR(f"{n:2d}. {probe.name:26s} {probe.description}\n    {describe(probe, ctx)}{over}"))
        return EXIT_OK
    result = verify(base, creds, tag=tag, max_calls=args.max_calls, behaviour=doc)
    sys.stdout.write(report.render(result, args.report))
    if args.out:
        report.write_all(result, Path(args.out))
    if args.write_behaviour:
        from mock_ansira.behaviour import BehaviourError, load_behaviour

        written, notes = behaviour_file.derive(result, doc, creds.source_code)
        try:
            load_behaviour(written)
        except BehaviourError as exc:
            raise ConfigError(f"--write-behaviour: the derived document does not load: {exc}") from None
        behaviour_file.write(Path(args.write_behaviour), written)
        print(f"behaviour written to {args.write_behaviour}", file=sys.stderr)
        for note in notes:
            print(REDACTOR(f"  not in the behaviour: {note}"), file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_DIFFER


def add_commands(sub: argparse._SubParsersAction) -> None:
    from harness.verify.run import DEFAULT_MAX_CALLS

    verify = sub.add_parser("verify", help="compare a real service with its mock by contract probes")
    services = verify.add_subparsers(dest="service", required=True, parser_class=type(verify))
    ans = services.add_parser("ansira", help="probe a real Ansira (sandbox) and mock Ansira; list the differences",
                              description="Send 19 documented contract probes to the service at --url and to an "
                                          "in-process mock Ansira with the same client, and compare the answers. "
                                          "Exit 0: all the same; 1: a difference, or a probe not sent; 2: bad input. "
                                          "See docs/going-live.md.")
    ans.add_argument("--url", required=True, help="service root: https, or plain http on loopback")
    ans.add_argument("--client-id-env", required=True, metavar="VAR", help="environment variable with the client id")
    ans.add_argument("--client-secret-env", required=True, metavar="VAR",
                     help="environment variable with the client secret")
    ans.add_argument("--source-code", required=True, help="a sourceCode.keyName the client may use")
    ans.add_argument("--max-calls", type=int, default=DEFAULT_MAX_CALLS,
                     help=f"never send the real service more requests than this (default {DEFAULT_MAX_CALLS})")
    ans.add_argument("--dry-run", action="store_true", help="print the probes; send nothing")
    ans.add_argument("--report", choices=("text", "json", "junit"), default="text")
    ans.add_argument("--out", help="also write report.txt, report.json and junit.xml into this folder")
    ans.add_argument("--behaviour", help="configure the in-process mock with this behaviour document")
    ans.add_argument("--write-behaviour", metavar="FILE",
                     help="write the differences as a mock Ansira behaviour document (no secrets)")
    ans.add_argument("--tag", help="reuse this run tag instead of a new one (to verify against a replayed recording "
                                    "of an earlier run: the emails must be the same)")
    ans.set_defaults(func=cmd_verify)


# --- `harness mock ansira --record-from / --replay` ----------------------------------------------------------
def add_mock_options(mock: argparse.ArgumentParser) -> None:
    group = mock.add_argument_group("record and replay (ansira only; see docs/going-live.md)")
    group.add_argument("--record-from", metavar="BASE",
                       help="proxy every request to this real service root and record the pairs into --cassette")
    group.add_argument("--cassette", metavar="FILE", help="where --record-from writes the cassette (JSON)")
    group.add_argument("--record-emails", action="store_true",
                       help="keep email addresses in the cassette (default: hashed)")
    group.add_argument("--replay", metavar="FILE", help="answer recorded requests from this cassette")
    group.add_argument("--strict", action="store_true",
                       help="with --replay: answer unrecorded requests 501 with the nearest recorded ones")
    group.add_argument("--client-id-env", metavar="VAR",
                       help="ansira: serve this client id (from the environment) as the first client; with "
                            "--client-secret-env, e.g. your sandbox client for --replay")
    group.add_argument("--client-secret-env", metavar="VAR", help="ansira: that client's secret, from the environment")


def check_mock_options(args: argparse.Namespace) -> None:
    """Bad combinations are refused before anything listens."""
    record, replay = getattr(args, "record_from", None), getattr(args, "replay", None)
    if (record or replay) and args.service != "ansira":
        raise ConfigError("--record-from and --replay work with mock ansira only")
    if record and replay:
        raise ConfigError("--record-from and --replay exclude each other: record first, then replay the cassette")
    if record and not args.cassette:
        raise ConfigError("--record-from needs --cassette FILE (where to write the recording)")
    if not record and (args.cassette or args.record_emails):
        raise ConfigError("--cassette and --record-emails apply only with --record-from")
    if args.strict and not replay:
        raise ConfigError("--strict applies only with --replay")
    if bool(args.client_id_env) != bool(args.client_secret_env):
        raise ConfigError("--client-id-env and --client-secret-env go together")
    if args.client_id_env and args.service != "ansira":
        raise ConfigError("--client-id-env and --client-secret-env apply to mock ansira only")
    if record:
        check_base_url(record, option="--record-from")
        if not Path(args.cassette).resolve().parent.is_dir():
            raise ConfigError(f"--cassette {args.cassette}: its folder does not exist")


def env_client(args: argparse.Namespace, behaviour: Any) -> Any:
    """The behaviour with the client from --client-id-env/--client-secret-env first (replacing one of that id).

    A document that is not an object is returned as it is, for mock Ansira's validation to name the problem."""
    if not getattr(args, "client_id_env", None):
        return behaviour
    behaviour = {} if behaviour is None else behaviour
    if not isinstance(behaviour, dict):
        return behaviour
    client_id = env_value(args.client_id_env, "--client-id-env", secret=False)
    secret = env_value(args.client_secret_env, "--client-secret-env", secret=True)
    clients = [c for c in behaviour.get("clients") or [] if isinstance(c, dict)]
    mine = next((c for c in clients if c.get("client_id") == client_id), {})
    others = [c for c in clients if c.get("client_id") != client_id]
    return {**behaviour, "clients": [{**mine, "client_id": client_id, "client_secret": secret}, *others]}


def cassette_app(args: argparse.Namespace, app: Any) -> Any:
    """The WSGI app `harness mock ansira` serves: the mock itself, a recording proxy, or a replayer over it."""
    if getattr(args, "record_from", None):
        from harness.verify.record import RecordingProxy

        return RecordingProxy(check_base_url(args.record_from, option="--record-from"), args.cassette,
                              keep_emails=args.record_emails, mock=app)
    if getattr(args, "replay", None):
        from harness.verify import cassette
        from harness.verify.replay import Replayer

        return Replayer(cassette.load(args.replay), app, strict=args.strict)
    return app
