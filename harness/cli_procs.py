"""Commands that run one part per process: `harness mock ansira|lytics` and `harness runner`.

Load and reliability tests run the mocks and the runner as separate processes (both cores; a real SIGKILL of
the runner), wired together by ready files. Credentials reach a process only through environment variables or a
0600 file, never through command-line arguments (which `ps` shows to everyone).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import secrets
import signal
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.redact import REDACTOR

log = logging.getLogger("harness.procs")


def write_ready(path: str | None, info: dict[str, Any]) -> None:
    """Write JSON atomically with mode 0600 (it may hold credentials).

    The temporary file is new (mkstemp: O_EXCL, 0600) in the target's folder, so a stale or planted
    `<name>.tmp` (a loose mode, a symlink to another file) is neither reused nor followed.
    """
    if not path:
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(info, fh, indent=2)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def wait_for_signal(on_stop: Callable[[], None]) -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        on_stop()


def secret_from_env(name: str | None, what: str, *, generate: bool = False) -> str | None:
    if name:
        value = os.environ.get(name)
        if not value:
            raise ConfigError(f"{what}: environment variable {name} is not set or empty")
        REDACTOR.add(value)
        return value
    if generate:
        value = secrets.token_urlsafe(24)
        REDACTOR.add(value)
        return value
    return None


def _load_doc(path: str | None) -> dict[str, Any] | None:
    if not path:
        return None
    from harness.scenario.loader import render

    return render(path)


def _drop_faults(behaviour: dict[str, Any]) -> list[str]:
    """Faults that close the socket: only werkzeug hands the app its socket, so they need that server."""
    faults = behaviour.get("faults") or []
    faults = [faults] if isinstance(faults, dict) else faults
    return [f"faults[{i}] ({f.get('kind')})" for i, f in enumerate(faults) if isinstance(f, dict) and (
        f.get("kind") == "connection_reset" or (f.get("kind") == "timeout" and f.get("then") == "drop"))]


def cmd_mock(args: argparse.Namespace) -> int:
    from harness.servers import server_thread

    admin_key = secret_from_env(args.admin_key_env, "--admin-key-env")
    if args.service == "ansira":
        from harness.stack import prepare_behaviour
        from mock_ansira import create_app

        behaviour = prepare_behaviour(_load_doc(args.behaviour), args.seed)
        app = create_app({"BEHAVIOUR": behaviour, "SEED": args.seed, "ADMIN_KEY": admin_key})
        client = behaviour["clients"][0]
        if args.server == "waitress" and (drops := _drop_faults(behaviour)):
            raise ConfigError(f"--server {args.server} cannot drop connections; {', '.join(drops)} need werkzeug")
        srv = server_thread(app, server=args.server, threads=args.threads, host=args.host, port=args.port,
                            name="mock-ansira").start(ready_path="/__admin/health")
        info = {"url": srv.url, "ansira_client_id": client["client_id"],
                "ansira_client_secret": client["client_secret"],
                "ansira_source_code": behaviour["source_codes"][0], "token_url": srv.url + "/service/oauth/v2/token",
                "user_url": srv.url + "/service/api/v2/user", "pid": os.getpid()}
    else:
        from mock_lytics import create_app as lytics_app

        api_key = secret_from_env(args.api_key_env, "--api-key-env", generate=True)
        srv = server_thread(lytics_app({"API_KEY": api_key, "ADMIN_KEY": admin_key}), server=args.server,
                            threads=args.threads, host=args.host, port=args.port,
                            name="mock-lytics").start(ready_path="/__admin/health")
        info = {"url": srv.url, "lytics_api_key": api_key, "pid": os.getpid()}
    console = None
    if not args.no_console:
        from harness.pictures.serve import console_urls, mock_sources, start_console

        console = start_console(mock_sources(args.service, srv.url, api_key=info.get("lytics_api_key"),
                                             admin_key=admin_key), host=args.host, port=args.console_port,
                                title=f"enrichsim console: mock {args.service}")
        info["console_url"], shown = console_urls(console, admin_key)
    write_ready(args.ready_file, info)
    print(f"mock {args.service} on {srv.url}", flush=True)
    if console is not None:
        print(f"console on {shown}" + (" (needs the admin key: console_url in the ready file carries it)"
                                       if admin_key else ""), flush=True)

    def stop() -> None:
        if console is not None:
            console.stop()
        srv.stop()

    wait_for_signal(stop)
    return 0


def cmd_runner(args: argparse.Namespace) -> int:
    from harness.runner import Runner, RunnerOptions

    api_key = secret_from_env(args.api_key_env, "--api-key-env")
    if api_key is None:
        raise ConfigError("the runner needs the Lytics API key: pass --api-key-env NAME")
    admin_key = secret_from_env(args.admin_key_env, "--admin-key-env")
    overrides: dict[str, Any] = json.loads(args.options) if args.options else {}
    if args.dry_run:
        overrides["dry_run"] = True
    if args.max_calls is not None:
        overrides["max_calls"] = args.max_calls
    try:
        options = RunnerOptions(**overrides)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"--options: {exc}") from None
    runner = Runner(args.lytics_url, api_key, admin_key=admin_key, options=options).start()
    write_ready(args.ready_file, {"pid": os.getpid(), "lytics_url": args.lytics_url})
    print(f"runner following {args.lytics_url}", flush=True)

    def stop() -> None:
        runner.stop(timeout=args.stop_timeout)
        if args.outcomes:
            with open(args.outcomes, "w", encoding="utf-8") as fh:
                for job_id, outcomes in runner.outcomes.items():
                    for o in outcomes.snapshot():
                        fh.write(REDACTOR(json.dumps({"job_id": job_id, **o})) + "\n")
        if args.requests:
            with open(args.requests, "w", encoding="utf-8") as fh:
                for job_id, outcomes in runner.outcomes.items():
                    for r in outcomes.requests_snapshot():
                        fh.write(json.dumps({"job_id": job_id, **r}) + "\n")
        print(REDACTOR(json.dumps(runner.summary())), flush=True)

    wait_for_signal(stop)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    mock = sub.add_parser("mock", help="run one mock in this process until interrupted")
    mock.add_argument("service", choices=("ansira", "lytics"))
    mock.add_argument("--host", default="127.0.0.1")
    mock.add_argument("--port", type=int, default=0)
    mock.add_argument("--ready-file")
    mock.add_argument("--seed", type=int, default=0)
    mock.add_argument("--behaviour", help="Ansira behaviour document (JSON or jsonnet)")
    mock.add_argument("--api-key-env", help="Lytics: read the API key from this environment variable")
    mock.add_argument("--admin-key-env", help="protect /__admin with the key in this environment variable")
    mock.add_argument("--server", choices=("werkzeug", "werkzeug-keepalive", "waitress", "lean"), default="werkzeug",
                      help="werkzeug (default; closes every connection); werkzeug-keepalive, waitress or lean keep "
                           "connections open, for load tests (lean spends the least CPU per request)")
    mock.add_argument("--threads", type=int, default=32, help="waitress worker threads (default 32)")
    mock.add_argument("--no-console", action="store_true", help="do not serve the live console (console_url)")
    mock.add_argument("--console-port", type=int, default=0, help="the live console's port (0 = let the OS pick)")
    mock.set_defaults(func=cmd_mock)

    run = sub.add_parser("runner", help="run the enrichment runner against a (mock) Lytics until interrupted")
    run.add_argument("--lytics-url", required=True)
    run.add_argument("--api-key-env", help="environment variable holding the Lytics API key")
    run.add_argument("--admin-key-env")
    run.add_argument("--ready-file")
    run.add_argument("--outcomes", help="write the per-user outcome log here (JSON lines) on exit")
    run.add_argument("--requests", help="write the webhook request log here (JSON lines: request_id, user, sent_ts, "
                     "received_ts, status, retry_after) on exit")
    run.add_argument("--options", help="RunnerOptions overrides as JSON")
    run.add_argument("--dry-run", action="store_true", help="render and log requests, send nothing")
    run.add_argument("--max-calls", type=int, help="hard cap on webhook requests")
    run.add_argument("--stop-timeout", type=float, default=10.0, help="seconds to finish in-flight work on stop")
    run.set_defaults(func=cmd_runner)
