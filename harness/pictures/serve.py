"""Start the live console beside `harness serve` / `harness mock`: its own server on the same bind address, its URL
for the ready file (with the admin key, which the ready file holds anyway) and for the terminal (without it)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from harness.pictures.console import create_app
from harness.pictures.console_data import Sources
from harness.servers import ServerThread
from harness.service import base_url


def start_console(sources: Sources, *, host: str = "127.0.0.1", port: int = 0, title: str = "enrichsim console"
                  ) -> ServerThread:
    return ServerThread(create_app(sources, title=title), host=host, port=port,
                        name="console").start(ready_path="/")  # 200, or 401 when a key guards it: up either way


def console_urls(server: ServerThread, admin_key: str | None, *, public: str | None = None) -> tuple[str, str]:
    """(for the ready file, for the terminal): the first carries `?key=` when a key protects the console.
    `public`: the host name other hosts use (service mode), else the bind address."""
    bare = (base_url(public, server.port) if public else server.url) + "/"
    return (f"{bare}?key={admin_key}" if admin_key else bare), bare


def add_console_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-console", action="store_true", help="do not serve the live console (console_url)")
    p.add_argument("--console-port", type=int, default=0, help="the live console's port (0 = let the OS pick)")


def stopping(*servers: Any) -> Callable[[], None]:
    """One stop callback for several servers (None entries skipped), in the order given."""
    def stop() -> None:
        for s in servers:
            if s is not None:
                s.stop()
    return stop


def stack_sources(stack: Any) -> Sources:
    """Everything `harness serve` runs in one process: both mocks over HTTP (their bind addresses, not the public
    name, which may only resolve elsewhere), the runner's outcomes directly."""
    def outcomes() -> list[dict[str, Any]]:
        runner = stack.runner
        if runner is None:
            return []
        rows: list[dict[str, Any]] = []
        for log_ in list(runner.outcomes.values()):
            rows.extend(log_.snapshot())
        return rows

    return Sources(lytics_url=stack.lytics.url, lytics_api_key=stack.api_key, ansira_url=stack.ansira.url,
                   admin_key=stack.admin_key, outcomes=outcomes)


def serve_console(args: argparse.Namespace, stack: Any, info: dict[str, Any], public: str | None
                  ) -> tuple[ServerThread | None, str]:
    """`harness serve`: start the console unless --no-console; put `console_url` in `info`; the line to print."""
    if args.no_console:
        return None, ""
    console = start_console(stack_sources(stack), host=args.host, port=args.console_port)
    info["console_url"], shown = console_urls(console, stack.admin_key, public=public)
    return console, f"console      {shown} (needs the admin key: open console_url from the ready file)"


def mock_console(args: argparse.Namespace, local_url: str, info: dict[str, Any], admin_key: str | None,
                 public: str | None) -> tuple[ServerThread | None, str]:
    """`harness mock ansira|lytics`: the console shows what that one mock holds."""
    if args.no_console:
        return None, ""
    if args.service == "ansira":
        sources = Sources(ansira_url=local_url, admin_key=admin_key)
    else:
        sources = Sources(lytics_url=local_url, lytics_api_key=info.get("lytics_api_key"), admin_key=admin_key)
    console = start_console(sources, host=args.host, port=args.console_port,
                            title=f"enrichsim console: mock {args.service}")
    info["console_url"], shown = console_urls(console, admin_key, public=public)
    return console, f"console on {shown}" + (" (needs the admin key: console_url in the ready file carries it)"
                                             if admin_key else "")
