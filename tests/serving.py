"""`harness serve` in a process of its own, for tests that need the whole stack as a user runs it.

One place that starts it and waits for its ready file (written atomically once every part answers), so each test
neither re-implements the wait nor leaves a stack behind.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def start_serve(ready: Path, *extra: str, env: dict[str, str] | None = None,
                timeout: float = 60) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start `harness serve --ready-file READY EXTRA...`; return the process and its ready info once it is up."""
    proc = subprocess.Popen([sys.executable, "-m", "harness", "serve", "--ready-file", str(ready), *extra],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    while not ready.exists():
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"harness serve exited early ({proc.returncode}): {err[-2000:]}")
        if time.monotonic() >= deadline:
            stop_serve(proc)
            raise AssertionError(f"harness serve wrote no ready file within {timeout:.0f}s")
        time.sleep(0.05)
    return proc, json.loads(ready.read_text(encoding="utf-8"))


def stop_serve(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """Stop it as a user does (Ctrl-C); its stdout and stderr."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        # Take every thread's stack (SIGUSR1, harness/cli_procs.py) and kill it, so that neither the cause is
        # lost nor a live process left to warn in whichever test runs next; communicate() keeps what it read.
        proc.send_signal(signal.SIGUSR1)
        try:
            proc.communicate(timeout=3)  # it will not end by itself: this only collects the stacks
        except subprocess.TimeoutExpired:
            pass
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"harness serve did not stop within 30 s of Ctrl-C; its stderr, with every thread's "
                             f"stack at the end:\n{(err or '')[-12_000:]}") from None
    return out or "", err or ""


@contextmanager
def serving(tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> Iterator[tuple[Path, dict[str, Any]]]:
    """A running stack for the block: its ready file and ready info."""
    ready = tmp_path / "ready.json"
    proc, info = start_serve(ready, *extra, env=env)
    try:
        yield ready, info
    finally:
        stop_serve(proc)
