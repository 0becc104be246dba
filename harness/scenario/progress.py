"""A live progress display for `harness run` on a terminal: how many scenarios are done, which one runs, its step.

Only on a TTY: CI logs get the report alone, never bars or carriage returns.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class RunProgress:
    def __init__(self, total: int, console: Console, stream: TextIO) -> None:
        self._stream = stream
        self._moved: list[logging.StreamHandler[TextIO]] = []
        self._progress = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.fields[scenario]}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True)
        self._task = self._progress.add_task("", total=total, scenario="")

    def __enter__(self) -> RunProgress:
        self._progress.start()
        # rich now proxies sys.stderr so text prints above the bar; log handlers on the same terminal follow it
        for h in logging.getLogger().handlers:
            if isinstance(h, logging.StreamHandler) and h.stream is self._stream and sys.stderr is not self._stream:
                h.setStream(sys.stderr)
                self._moved.append(h)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for h in self._moved:
            h.setStream(self._stream)
        self._moved.clear()
        self._progress.stop()

    def scenario(self, name: str) -> Callable[[str], None]:
        """Start showing `name`; the returned callback shows its current step."""
        self._progress.update(self._task, scenario=name, description="starting")
        return lambda msg: self._progress.update(self._task, description=msg)

    def finished(self, ok: bool) -> None:
        self._progress.update(self._task, description="passed" if ok else "[red]failed[/]")
        self._progress.advance(self._task)


def for_stream(stream: TextIO, total: int) -> RunProgress | None:
    """A progress display on `stream` when it is a terminal, else None."""
    if not stream.isatty():
        return None
    return RunProgress(total, Console(file=stream), stream)
