"""A stop signal the kernel delivers to a thread other than the main one still stops a harness process.

Python runs signal handlers on the main thread only; the kernel may hand a process-directed signal to any thread
that does not block it. Here the main thread blocks SIGTERM, so another thread must take it: a main thread waiting
on a lock without a timeout would never run the handler (what left `harness serve` and `harness runner` running
after Ctrl-C/SIGTERM in CI, with their main thread in `wait_for_signal`).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import signal, sys, threading
from harness.cli_procs import catch_stop_signals, wait_for_signal
other = threading.Thread(target=threading.Event().wait, daemon=True)  # a thread that can take the signal
other.start()
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # ... and the main thread cannot
stop = catch_stop_signals()  # before announcing itself, as the harness commands do before their ready file
print("waiting", flush=True)
wait_for_signal(lambda: print("stopped", flush=True), stop)
"""


def test_sigterm_taken_by_another_thread_still_stops_the_process() -> None:
    proc = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "waiting"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out.strip() == "stopped"
