"""Evaluate untrusted templates in a child process that can be killed.

A go-jsonnet evaluation cannot be interrupted inside the process, so a runaway template (an enormous
std.range, say) can only be stopped by ending its process. The child (`python -m enrich_templates.isolate_child`)
reads one JSON request per line on stdin and answers one JSON Evaluation per line on stdout. It runs under an
address-space limit (memory_limit_mb beyond its warmed-up size), so a memory bomb kills the child (Go aborts
with "out of memory") instead of the machine. The parent kills the child when an answer is late and starts a
fresh one for the next call.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from enrich_templates.errors import TemplateInputError
from enrich_templates.outcome import Evaluation, synthetic_raw

_PROJECT_ROOT = str(Path(__file__).resolve().parents[1])  # the folder holding this package
CHILD_MODULE = "enrich_templates.isolate_child"
STARTUP_TIMEOUT_S = 60.0  # importing and warming up, on a loaded machine


class IsolatedRenderer:
    """One child process at a time, used by one caller at a time (calls are serialised)."""

    def __init__(self, *, max_stack: int, timeout_s: float, memory_limit_mb: int,
                 max_output_bytes: int = 0, handlers: Mapping[str, str] | None = None) -> None:
        """`handlers` maps a request `op` to a `module:function` the child imports before its memory cap (how the
        scenario loader renders scenarios here without this module knowing about scenarios)."""
        self.max_stack = max_stack
        self.handlers = dict(handlers or {})
        self.max_output_bytes = max_output_bytes
        self.timeout_s = timeout_s if timeout_s and timeout_s > 0 else None
        self.memory_limit_mb = memory_limit_mb
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: Any = None
        self._buffer = b""
        self._lock = threading.Lock()
        self._finalizer: weakref.finalize | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _start(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PROJECT_ROOT, env.get("PYTHONPATH", "")) if p)
        # Kept open for the child's lifetime (closed in _stop); a Go crash dump can exceed a pipe's buffer.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        args = [
            sys.executable,
            "-m",
            CHILD_MODULE,
            str(self.max_stack),
            str(self.memory_limit_mb),
            str(self.max_output_bytes),
            *(f"{op}={target}" for op, target in self.handlers.items()),
        ]
        self._proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            cwd=_PROJECT_ROOT,
        )
        self._buffer = b""
        # An engine dropped without close() must not leave a child (or a ResourceWarning) behind.
        self._finalizer = weakref.finalize(self, _reap, self._proc, self._stderr)
        return self._proc

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        self._proc = None
        if self._finalizer is not None:
            self._finalizer()  # kills and reaps the child, closes its pipes (runs at most once)
            self._finalizer = None

    def _crash_reason(self) -> str:
        if self._stderr is None or self._stderr.closed:
            return "the evaluation process died"
        self._stderr.seek(0)
        head = self._stderr.read(8192).decode("utf-8", "replace")
        if "out of memory" in head:
            return f"evaluation ran out of memory (limit {self.memory_limit_mb} MB)"
        first = head.strip().splitlines()[0] if head.strip() else "no message"
        return f"the evaluation process died: {first[:200]}"

    def evaluate(
        self,
        source: str,
        entity: Mapping[str, Any],
        job_config: Mapping[str, Any] | None,
        auth_config: Mapping[str, Any] | None,
        filename: str,
        trace: bool,
    ) -> Evaluation:
        request = {
            "source": source,
            "entity": dict(entity),
            "job_config": dict(job_config or {}),
            "auth_config": dict(auth_config or {}),
            "filename": filename,
            "trace": trace,
        }
        try:
            line = json.dumps(request).encode("utf-8") + b"\n"
        except (TypeError, ValueError) as exc:
            raise TemplateInputError(f"cannot pass the render inputs to the template: {exc}") from exc
        data, kind, message = self.ask(line, self.timeout_s)
        if data is None:
            return Evaluation(kind=kind, message=message, raw=synthetic_raw(message, filename))
        if "input_error" in data:
            raise TemplateInputError(data["input_error"])
        data["fields_read"] = tuple(data["fields_read"])
        return Evaluation(**data)

    def ask(self, line: bytes, timeout_s: float | None) -> tuple[dict[str, Any] | None, str, str]:
        """Send one request line; (answer, "", "") or (None, "timeout" | "eval", why) after killing the child."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._stop()
                started = self._start()
                if self._read_line(started, STARTUP_TIMEOUT_S) != b'{"ready": true}':
                    self._stop()
                    return None, "eval", f"the evaluation process did not start within {STARTUP_TIMEOUT_S:g}s"
            proc = self._proc
            assert proc is not None and proc.stdin is not None
            try:
                proc.stdin.write(line)
                proc.stdin.flush()
                answer = self._read_line(proc, timeout_s)
            except BrokenPipeError:
                answer = b""  # the child died before reading the request
            if answer is None or answer == b"":
                if answer is None:
                    message = f"evaluation did not finish within {timeout_s:g}s (process killed)"
                    kind = "timeout"
                else:
                    proc.wait()
                    message, kind = self._crash_reason(), "eval"
                self._stop()
                return None, kind, message
        return json.loads(answer), "", ""

    def _read_line(self, proc: subprocess.Popen[bytes], timeout_s: float | None) -> bytes | None:
        """One answer line; None on timeout, b'' if the child died."""
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                if not sel.select(remaining):
                    continue
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return b""
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line


def _reap(proc: subprocess.Popen[bytes], stderr: Any) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout, stderr):
        if stream is not None:
            stream.close()
