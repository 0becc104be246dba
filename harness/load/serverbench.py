"""`python -m harness.load.serverbench`: both mocks' raw capacity on every HTTP server option, measured in one run.

Each (server, mock) pair gets a process of its own hosting the same app object built the same way
(`harness.load.serverbench host SERVER MOCK PORT`), and the blast client (`harness.load.blast`, its own process)
keeps `--connections` keep-alive connections busy for `--duration` seconds: mock Ansira's user upsert, mock Lytics'
collect. Pairs are interleaved and repeated (`--repeats`), so a machine that gets busier part-way hurts every
server alike; the table shows each pair's median requests/s, the spread (min-max) and the server's CPU per request.
Servers that are not installed (granian, cheroot, gunicorn: `pip install enrichsim[bench]`) are listed as such.

Servers: the harness's own options (`werkzeug`, `werkzeug-keepalive`, `waitress`, `lean`; each with the strict
framing of harness.framing in front) and three well-kept servers run bare (`granian`: Rust, WSGI interface, one
worker; `cheroot`: CherryPy's server; `gunicorn` with gthread workers, one process). Every one gets `--threads`
threads for the app. Secrets travel by environment, never argv.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests

from harness.cli_procs import wait_for_signal
from harness.servers import SERVERS, server_thread

OWN = tuple(SERVERS)
EXTERNAL = ("granian", "cheroot", "gunicorn")
MOCKS = ("ansira", "lytics")
SECRET_ENV, KEY_ENV = "ENRICHSIM_BENCH_SECRET", "ENRICHSIM_BENCH_KEY"
CLIENT_ID, SOURCE_CODE = "bench-client", "BENCH"
READY_TIMEOUT_S = 30.0


# -- the apps, built identically for every server ---------------------------------------------------------------
def ansira() -> Any:
    from mock_ansira import create_app

    return create_app({"BEHAVIOUR": {"clients": [{"client_id": CLIENT_ID, "client_secret": os.environ[SECRET_ENV]}],
                                     "source_codes": [SOURCE_CODE]}, "JOURNAL_BODIES": 0})


def lytics() -> Any:
    from mock_lytics import create_app

    return create_app({"API_KEY": os.environ[KEY_ENV]})


APPS = {"ansira": ansira, "lytics": lytics}


def host(server: str, mock: str, port: int, threads: int) -> None:
    """Serve one mock on one of the servers that run in this process, until SIGTERM."""
    app = APPS[mock]()
    if server == "cheroot":
        from cheroot import wsgi

        srv = wsgi.Server(("127.0.0.1", port), app, numthreads=threads)
        signal.signal(signal.SIGTERM, lambda *_: srv.stop())
        srv.safe_start()
        return
    thread = server_thread(app, server=server, port=port, threads=threads, name=f"bench-{mock}")
    thread.start()
    wait_for_signal(thread.stop)


def _command(server: str, mock: str, port: int, threads: int) -> list[str]:
    if server == "granian":
        return [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                "--workers", "1", "--blocking-threads", str(threads), "--no-access-log", "--log-level", "warning",
                "--factory", f"harness.load.serverbench:{mock}"]
    if server == "gunicorn":
        return [sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", "1", "--threads", str(threads), "-b",
                f"127.0.0.1:{port}", "--log-level", "warning", f"harness.load.serverbench:{mock}()"]
    return [sys.executable, "-m", "harness.load.serverbench", "host", server, mock, str(port), str(threads)]


def installed(server: str) -> bool:
    return server in OWN or importlib.util.find_spec(server) is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(proc: subprocess.Popen[bytes], url: str) -> None:
    """Poll the mock's health path until it answers (readiness, not a fixed sleep); fail fast if it died."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before it answered {url}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"no answer from {url} within {READY_TIMEOUT_S:.0f} s")


@dataclass
class Sample:
    requests_per_s: float
    cpu_ms_per_request: float | None
    errors: int
    statuses: dict[str, int] = field(default_factory=dict)


