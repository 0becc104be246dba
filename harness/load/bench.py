"""`python -m harness.load.bench`: the six end-to-end figures of docs/performance.md, on this machine.

1 raw capacity of mock Ansira on keep-alive loopback (blast client, own process; werkzeug shown for contrast)
2 enrichments/s of a 5,000-user backfill, no latency, no rate limit (and its ratio to 1)
3 the same with 50 ms Ansira latency and worker_count 20
4 rate-limit tracking: Ansira at 200/s, 6,000 users: achieved rate / limit, 429s, duration
5 real time: 200 new users/s for 30 s into an idle job: enrich latency p50/p99
6 runner peak RSS during a 100,000-user backfill
7 scaling: enrichments/s of a 50,000-user backfill over figure 2's 5,000, measured in the same repeat
Every part runs in its own process (harness load), so the figures measure the runner and the mocks, not pytest.
The results replace the block between the bench markers in docs/performance.md; the analysis around it stays.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from harness.load.procs import Processes
from harness.load.run import LoadOptions, LoadResult, LoadRun
from harness.load.spec import LoadSpec, load_spec
from harness.ready import AnsiraEndpoint
from harness.scenario import engine

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


@dataclass
class Figure:
    key: str
    title: str
    value: str  # the headline, formatted
    target: str
    met: bool | None  # None: no target
    details: dict[str, Any] = field(default_factory=dict)
    notes: str = ""
    primary: float | None = None  # the number repeats are compared by (the median run is the one reported)


# -- machine ------------------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
                  if ln.startswith("MemTotal"))
        ram = round(kb / 1024 / 1024, 1)
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": ram, "python": platform.python_version(),
            "platform": platform.platform(), "load_avg": [round(x, 2) for x in os.getloadavg()]}


# -- figure 1: raw capacity ---------------------------------------------------------------------------------
def capacity(server: str, *, connections: int, duration: float, work: Path) -> dict[str, Any]:
    env = dict(os.environ)
    procs = Processes(work, env)
    try:
        ready = work / f"capacity-{server}.ready.json"
        mock = procs.spawn(f"capacity-{server}", ["-m", "harness", "mock", "ansira", "--port", "0", "--server",
                                                  server, "--ready-file", str(ready)], ready_file=ready)
        ready.unlink()
        ansira = AnsiraEndpoint.from_document(mock.ready)
        mock.monitor()
        token = requests.post(ansira.token_url, data={"grant_type": "client_credentials"},
                              auth=(ansira.client_id, ansira.client_secret), timeout=10).json()["access_token"]
        before = mock.cpu_s or 0.0
        out = subprocess.run(
            [sys.executable, "-m", "harness.load.blast", "--url", ansira.user_url, "--token-env", "BLAST_TOKEN",
             "--source-code", ansira.source_code, "--connections", str(connections),
             "--duration", str(duration)],
            capture_output=True, text=True, env={**env, "BLAST_TOKEN": token}, timeout=duration + 60, check=True)
        result = json.loads(out.stdout)
        mock.stop()
        if mock.cpu_s is not None and result["requests"]:
            result["server_cpu_ms_per_request"] = round((mock.cpu_s - before) * 1000 / result["requests"], 3)
        return result
    finally:
        procs.close()


# -- figures 2-6: harness load runs -------------------------------------------------------------------------
def scenario_run(name: str, body: str, work: Path) -> LoadResult:
    """Render `body` (jsonnet, `a` = the library) in a throw-away scenarios folder and run it with harness load."""
    root = work / "scenarios"
    if not (root / "lib").exists():
        shutil.copytree(ROOT / "scenarios" / "lib", root / "lib")
    f = root / f"{name}.jsonnet"
    f.write_text("local a = import 'lib/ansira.libsonnet';\n" + body, encoding="utf-8")
    sc = engine.load(f)
    spec = load_spec(sc, file=str(f))
    print(f"  running {name} ...", file=sys.stderr, flush=True)
    return LoadRun(sc, spec, file=name, options=LoadOptions()).execute()


def backfill_body(name: str, users: int, workers: int, *, ansira: str = "{}", runner: str = "{}",
                  thresholds: str = "['lost_users == 0']") -> str:
    return f"""a.base {{
  name: '{name}', ansira+: {ansira}, runner: {runner},
  profiles+: {{ generate: {{ count: {users} }}, batch_size: 2000 }},
  lytics+: {{ jobs: [a.job(true, {workers})] }},
  steps: [{{ create_profiles: 'all' }}, {{ create_jobs: 'all' }}],
  load: {{ drain_timeout_s: 1800, thresholds: {thresholds} }},
}}"""


def _with(runner: str, extra: str) -> str:
    """Add a key to a jsonnet object literal of runner options."""
    inner = runner.strip()[1:-1].strip()
    return "{ " + (f"{inner}, " if inner else "") + extra + " }"


def _m(r: LoadResult, key: str) -> float | None:
    return r.metrics.get(key)


def _fmt(v: float | None, unit: str = "", digits: int = 0) -> str:
    return "no samples" if v is None else f"{v:,.{digits}f}{unit}"


def _details(r: LoadResult, *keys: str) -> dict[str, Any]:
    d: dict[str, Any] = {k: r.metrics.get(k) for k in keys}
    if r.errors:
        d["errors"] = r.errors
    return d


CPU_KEYS = ("runner_cpu_s", "ansira_cpu_s", "lytics_cpu_s", "cpu_ms_per_enrichment")


def run_figures(only: set[str], scale: float, work: Path, runner: str) -> list[Figure]:
    figs: list[Figure] = []
    cap_rps: float | None = None
    dur = max(2.0, 10.0 * scale)
    if "1" in only or "2" in only:
        caps = {name: capacity(name, connections=16, duration=dur, work=work)
                for name in ("lean", "werkzeug-keepalive", "waitress", "werkzeug")}
        cap_rps = float(caps["lean"]["requests_per_s"])
        others = ", ".join(f"{k} {_fmt(v['requests_per_s'], '/s')}" for k, v in caps.items() if k != "lean")
        figs.append(Figure("1", "raw capacity: mock Ansira requests/s, keep-alive loopback (lean server)",
                           f"{_fmt(cap_rps, '/s')} ({caps['lean'].get('server_cpu_ms_per_request')} ms CPU each)",
                           "-", None, caps, f"{others}; werkzeug closes every connection", primary=cap_rps))
    n = max(100, int(5000 * scale))
    eps_5k: float | None = None
    if "2" in only or "7" in only:
        r = scenario_run("bench_backfill", backfill_body("bench_backfill", n, 10, runner=runner), work)
        eps = eps_5k = _m(r, "enrichments_per_s")
    if "2" in only:
        ratio = (eps / cap_rps) if eps and cap_rps else None
        figs.append(Figure("2", f"end-to-end enrichments/s: {n:,} users backfilled, no latency, no limit",
                           f"{_fmt(eps, '/s')} ({_fmt(ratio, ' of (1)', 2)})", ">= 1,000/s and >= 0.5 of (1)",
                           bool(eps and eps >= 1000 and ratio and ratio >= 0.5),
                           {**_details(r, "enrichments_per_s", "enrich_span_s", "lost_users", *CPU_KEYS),
                            "ratio_to_1": ratio}, primary=ratio))
    if "7" in only:
        big = 10 * n
        r = scenario_run("bench_scaling", backfill_body("bench_scaling", big, 10, runner=runner), work)
        eps = _m(r, "enrichments_per_s")
        ratio = (eps / eps_5k) if eps and eps_5k else None
        figs.append(Figure("7", f"scaling: enrichments/s of a {big:,}-user backfill over the {n:,}-user one (2)",
                           f"{_fmt(eps, '/s')} ({_fmt(ratio, ' of (2)', 2)})", ">= 0.9 of (2)",
                           bool(ratio and ratio >= 0.9),
                           {**_details(r, "enrichments_per_s", "enrich_span_s", "lost_users", "runner_peak_rss_mb",
                                       *CPU_KEYS), "ratio_to_2": ratio, "eps_2": eps_5k}, primary=ratio))
    if "3" in only:
        r = scenario_run("bench_latency", backfill_body(
            "bench_latency", n, 20, runner=runner, ansira="{ latency: { kind: 'fixed', ms: 50 } }"), work)
        eps = _m(r, "enrichments_per_s")
        wide = scenario_run("bench_latency_unlanded", backfill_body(
            "bench_latency_unlanded", n, 20, runner=_with(runner, "max_unlanded: 200"),
            ansira="{ latency: { kind: 'fixed', ms: 50 } }"), work)
        figs.append(Figure("3", f"the same with 50 ms Ansira latency, worker_count 20 ({n:,} users)",
                           _fmt(eps, "/s"), ">= 300/s", bool(eps and eps >= 300),
                           {**_details(r, "enrichments_per_s", "enrich_span_s", "lost_users", *CPU_KEYS),
                            "max_unlanded_200": _details(wide, "enrichments_per_s", "enrich_span_s", "lost_users",
                                                         *CPU_KEYS)},
                           f"ceiling 20 workers / 50 ms = 400/s; with max_unlanded 200: "
                           f"{_fmt(_m(wide, 'enrichments_per_s'), '/s')}", primary=eps))
    if "4" in only:
        users = max(200, int(6000 * scale))
        limit = ("{ clients: [{ client_id: 'lytics-sim', "
                 "rate_limit: { kind: 'token_bucket', rate: 200, burst: 200 } }] }")
        r = scenario_run("bench_rate_limit", backfill_body("bench_rate_limit", users, 10, runner=runner,
                                                           ansira=limit), work)
        ratio = _m(r, "rate_ratio")
        lost = _m(r, "lost_users")
        figs.append(Figure("4", f"rate-limit tracking: Ansira at 200/s (burst 200), {users:,} users",
                           f"{_fmt(ratio, ' of the limit', 3)}, {_fmt(_m(r, 'ansira_429'))} 429s, "
                           f"{_fmt(_m(r, 'enrich_span_s'), ' s', 1)}, lost {_fmt(lost)}",
                           ">= 0.95 of the limit, zero lost", bool(ratio and ratio >= 0.95 and lost == 0),
                           _details(r, "achieved_rate", "rate_ratio", "ansira_429", "ansira_429_seen",
                                    "retry_after_violations", "enrich_span_s", "lost_users", "duplicate_calls"),
                           primary=ratio))
    if "5" in only:
        secs = max(3.0, 30.0 * scale)
        body = f"""a.base {{
  name: 'bench_realtime', runner: {runner}, profiles+: {{ generate: {{ count: 0 }} }},
  steps: [{{ create_jobs: 'all' }}],
  load: {{ arrival_rate: 200, duration_s: {secs:g}, drain_timeout_s: 120,
          thresholds: ['lost_users == 0', 'enrich_latency_p99_ms <= 250'] }},
}}"""
        r = scenario_run("bench_realtime", body, work)
        half = scenario_run("bench_realtime_100", body.replace("arrival_rate: 200", "arrival_rate: 100"), work)
        p50, p99 = _m(r, "enrich_latency_p50_ms"), _m(r, "enrich_latency_p99_ms")
        keys = ("enrich_latency_p50_ms", "enrich_latency_p95_ms", "enrich_latency_p99_ms", "enrich_latency_max_ms",
                "achieved_arrival_rate", "dropped_arrivals", "realtime_users", "realtime_enriched", "lost_users",
                "collect_p99_ms", "locust_cpu_s", *CPU_KEYS)
        figs.append(Figure("5", f"real time: 200 new users/s for {secs:g} s, idle job",
                           f"p50 {_fmt(p50, ' ms', 1)}, p99 {_fmt(p99, ' ms', 1)}", "p99 <= 250 ms",
                           bool(p99 is not None and p99 <= 250),
                           {**_details(r, *keys), "at_100_per_s": _details(half, *keys)},
                           f"at 100/s: p50 {_fmt(_m(half, 'enrich_latency_p50_ms'), ' ms', 1)}, "
                           f"p99 {_fmt(_m(half, 'enrich_latency_p99_ms'), ' ms', 1)}", primary=p99))
    if "6" in only:
        users = max(1000, int(100_000 * scale))
        r = scenario_run("bench_memory", backfill_body("bench_memory", users, 10, runner=runner), work)
        rss = _m(r, "runner_peak_rss_mb")
        figs.append(Figure("6", f"memory: runner peak RSS, {users:,}-user backfill", _fmt(rss, " MB"), "<= 300 MB",
                           bool(rss is not None and rss <= 300),
                           _details(r, "runner_peak_rss_mb", "enrichments_per_s", "enrich_span_s", "lost_users",
                                    *CPU_KEYS), primary=rss))
    return figs


def median_of(runs: list[list[Figure]]) -> list[Figure]:
    """One figure per key from repeated runs: the run whose primary number is the median (ratios stay those of
    one run, never a ratio of medians), with the spread of every run's primary number beside it."""
    merged: list[Figure] = []
    keys = list(dict.fromkeys(f.key for run in runs for f in run))
    for key in keys:
        repeats = [f for run in runs for f in run if f.key == key]
        if len(repeats) == 1:
            merged.append(repeats[0])
            continue
        ordered = sorted(repeats, key=lambda f: (f.primary is None, f.primary or 0.0))
        known = [f.primary for f in ordered if f.primary is not None]
        chosen = ordered[(len(known) - 1) // 2] if known else repeats[0]
        spread = f"{min(known):,.4g}-{max(known):,.4g}" if known else "no samples"
        merged.append(dataclasses.replace(
            chosen, value=f"{chosen.value}; median of {len(repeats)} (spread {spread})",
            details={**chosen.details, "repeats": [f.primary for f in repeats]}))
    return merged


# -- output ---------------------------------------------------------------------------------------------------
def table(figs: list[Figure]) -> str:
    rows = ["| # | figure | result | target | |", "|---|---|---|---|---|"]
    for f in figs:
        verdict = "-" if f.met is None else ("met" if f.met else "**missed**")
        note = f" ({f.notes})" if f.notes else ""
        rows.append(f"| {f.key} | {f.title}{note} | {f.value} | {f.target} | {verdict} |")
    return "\n".join(rows)


def busy_warning(load_before: float, max_load: float) -> str | None:
    """Why figures from this run would mislead (None on a quiet machine): other work competed for the cores."""
    if load_before <= max_load:
        return None
    return (f"**Measured on a busy machine: the load average before the run was {load_before:.2f} (over "
            f"{max_load:g}); these figures understate the code and must not be compared with quiet runs.**")


def block(figs: list[Figure], mach: dict[str, Any], load_after: list[float], started: str, runner: str,
          warning: str | None = None) -> str:
    lines = [BEGIN, f"Last run: {started} UTC, `python -m harness.load.bench` (`make bench`).", "",
             *([warning, ""] if warning else []),
             f"Machine: {mach['cpu']}, {mach['cores']} cores, {mach['ram_gb']} GB RAM, Python {mach['python']} "
             f"({mach['platform']}). Load average before: {mach['load_avg'][0]}, after: {load_after[0]}.",
             f"Runner options: `{runner}`. Mocks on the `{LoadSpec.model_fields['server'].default}` server "
             "(keep-alive); mocks, runner, locust and the blast client each in their own process.", "",
             table(figs), "", "<details><summary>raw figures (JSON)</summary>", "", "```json",
             json.dumps({f.key: f.details for f in figs}, indent=1, default=str), "```", "", "</details>", END]
    return "\n".join(lines)


def write_doc(path: Path, text: str) -> None:
    """Replace the bench block in `path`, keeping everything around it; create the file if needed."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + text + rest.split(END, 1)[1]
    else:
        new = (old.rstrip() + "\n\n" if old else "# Performance\n\n") + text + "\n"
    path.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None, *, out: Callable[[str], None] = print) -> int:
    p = argparse.ArgumentParser(prog="python -m harness.load.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--only", default="1,2,3,4,5,6,7", help="comma-separated figure numbers")
    p.add_argument("--scale", type=float, default=1.0, help="scale user counts and durations (smoke: 0.05)")
    p.add_argument("--doc", default=str(ROOT / "docs" / "performance.md"), help="markdown file to update ('' = none)")
    p.add_argument("--runner", default="{}", help="runner options for figures 2-6, as a jsonnet object")
    p.add_argument("--repeats", type=int, default=3, help="run every figure this many times and report the median "
                   "run with the spread (default 3)")
    p.add_argument("--max-load", type=float, default=1.0, help="write the docs block only when the 1-minute load "
                   "average before the run is at most this (default 1.0): figures from a busy machine mislead")
    p.add_argument("--force-doc", action="store_true", help="write the docs block even after a busy start, with a "
                   "warning at its top")
    args = p.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    mach = machine()
    out(f"machine: {mach['cpu']}, {mach['cores']} cores, {mach['ram_gb']} GB, Python {mach['python']}, "
        f"load average {mach['load_avg']}")
    runs = []
    for i in range(args.repeats):
        out(f"repeat {i + 1} of {args.repeats}")
        with tempfile.TemporaryDirectory(prefix="enrichsim-bench-") as tmp:
            runs.append(run_figures(only, args.scale, Path(tmp), args.runner))
    figs = median_of(runs)
    load_after = [round(x, 2) for x in os.getloadavg()]
    out(table(figs))
    for f in figs:
        if f.details.get("errors"):
            out(f"figure {f.key} errors: {f.details['errors']}")
    warning = busy_warning(mach["load_avg"][0], args.max_load)
    if args.doc and warning and not args.force_doc:
        out(f"NOT written to {args.doc}: the load average before the run was {mach['load_avg'][0]:.2f}, over "
            f"--max-load {args.max_load:g}; rerun on a quiet machine (or pass --force-doc to record it, marked)")
    elif args.doc:
        write_doc(Path(args.doc), block(figs, mach, load_after, started, args.runner, warning))
        out(f"written to {args.doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
