"""Measure the flake budget: the scenario library N times and the test suite M times, under CPU contention.

A CI tool that cries wolf is worse than none, so flakiness is measured rather than hoped for: busy-loop
processes compete for the cores (as other jobs do on a shared CI runner) while the library and the suite run
again and again, and every scenario, check or test whose verdict is not the same in every run is a flip.

    python tests/flake.py [--library-runs 10] [--suite-runs 3] [--busy 2] [--record docs/reliability.md]

Exit 0 when nothing flipped or failed, 1 otherwise. `--record` rewrites the block between the FLAKE markers of
the given Markdown file with this run's result (machine, load average, runs, flips).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- FLAKE:BEGIN -->", "<!-- FLAKE:END -->"
Verdicts = dict[str, list[bool]]  # item -> verdict of each run (True = passed)
Failures = dict[str, list[str]]  # item -> what each failing run said (the first lines of its message)
RunResult = dict[str, tuple[bool, str]]  # item -> (passed, why not)
OneRun = Callable[[Path, list[str]], RunResult]
MESSAGE_CHARS = 300


@contextmanager
def contention(n: int) -> Iterator[None]:
    """n processes that spin on a core each until the block ends."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def _short(text: str) -> str:
    return " ".join(text.split())[:MESSAGE_CHARS]


def library_run(out: Path, args: list[str]) -> RunResult:
    """One `harness run` over the library; verdicts per scenario and per check (name:index), with reasons."""
    subprocess.run([sys.executable, "-m", "harness", "run", *args, "--report", "json", "--out", str(out)],
                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    report = json.loads((out / "report.json").read_text())
    verdicts: RunResult = {}
    for sc in report["scenarios"]:
        failed = [c["name"] for c in sc.get("checks") or [] if not c["ok"]]
        why = sc.get("error") or ("failed checks: " + ", ".join(failed) if failed else "")
        verdicts[f"scenario {sc['file']}"] = (bool(sc["ok"]), _short(why))
        for i, check in enumerate(sc.get("checks") or []):
            detail = " ".join(str(d) for d in (check.get("details") or [])[:2])
            verdicts[f"  check {sc['name']}[{i}] {check['name']}"] = (bool(check["ok"]),
                                                                      _short(f"{check['reason']} {detail}"))
    return verdicts


def suite_run(out: Path, args: list[str]) -> RunResult:
    """One pytest run of the suite; verdicts per test node from its JUnit file, with the failure's message."""
    xml = out / "junit.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", f"--junitxml={xml}", *args],
                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    verdicts: RunResult = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        if case.find("skipped") is not None:
            continue
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        why = "" if bad is None else f"{bad.get('message') or ''} {(bad.text or '')[-MESSAGE_CHARS:]}"
        verdicts[f"{case.get('classname')}::{case.get('name')}"] = (bad is None, _short(why))
    return verdicts


def repeat(what: str, runs: int, one: OneRun, args: list[str]) -> tuple[Verdicts, Failures, list[float]]:
    seen: Verdicts = defaultdict(list)
    said: Failures = defaultdict(list)
    times: list[float] = []
    for i in range(runs):
        with tempfile.TemporaryDirectory(prefix="flake-") as tmp:
            t0 = time.monotonic()
            verdicts = one(Path(tmp), args)
            times.append(time.monotonic() - t0)
        for item, (ok, why) in verdicts.items():
            seen[item].append(ok)
            if not ok:
                said[item].append(why)
        bad = sorted(item.strip() for item, (ok, _) in verdicts.items() if not ok)
        print(f"{what} run {i + 1}/{runs}: {len(verdicts)} items, {len(bad)} failed, {times[-1]:.0f}s", flush=True)
        for item in bad:
            print(f"  failed: {item}", flush=True)
    return seen, said, times


def flips(seen: Verdicts, said: Failures, runs: int) -> list[tuple[str, str]]:
    """Items that did not pass in every run (a failure in some runs, or missing from some), with what the first
    failing run said: a flip found under contention must explain itself, the run's files are gone by then."""
    out = []
    for item, oks in sorted(seen.items()):
        failed = oks.count(False) + (runs - len(oks))
        if failed:
            first = said.get(item) or ["missing from a run"]
            out.append((f"{item.strip()}: failed {failed} of {runs}", first[0]))
    return out


def record(path: Path, text: str) -> None:
    doc = path.read_text()
    if BEGIN not in doc or END not in doc:
        raise SystemExit(f"{path}: no {BEGIN} ... {END} block to write the result into")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--library-runs", type=int, default=10)
    ap.add_argument("--suite-runs", type=int, default=3)
    ap.add_argument("--busy", type=int, default=2, help="busy-loop processes competing for the CPU")
    ap.add_argument("--library", default="scenarios/", help="what `harness run` is given")
    ap.add_argument("--suite", default="tests", help="what pytest is given")
    ap.add_argument("--suite-workers", type=int, default=6, help="pytest-xdist workers for the suite, as `make test` "
                    "runs it (1: one process)")
    ap.add_argument("--record", type=lambda s: Path(s) if s else None,
                    help="Markdown file whose FLAKE block gets this result ('': none)")
    a = ap.parse_args(argv)
    load_before = os.getloadavg()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip() or "unknown"
    started = datetime.now(UTC)
    with contention(a.busy):
        lib, lib_said, lib_t = repeat("library", a.library_runs, library_run, [a.library])
        workers = ["-n", str(a.suite_workers), "--dist", "worksteal"] if a.suite_workers > 1 else []
        suite, suite_said, suite_t = repeat("suite", a.suite_runs, suite_run, [*workers, a.suite])
    lib_flips, suite_flips = flips(lib, lib_said, a.library_runs), flips(suite, suite_said, a.suite_runs)
    lines = [
        f"Last `make flake`: {started:%Y-%m-%d %H:%M} UTC at commit {commit} on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} cores, Python {platform.python_version()}), load average before "
        f"{load_before[0]:.2f}, {a.busy} busy-loop processes competing throughout.",
        "",
        "| what | runs | items | median time | flips |",
        "|---|---|---|---|---|",
    ]
    for what, runs, seen, times, flipped in (
            (f"scenario library (`harness run {a.library}`), per scenario and check", a.library_runs, lib, lib_t,
             lib_flips),
            (f"test suite (`pytest {' '.join([*workers, a.suite])}`), per test", a.suite_runs, suite, suite_t,
             suite_flips)):
        if runs:
            lines.append(f"| {what} | {runs} | {len(seen)} | {median(times):.0f} s | {len(flipped)} |")
    if lib_flips or suite_flips:
        lines += ["", "Flipped (with what the first failing run said):", ""]
        for item, first in lib_flips + suite_flips:
            lines.append(f"- `{item}`: {first.replace('`', chr(39))}")
    text = "\n".join(lines)
    print("\n" + text)
    if a.record:
        record(a.record, text)
    return 1 if lib_flips or suite_flips else 0


if __name__ == "__main__":
    sys.exit(main())
