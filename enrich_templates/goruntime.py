"""The Go runtime inside go-jsonnet, tuned for many small evaluations: a GC percent for the processes we start.

Every evaluation allocates a fresh VM and drops it, so the live heap stays near zero and Go's default (GOGC=100,
a 4 MB minimum heap goal) collects about every 5 ms during a backfill: `GODEBUG=gctrace=1` shows it, and the
runner's Go threads took ~17 % of its CPU. With GOGC=400 the goal is 16 MB, a quarter of the collections; a
5,000-user backfill ran 2-10 % faster with ~10 % less runner CPU (docs/performance.md). Go reads GOGC once,
from the environment the process was *started* with (a c-shared library takes it from the initial stack, not
from `os.environ`), so it can only be given to processes we start: `tuned_env` adds it unless the caller's
environment already says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping

GC_PERCENT = "400"


def tuned_env(env: Mapping[str, str]) -> dict[str, str]:
    """`env` for a child process that renders templates, with GOGC unless `env` sets it (the user's choice wins)."""
    return {"GOGC": GC_PERCENT, **env}
