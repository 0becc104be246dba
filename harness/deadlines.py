"""A request must arrive whole within the idle timeout of its first byte: a client that drips it holds no thread.

The blocking servers (werkzeug's handlers and lean) read with a per-receive timeout, which a client sending a byte
now and then never meets (slowloris): each such connection held a thread for as long as the client liked. One
watchdog thread per process shuts such a connection down (both directions: the blocked read returns and the
handler ends) when its request line, headers and body have not all arrived in time. The app's own time (an injected
latency, a hang fault) does not count: the deadline is disarmed once the body is read. waitress checks the same
bound in its parser (harness/framing_waitress.py).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import socket
import threading
import time

log = logging.getLogger("harness.servers")


class RequestDeadlines:
    """Armed per request, disarmed once it is read; fires at most once per arming."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._live: dict[int, tuple[float, socket.socket]] = {}
        self._tokens = itertools.count(1)
        self._thread: threading.Thread | None = None
        self.fired = 0

    def arm(self, conn: socket.socket, seconds: float) -> int:
        token = next(self._tokens)
        due = time.monotonic() + seconds
        with self._cond:
            self._live[token] = (due, conn)
            heapq.heappush(self._heap, (due, token))
            if len(self._heap) > 2 * len(self._live) + 1024:  # disarmed entries pile up: rebuild from the live
                self._heap = [(d, t) for t, (d, _) in self._live.items()]
                heapq.heapify(self._heap)
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="request-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0][1] == token:
                self._cond.notify()
        return token

    def disarm(self, token: int | None) -> None:
        if token is not None:
            with self._cond:
                self._live.pop(token, None)

    def _watch(self) -> None:
        while True:
            with self._cond:
                while True:
                    while self._heap and self._heap[0][1] not in self._live:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._cond.wait()
                        continue
                    due, token = self._heap[0]
                    left = due - time.monotonic()
                    if left <= 0:
                        heapq.heappop(self._heap)
                        _, conn = self._live.pop(token)
                        self.fired += 1
                        break
                    self._cond.wait(left)
            log.info("closed a connection whose request did not arrive within the idle timeout (a slow sender)")
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already gone


DEADLINES = RequestDeadlines()
"""The process' watchdog: every blocking server shares it (one thread, started on first use)."""
