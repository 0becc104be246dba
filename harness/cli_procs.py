"""Commands that run one part per process: `harness mock ansira|lytics` and `harness runner`.

Load and reliability tests run the mocks and the runner as separate processes (both cores; a real SIGKILL of
the runner), wired together by ready files. Credentials reach a process only through environment variables or a
0600 file, never through command-line arguments (which `ps` shows to everyone).
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from harness.errors import ConfigError
from harness.framing import IDLE_TIMEOUT_S
from harness.mockclients import HEALTH
from harness.ready import AnsiraEndpoint, LyticsEndpoint
from harness.redact import REDACTOR
from harness.service import (
    add_service_args,
    allow_http_hosts,
    base_url,
    public_host,
    ready_document,
    secret_from_env,
    warn_if_exposed,
    write_ready,
)

log = logging.getLogger("harness.procs")
_SIGNAL_POLL_S = 0.2  # the longest a stop signal waits for the main thread to run its handler


def catch_stop_signals() -> threading.Event:
    """From now on SIGINT and SIGTERM set the returned event instead of ending the process, and SIGUSR1 prints
    every thread's stack to stderr (what a supervisor or a test takes before killing a process that did not stop
    in time). Called before the ready file is written: whoever reads it may signal at once."""
    if hasattr(signal, "SIGUSR1"):  # POSIX only
        faulthandler.register(signal.SIGUSR1, all_threads=True, chain=False)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def wait_for_signal(on_stop: Callable[[], None], stop: threading.Event | None = None) -> None:
    """Run until SIGINT or SIGTERM (caught by `stop`, from catch_stop_signals; caught from here if None), then
    `on_stop`."""
    if stop is None:
        stop = catch_stop_signals()
    try:
        # Never one untimed wait: Python runs signal handlers only on the main thread, and when the kernel hands
        # the signal to another thread (any thread may get it) a main thread blocked on a lock is not woken, so
        # the handler would not run until something else woke it: a stop signal ignored for good (seen in CI).
        while not stop.wait(_SIGNAL_POLL_S):
            pass
    finally:
        on_stop()


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
    from harness.verify.cli import cassette_app, check_mock_options, env_client

    check_mock_options(args)
    if args.service == "ansira" and args.allow_http_host:
        raise ConfigError("--allow-http-host applies to mock lytics (it checks token and webhook URLs)")
    if args.service == "lytics" and args.ansira_client_secret_env:
        raise ConfigError("--ansira-client-secret-env applies to mock ansira")
    admin_key = secret_from_env(args.admin_key_env, "--admin-key-env")
    if not args.idle_timeout > 0:
        raise ConfigError(f"--idle-timeout must be a positive number of seconds, got {args.idle_timeout:g}")
    public = public_host(args.host, args.public_host)
    warn_if_exposed(args.host, f"mock {args.service}")
    if args.service == "ansira":
        from harness.stack import prepare_behaviour
        from mock_ansira import create_app

        behaviour = prepare_behaviour(env_client(args, _load_doc(args.behaviour)), args.seed)
        secret = secret_from_env(args.ansira_client_secret_env, "--ansira-client-secret-env")
        clients = behaviour.get("clients") if isinstance(behaviour, dict) else None
        if secret and isinstance(clients, list) and clients and isinstance(clients[0], dict):
            clients[0]["client_secret"] = secret  # the first client's: the one the ready file names
        mock_app = create_app({"BEHAVIOUR": behaviour, "SEED": args.seed, "ADMIN_KEY": admin_key})
        app = cassette_app(args, mock_app)  # the mock itself, or a recording proxy / replayer in front of it
        if args.server == "waitress" and (drops := _drop_faults(behaviour)):
            raise ConfigError(f"--server {args.server} cannot drop connections; {', '.join(drops)} need werkzeug")
        srv = server_thread(app, server=args.server, threads=args.threads, host=args.host, port=args.port,
                            name="mock-ansira", idle_timeout=args.idle_timeout)
        url = mock_app.config["PUBLIC_URL"] = base_url(public, srv.port)
        srv.start(ready_path=HEALTH)
        ansira = AnsiraEndpoint.from_behaviour(url, behaviour)
        info = ready_document("mock-ansira", host=args.host, public=public, ansira=ansira, admin_key=admin_key,
                              extra=ansira.unprefixed_urls())
    else:
        from mock_lytics import create_app as lytics_app

        api_key = secret_from_env(args.api_key_env, "--api-key-env", generate=True)
        assert api_key is not None  # generated when no variable names one
        app = lytics_app({"API_KEY": api_key, "ADMIN_KEY": admin_key,
                          "ALLOW_HTTP_HOSTS": allow_http_hosts(args.allow_http_host)})
        srv = server_thread(app, server=args.server, threads=args.threads, host=args.host, port=args.port,
                            name="mock-lytics", idle_timeout=args.idle_timeout)
        url = app.config["PUBLIC_URL"] = base_url(public, srv.port)
        srv.start(ready_path=HEALTH)
        lytics = LyticsEndpoint(url, api_key)
        info = ready_document("mock-lytics", host=args.host, public=public, lytics=lytics, admin_key=admin_key,
                              extra=lytics.unprefixed_urls())
    from harness.pictures.serve import mock_console, stopping

    console, line = mock_console(args, srv.url, info, admin_key, public)
    stop_requested = catch_stop_signals()
    write_ready(args.ready_file, info)
    print(f"mock {args.service} on {url}" + (f"\n{line}" if line else ""), flush=True)
    wait_for_signal(stopping(console, srv), stop_requested)
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
    info: dict[str, Any] = {"pid": os.getpid(), "lytics_url": args.lytics_url}
    state_srv = None
    if args.state_port is not None:  # the runner's state over HTTP, for `harness run --target`
        from harness.runner_state import serve_state

        state_srv, info["runner_state_url"] = serve_state(runner, admin_key, host=args.state_host,
                                                          port=args.state_port, public=args.public_host)
    stop_requested = catch_stop_signals()
    write_ready(args.ready_file, info)
    print(f"runner following {args.lytics_url}", flush=True)

    def stop() -> None:
        if state_srv is not None:
            state_srv.stop()
        runner.stop(timeout=args.stop_timeout)
        if args.outcomes:
            with open(args.outcomes, "w", encoding="utf-8") as fh:
                for job_id, outcomes in runner.outcomes.items():
                    for o in outcomes.snapshot():
                        fh.write(REDACTOR.json({"job_id": job_id, **o}) + "\n")
        if args.requests:
            with open(args.requests, "w", encoding="utf-8") as fh:
                for job_id, outcomes in runner.outcomes.items():
                    for r in outcomes.requests_snapshot():
                        fh.write(json.dumps({"job_id": job_id, **r}) + "\n")
        print(REDACTOR.json(runner.summary()), flush=True)

    wait_for_signal(stop, stop_requested)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
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
    mock.add_argument("--idle-timeout", type=float, default=IDLE_TIMEOUT_S, metavar="SECONDS",
                      help=f"close a connection that sends nothing for this long (default {IDLE_TIMEOUT_S:g})")
    from harness.verify.cli import add_mock_options

    add_mock_options(mock)
    add_service_args(mock, lytics=True, ansira=True, api_key_env=False, admin_key_env=False)
    from harness.pictures.serve import add_console_args

    add_console_args(mock)
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
    run.add_argument("--state-port", type=int, help="serve the runner's state (GET /__runner/state, admin key) on "
                     "this port (0 = any free one) and name its URL in the ready file: `harness run --target`")
    run.add_argument("--state-host", default="127.0.0.1", help="bind address of --state-port (default loopback)")
    run.add_argument("--public-host", help="the host name in runner_state_url (default: the bind address)")
    run.set_defaults(func=cmd_runner)
