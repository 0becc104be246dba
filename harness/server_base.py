"""What every background server thread shares (werkzeug, waitress, lean), and waiting for readiness.

Its own module so harness.servers (which picks a server by name) and harness.httpserver (the lean server) both
build on it without importing each other.
"""

from __future__ import annotations

import threading
import time
from typing import Self

import requests


class BackgroundServer:
    """What every server thread shares: a URL, start-and-wait-for-readiness, and use as a context manager.

    Subclasses set `host`, `port` and `_thread` (the serve loop, not started) and implement `stop()`.
    """

    host: str
    port: int
    _thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, *, ready_path: str | None = None, timeout: float = 10.0) -> Self:
        self._thread.start()
        if ready_path is not None:
            wait_ready(self.url + ready_path, timeout=timeout)
        return self

    def stop(self) -> None:
        raise NotImplementedError

    def _join(self) -> None:
        if self._thread.ident is not None:  # a thread that never started cannot be joined
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        """`with server:` starts it; `with server.start(ready_path=...):` (already started) just enters."""
        return self if self._thread.ident is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_ready(url: str, *, timeout: float = 10.0, headers: dict[str, str] | None = None) -> None:
    """Poll `url` until it answers with any HTTP status below 500; raise TimeoutError after `timeout`.

    The poll interval backs off from 5 ms, so a fast server is seen almost at once.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    last: Exception | None = None
    while True:
        try:
            resp = requests.get(url, timeout=1.0, headers=headers)
            if resp.status_code < 500:
                return
            last = RuntimeError(f"HTTP {resp.status_code}")
        except requests.RequestException as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{url} not ready after {timeout:.1f}s: {last}")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
