"""Start the live console beside `harness serve` / `harness mock`: its own loopback server, its URL for the ready
file (with the admin key, which the ready file holds anyway) and for the terminal (without it)."""

from __future__ import annotations

from typing import Any

from harness.pictures.console import create_app
from harness.pictures.console_data import Sources
from harness.servers import ServerThread


def start_console(sources: Sources, *, host: str = "127.0.0.1", port: int = 0, title: str = "enrichsim console"
                  ) -> ServerThread:
    return ServerThread(create_app(sources, title=title), host=host, port=port,
                        name="console").start(ready_path="/")  # 200, or 401 when a key guards it: up either way


def console_urls(server: ServerThread, admin_key: str | None) -> tuple[str, str]:
    """(for the ready file, for the terminal): the first carries `?key=` when a key protects the console."""
    bare = server.url + "/"
    return (f"{bare}?key={admin_key}" if admin_key else bare), bare


def stack_sources(stack: Any) -> Sources:
    """Everything `harness serve` runs in one process: both mocks over HTTP, the runner's outcomes directly."""
    info = stack.ready_info()

    def outcomes() -> list[dict[str, Any]]:
        runner = stack.runner
        if runner is None:
            return []
        rows: list[dict[str, Any]] = []
        for log_ in list(runner.outcomes.values()):
            rows.extend(log_.snapshot())
        return rows

    return Sources(lytics_url=info["lytics_url"], lytics_api_key=info["lytics_api_key"],
                   ansira_url=info["ansira_url"], admin_key=info["admin_key"], outcomes=outcomes)


def mock_sources(service: str, url: str, *, api_key: str | None, admin_key: str | None) -> Sources:
    """`harness mock ansira|lytics`: the console shows what that one mock holds."""
    if service == "ansira":
        return Sources(ansira_url=url, admin_key=admin_key)
    return Sources(lytics_url=url, lytics_api_key=api_key, admin_key=admin_key)
