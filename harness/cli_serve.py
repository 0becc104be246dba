"""`harness serve`: the whole stack in one process until interrupted, on loopback or as a CI service."""

from __future__ import annotations

import argparse

from harness.cli_procs import catch_stop_signals, wait_for_signal
from harness.service import add_service_args, allow_http_hosts, secret_from_env, warn_if_exposed, write_ready


def cmd_serve(args: argparse.Namespace) -> int:
    from harness.stack import Stack

    api_key = secret_from_env(args.api_key_env, "--api-key-env") or ""
    admin_key = secret_from_env(args.admin_key_env, "--admin-key-env") or ""
    client_secret = secret_from_env(args.ansira_client_secret_env, "--ansira-client-secret-env")
    hosts = allow_http_hosts(args.allow_http_host)
    warn_if_exposed(args.host, "harness serve")
    stack = Stack(seed=args.seed, lytics_port=args.lytics_port, ansira_port=args.ansira_port, host=args.host,
                  public_host=args.public_host, api_key=api_key, admin_key=admin_key, client_secret=client_secret,
                  allow_http_hosts=hosts)
    stack.start()
    info = stack.ready_document()
    console = None
    try:
        from harness.pictures.serve import serve_console, stopping

        console, line = serve_console(args, stack, info, info.get("public_host"))
        stop_requested = catch_stop_signals()
        write_ready(args.ready_file, info)
        if line:
            print(line, flush=True)
        print(f"mock Lytics  {info['lytics_url']}\nmock Ansira  {info['ansira_url']}\n"
              f"runner       following {info['lytics_url']}/__admin/feed\n"
              f"credentials  {'written to ' + args.ready_file if args.ready_file else 'use --ready-file to get them'}"
              "\nCtrl-C to stop.", flush=True)
    except BaseException:
        if console is not None:
            console.stop()
        stack.stop()
        raise
    wait_for_signal(stopping(console, stack), stop_requested)
    return 0


def add_serve_args(srv: argparse.ArgumentParser) -> None:
    from harness.pictures.serve import add_console_args

    add_service_args(srv, lytics=True, ansira=True)
    add_console_args(srv)
