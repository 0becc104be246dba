"""Child processes of a load run: start with a ready file, watch CPU and memory, stop with SIGTERM.

Every child writes stdout and stderr to a log file in the run folder (no pipes to fill up and block it), and
gets its secrets through environment variables only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import RemoteError
from harness.redact import REDACTOR

try:
    import psutil
except ImportError:  # psutil is a dev dependency: without it, CPU and memory figures have no samples
    psutil = None  # type: ignore[assignment]


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    ready: dict[str, Any] = field(default_factory=dict)
    cpu_s: float | None = None  # user + system, read when it is stopped
    peak_rss: int | None = None
    exited_at: float | None = None  # epoch seconds, seen by the monitor (for children that end by themselves)
    _sampler: threading.Thread | None = None
    _sampling: threading.Event = field(default_factory=threading.Event)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return REDACTOR("\n".join(text.splitlines()[-lines:]))

    def monitor(self, interval_s: float = 0.1) -> None:
        """Track peak RSS and CPU time in a thread until the child stops (the last sample stands for a child
        that exits by itself, whose counters vanish with it)."""
        if psutil is None:
            return
        try:
            ps = psutil.Process(self.pid)
        except psutil.Error:
            return

        def run() -> None:
            while not self._sampling.is_set():
                if self.proc.poll() is not None:
                    self.exited_at = self.exited_at or time.time()
                    return
                try:
                    rss = ps.memory_info().rss
                    t = ps.cpu_times()
                except psutil.Error:
                    return
                self.peak_rss = max(self.peak_rss or 0, rss)
                self.cpu_s = t.user + t.system
                self._sampling.wait(interval_s)

        self._sampler = threading.Thread(target=run, name=f"rss-{self.name}", daemon=True)
        self._sampler.start()

    def _read_cpu(self) -> None:
        if psutil is None or not self.alive():
            return
        try:
            t = psutil.Process(self.pid).cpu_times()
            self.cpu_s = t.user + t.system
        except psutil.Error:
            pass

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait up to `timeout`, then SIGKILL. Returns the exit code."""
        self._read_cpu()
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._sampling.set()
        if self._sampler is not None:
            self._sampler.join(2)
        return self.proc.returncode

    def wait(self, timeout: float) -> int | None:
        """Wait for a child that ends by itself (locust); its exit code, or None after `timeout`."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self.exited_at = self.exited_at or time.time()
        self._sampling.set()
        if self._sampler is not None:
            self._sampler.join(2)
        return code


class Processes:
    """Owns every child of a run; `close()` stops them all, newest first."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.children: list[Child] = []

    def spawn(self, name: str, args: list[str], *, ready_file: Path | None = None, timeout: float = 30.0,
              extra_env: dict[str, str] | None = None) -> Child:
        log_path = self.workdir / f"{name}.log"
        env = {**self.env, **(extra_env or {})}
        with log_path.open("wb") as log:
            proc = subprocess.Popen([sys.executable, *args], stdout=log, stderr=subprocess.STDOUT, env=env,
                                    cwd=os.getcwd(), start_new_session=True)
        child = Child(name, proc, log_path)
        self.children.append(child)
        if ready_file is not None:
            child.ready = wait_ready_file(ready_file, child, timeout)
        return child

    def close(self) -> None:
        for child in reversed(self.children):
            child.stop()


def wait_ready_file(path: Path, child: Child, timeout: float) -> dict[str, Any]:
    """Wait until the child wrote its ready file (it writes it atomically once it answers), or fail with its log."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
        if not child.alive():
            raise RemoteError(f"{child.name} exited with code {child.proc.returncode} before it was ready:\n"
                              f"{child.log_tail()}")
        if time.monotonic() > deadline:
            raise RemoteError(f"{child.name} was not ready after {timeout:.0f}s:\n{child.log_tail()}")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