def measure(server: str, mock: str, *, connections: int, duration: float, threads: int,
            env: dict[str, str]) -> Sample:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(_command(server, mock, port, threads), env=env, stdout=subprocess.DEVNULL)
    try:
        _wait_ready(proc, base + "/__admin/health")
        if mock == "ansira":
            token = requests.post(base + "/service/oauth/v2/token", data={"grant_type": "client_credentials"},
                                  auth=(CLIENT_ID, env[SECRET_ENV]), timeout=10).json()["access_token"]
            url = base + "/service/api/v2/user"
        else:
            token, url = env[KEY_ENV], base + "/collect/json/bench"
        server_proc = psutil.Process(proc.pid)
        before = _cpu(server_proc)
        out = subprocess.run([sys.executable, "-m", "harness.load.blast", "--url", url, "--token-env", "BLAST_TOKEN",
                              "--source-code", SOURCE_CODE, "--connections", str(connections), "--duration",
                              str(duration)], capture_output=True, text=True, env={**env, "BLAST_TOKEN": token},
                             timeout=duration + 60, check=True)
        cpu = _cpu(server_proc) - before
        result = json.loads(out.stdout)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    done = int(result["requests"])
    return Sample(float(result["requests_per_s"]), round(cpu * 1000 / done, 3) if done else None,
                  int(result["errors"]), {str(k): v for k, v in result["statuses"].items()})


def _cpu(proc: psutil.Process) -> float:
    """CPU seconds of the server and its children (gunicorn's and granian's workers)."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def run(servers: list[str], *, repeats: int, connections: int, duration: float, threads: int
        ) -> dict[tuple[str, str], list[Sample]]:
    env = {**os.environ, SECRET_ENV: secrets.token_urlsafe(24), KEY_ENV: secrets.token_urlsafe(24)}
    samples: dict[tuple[str, str], list[Sample]] = {}
    for r in range(repeats):
        for server in servers:
            for mock in MOCKS:
                s = measure(server, mock, connections=connections, duration=duration, threads=threads, env=env)
                samples.setdefault((server, mock), []).append(s)
                print(f"  repeat {r + 1}/{repeats} {server:>18} {mock:>6}: {s.requests_per_s:>8,.0f}/s "
                      f"{s.cpu_ms_per_request} ms CPU each, {s.errors} errors, {s.statuses}", file=sys.stderr,
                      flush=True)
    return samples


def table(samples: dict[tuple[str, str], list[Sample]], missing: list[str]) -> str:
    lines = ["| server | mock Ansira upsert/s (min-max) | CPU ms/request | mock Lytics collect/s (min-max) | "
             "CPU ms/request |", "|---|---|---|---|---|"]
    for server in dict.fromkeys(s for s, _ in samples):
        cells = [f"`{server}`"]
        for mock in MOCKS:
            got = samples[(server, mock)]
            rates = [s.requests_per_s for s in got]
            cpus = [s.cpu_ms_per_request for s in got if s.cpu_ms_per_request is not None]
            bad = sum(s.errors for s in got) + sum(n for s in got for k, n in s.statuses.items() if k[0] != "2")
            note = f" ({bad} non-2xx/errors)" if bad else ""
            cells += [f"{statistics.median(rates):,.0f} ({min(rates):,.0f}-{max(rates):,.0f}){note}",
                      f"{statistics.median(cpus):.3f}" if cpus else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [f"| `{server}` | not installed | | | |" for server in missing]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["host"]:
        host(argv[1], argv[2], int(argv[3]), int(argv[4]))
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--servers", default=",".join((*OWN, *EXTERNAL)))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--duration", type=float, default=3.0)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--json", help="also write every sample here")
    args = p.parse_args(argv)
    wanted = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in (*OWN, *EXTERNAL)]
    if unknown:
        p.error(f"unknown server(s) {', '.join(unknown)}; expected some of {', '.join((*OWN, *EXTERNAL))}")
    present = [s for s in wanted if installed(s)]
    load_before = os.getloadavg()
    samples = run(present, repeats=args.repeats, connections=args.connections, duration=args.duration,
                  threads=args.threads)
    print(f"{os.cpu_count()} cores, load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}; "
          f"{args.repeats} repeats x {args.duration:g} s, {args.connections} connections, {args.threads} threads")
    print(table(samples, [s for s in wanted if s not in present]))
    if args.json:
        Path(args.json).write_text(json.dumps({f"{s}/{m}": [vars(x) for x in v] for (s, m), v in samples.items()},
                                              indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
