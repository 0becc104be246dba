"""Run a list of scenarios: one after another in this process, or several at once, each in a process of its own.

Most of a scenario's wall time is waiting the simulator itself schedules (Retry-After holds, backoff, token
lifetimes, long polls), so scenarios overlap well; in one process they would also share one core (the GIL), so
each concurrent scenario runs in a worker process that shares nothing with the others (its own stack on its own
ports, its own redactor and template children). Results come back in the order the files were given, whatever
order they finish in, and nothing is lost: a scenario that could not run, or whose worker died, is reported so.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from enrich_templates.goruntime import GC_PERCENT
from harness.errors import ConfigError
from harness.redact import REDACTOR, log_to_stderr
from harness.scenario import model as m
from harness.scenario.engine import ScenarioResult, ScenarioRun
from harness.scenario.progress import RunProgress
from harness.scenario.report_ci import not_run

PER_CORE = 2  # scenarios wait far more than they compute: two per core keep both cores busy
Scenarios = Sequence[tuple[Path, m.Scenario]]


def default_jobs(count: int) -> int:
    """Up to PER_CORE scenarios per core, never more than there are scenarios."""
    return max(1, min(count, PER_CORE * (os.cpu_count() or 1)))


@dataclass
class Finished:
    """One scenario's end: its result, or why it could not run (the CLI's exit 2), as text that crosses processes."""

    result: ScenarioResult | None
    unrunnable: str | None = None
    secrets: tuple[str, ...] = ()  # what the worker's redactor learnt (its stack's keys and tokens)


def run_all(scenarios: Scenarios, *, jobs: int, overrides: dict[str, Any], target: dict[str, Any] | None = None,
            live: RunProgress | None = None) -> tuple[list[ScenarioResult], list[ConfigError]]:
    """Every scenario's result in file order, and the errors of those that could not run."""
    if jobs > 1 and target is None:
        ends = run_parallel(scenarios, jobs=jobs, overrides=overrides, live=live)
    else:
        ends = [_run_here(f, sc, overrides, target, live) for f, sc in scenarios]
    results: list[ScenarioResult] = []
    unrunnable: list[ConfigError] = []
    for (f, sc), end in zip(scenarios, ends, strict=True):
        if end.result is not None:
            results.append(end.result)
            continue
        message = end.unrunnable or "could not run"
        unrunnable.append(ConfigError(message))
        results.append(not_run(str(f), message))
        results[-1].name = sc.name
    return results, unrunnable


def _run_here(file: Path, sc: m.Scenario, overrides: dict[str, Any], target: dict[str, Any] | None = None,
              live: RunProgress | None = None) -> Finished:
    step = live.scenario(sc.name) if live else None
    try:
        end = Finished(ScenarioRun(sc, file=str(file), progress=step, runner_overrides=overrides,
                                   target=target).execute())
    except ConfigError as exc:  # could not run (stack did not start, Lytics refused the set-up): exit 2
        end = Finished(None, str(exc))
    if live:
        live.finished(end.result is not None and end.result.ok)
    return end


def _run_in_worker(scenario: m.Scenario, file: str, overrides: dict[str, Any]) -> Finished:
    end = _run_here(Path(file), scenario, overrides)
    if end.unrunnable:
        end.unrunnable = REDACTOR(end.unrunnable)
    end.secrets = REDACTOR.known()  # the parent writes the reports: it must mask what this stack used
    return end


def _collect(future: Future[Finished], item: tuple[Path, m.Scenario]) -> Finished:
    """A worker that died (killed, out of memory) fails its scenario visibly instead of losing it."""
    try:
        return future.result()
    except Exception as exc:  # BrokenProcessPool, or anything else the pool hands back
        result = not_run(str(item[0]), f"the scenario's worker process failed: {REDACTOR(str(exc))}")
        result.name = item[1].name
        return Finished(result)


def run_parallel(scenarios: Scenarios, *, jobs: int, overrides: dict[str, Any],
                 live: RunProgress | None = None) -> list[Finished]:
    """Each scenario in a worker process, at most `jobs` at once."""
    level = logging.getLogger().getEffectiveLevel()
    context = multiprocessing.get_context("spawn")  # never fork a process that runs threads (servers, pools)
    os.environ.setdefault("GOGC", GC_PERCENT)  # a spawned worker's Go runtime reads it at start (goruntime)
    done: dict[int, Finished] = {}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=log_to_stderr,
                             initargs=(level,)) as pool:
        pending = {pool.submit(_run_in_worker, sc, str(f), overrides): i for i, (f, sc) in enumerate(scenarios)}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    index = pending.pop(future)
                    done[index] = end = _collect(future, scenarios[index])
                    REDACTOR.add(*end.secrets)
                    if live:
                        live.scenario(scenarios[index][1].name)("ended")
                        live.finished(end.result is not None and end.result.ok)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return [done[i] for i in range(len(scenarios))]
