"""A stack that fails half-way through starting leaves no server behind; stopping an unstarted server is safe."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from harness.errors import ConfigError
from harness.httpserver import LeanServerThread
from harness.servers import ServerThread
from harness.stack import Stack


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_stack_that_cannot_bind_lytics_releases_ansira() -> None:
    ansira_port = _free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        stack = Stack(ansira_port=ansira_port, lytics_port=taken.getsockname()[1], start_runner=False)
        with pytest.raises(ConfigError, match=r"mock-lytics: cannot listen on 127.0.0.1:\d+"):
            stack.start()
    assert _bindable(ansira_port), "the mock Ansira server of a failed start still holds its port"


@pytest.mark.parametrize("kind", [ServerThread, LeanServerThread], ids=["werkzeug", "lean"])
def test_stop_on_a_server_that_never_started(kind: Callable[..., Any]) -> None:
    server = kind(Flask("x"), port=0)
    port = server.port
    done = threading.Event()
    t = threading.Thread(target=lambda: (server.stop(), done.set()), daemon=True)
    t.start()
    t.join(timeout=30)  # a deadlock guard, not a speed target: stop() used to wait forever here
    assert done.is_set(), "stop() on an unstarted server did not return"
    assert _bindable(port)
