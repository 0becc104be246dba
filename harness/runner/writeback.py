"""Batches enrichment responses onto the job's stream; a user counts as enriched only once this lands."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from harness.errors import RemoteError
from harness.redact import REDACTOR
from harness.runner.lytics import LyticsClient
from harness.runner.pacing import backoff_delay

log = logging.getLogger("harness.runner.writeback")

Landed = Callable[[list[Any], float], None]
Lost = Callable[[list[Any], str], None]


class WriteBack:
    """A flusher thread: sends when `batch_size` (or `flush_at`: every worker waiting) events wait, or `linger_s`
    passed since the first one.

    Failed posts are retried with backoff until they land or the job stops; nothing is dropped (the users stay
    pending and visible). A batch lands only on the Lytics `instance` the job lives in: after a restart the mock
    is empty (no job, no mappings), so a batch for it is not sent, or if it was, not counted (`on_lost`).
    """

    def __init__(self, client: LyticsClient, stream: str, on_landed: Landed, *, batch_size: int = 100,
                 linger_s: float = 0.01, stop: threading.Event, flush_at: int | None = None,
                 instance: str | None = None, on_lost: Lost | None = None) -> None:
        self._client = client
        self._instance = instance
        self._on_lost = on_lost
        self._stream = stream
        self._on_landed = on_landed
        self._batch_size = batch_size
        self._flush_at = min(batch_size, flush_at or batch_size)
        self._linger = linger_s
        self._stop = stop
        self._cond = threading.Condition()
        self._events: list[dict[str, Any]] = []
        self._tags: list[Any] = []
        self._first_at = 0.0
        self._busy = False
        self.failures = 0
        self.posts = 0
        self._thread = threading.Thread(target=self._loop, name=f"writeback-{stream}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, event: dict[str, Any], tag: Any) -> None:
        with self._cond:
            if not self._events:
                self._first_at = time.monotonic()
            self._events.append(event)
            self._tags.append(tag)
            self._cond.notify_all()

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._events) + (1 if self._busy else 0)

    def join(self, timeout: float) -> None:
        """Wait for the flusher to end (set `stop` first): it is woken at once, not at its next poll."""
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout)

    def _take(self) -> tuple[list[dict[str, Any]], list[Any]] | None:
        with self._cond:
            while True:
                if self._events:
                    due = self._first_at + self._linger
                    now = time.monotonic()
                    if len(self._events) >= self._flush_at or now >= due or self._stop.is_set():
                        events, tags = self._events[: self._batch_size], self._tags[: self._batch_size]
                        del self._events[: self._batch_size]
                        del self._tags[: self._batch_size]
                        if self._events:
                            self._first_at = time.monotonic()
                        self._busy = True
                        return events, tags
                    self._cond.wait(due - now)
                elif self._stop.is_set():
                    return None
                else:
                    self._cond.wait(0.25)

    def _loop(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            events, tags = batch
            lost = self._post(events, len(tags))
            with self._cond:
                self._busy = False
            if lost is not None and tags:
                if self._on_lost is not None:
                    self._on_lost(tags, lost)
            elif lost is None and tags:
                self._on_landed(tags, time.time())

    def _post(self, events: list[dict[str, Any]], users: int) -> str | None:
        """None when the batch landed where the job lives; else why it did not (the users stay pending)."""
        attempt = 0
        while True:
            attempt += 1
            now_on = self._client.instance
            if self._instance and now_on and now_on != self._instance:
                return f"Lytics restarted (instance {self._instance} -> {now_on}) and lost the job; not written back"
            try:
                landed_on = self._client.collect(self._stream, events)
            except RemoteError as exc:
                self.failures += 1
                # retried until it lands (the users stay pending meanwhile): INFO, counted in `failures`
                log.info("write-back to stream %s failed (attempt %d): %s", self._stream, attempt, REDACTOR(exc))
                if self._stop.is_set() and attempt >= 3:
                    log.error("giving up write-back of %d users at shutdown; they stay pending", users)
                    return "write-back given up at shutdown"
                time.sleep(backoff_delay(attempt, base=0.05, cap=2.0))
                continue
            self.posts += 1
            if self._instance and landed_on and landed_on != self._instance:
                return (f"written to a restarted Lytics (instance {landed_on}, the job lived in {self._instance}) "
                        "that no longer has the job or its mappings: not enriched")
            return None
