"""Real processes for the crash, stop and secrets tests: `harness mock lytics|ansira` and `harness runner`.

Credentials travel as environment variables and 0600 ready files, as in production use of the CLI; every wait is
a poll of a condition under a deadline, never a fixed sleep.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.http import ServiceSession, lytics_session
from harness.scenario import model as m
from harness.scenario.engine import ScenarioRun

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "ansira_enrichment_source"


def wait_for(what: str, cond: Callable[[], Any], timeout: float, *, every: float = 0.02) -> Any:
    """Poll `cond` until it returns something truthy; AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout:g}s waiting for {what}"
        time.sleep(every)


def wait_stable(what: str, read: Callable[[], Any], timeout: float, *, polls: int = 3, every: float = 0.1) -> Any:
    """Poll `read` until it returns the same value `polls` times in a row (e.g. a journal nobody adds to)."""
    deadline = time.monotonic() + timeout
    last, same = read(), 1
    while same < polls:
        assert time.monotonic() < deadline, f"timed out after {timeout:g}s waiting for {what} to settle"
        time.sleep(every)
        value = read()
        same = same + 1 if value == last else 1
        last = value
    return last


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    ready: Path

    def info(self, timeout: float = 30.0) -> dict[str, Any]:
        def ready() -> bool:
            assert self.popen.poll() is None, f"{self.name} exited early: {self.log.read_text()[-2000:]}"
            return self.ready.exists()

        wait_for(f"{self.name} ready file", ready, timeout)
        return json.loads(self.ready.read_text())

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} did not stop within {timeout:g}s of signal {sig}; its threads and "
                                 f"log:\n{self.stacks()}") from None

    def stacks(self) -> str:
        """The process's log after it printed every thread's stack (SIGUSR1, harness/cli_procs.py)."""
        size = self.log.stat().st_size
        self.popen.send_signal(signal.SIGUSR1)
        wait_for("a stack dump", lambda: "Current thread" in self.log.read_text(errors="replace")[size:],
                 timeout=10)
        return self.log.read_text(errors="replace")[-12_000:]


@dataclass
class Cluster:
    """Both mocks and any number of runners as separate processes, sharing one API key and one admin key."""

    tmp: Path
    env: dict[str, str] = field(default_factory=dict)
    procs: list[Proc] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.api_key = "lk_" + secrets.token_urlsafe(24)
        self.admin_key = "adm_" + secrets.token_urlsafe(16)
        self.env = {**os.environ, "REL_LYTICS_KEY": self.api_key, "REL_ADMIN_KEY": self.admin_key,
                    "PYTHONPATH": str(ROOT)}

    def spawn(self, name: str, *args: str) -> Proc:
        log = self.tmp / f"{name}.log"
        ready = self.tmp / f"{name}.ready.json"
        with log.open("wb") as fh:
            popen = subprocess.Popen([sys.executable, "-m", "harness", *args, "--ready-file", str(ready)],
                                     cwd=ROOT, env=self.env, stdout=fh, stderr=subprocess.STDOUT)
        proc = Proc(name, popen, log, ready)
        self.procs.append(proc)
        return proc

    def start_mocks(self, behaviour: dict[str, Any]) -> None:
        beh = self.tmp / "behaviour.json"
        beh.write_text(json.dumps(behaviour))
        lytics = self.spawn("mock-lytics", "mock", "lytics", "--api-key-env", "REL_LYTICS_KEY",
                            "--admin-key-env", "REL_ADMIN_KEY")
        ansira = self.spawn("mock-ansira", "mock", "ansira", "--behaviour", str(beh), "--admin-key-env",
                            "REL_ADMIN_KEY")
        self.lytics_info, self.ansira_info = lytics.info(), ansira.info()
        self.lytics = lytics_session(self.lytics_info["url"], self.api_key, admin_key=self.admin_key)
        self.ansira = ServiceSession(self.ansira_info["url"], headers={"X-Admin-Key": self.admin_key})

    def restart_lytics(self, sig: int = signal.SIGKILL) -> None:
        """Kill mock Lytics and start a fresh one on the same port and keys: it comes back empty (memory only)."""
        old = next(p for p in self.procs if p.name.startswith("mock-lytics") and p.popen.poll() is None)
        old.stop(sig)
        port = self.lytics_info["url"].rsplit(":", 1)[1]
        fresh = self.spawn(f"mock-lytics-{len(self.procs)}", "mock", "lytics", "--port", port,
                           "--api-key-env", "REL_LYTICS_KEY", "--admin-key-env", "REL_ADMIN_KEY")
        info = fresh.info()
        assert info["url"] == self.lytics_info["url"], info

    def start_runner(self, name: str, options: dict[str, Any] | None = None) -> Proc:
        proc = self.spawn(name, "-v", "runner", "--lytics-url", self.lytics_info["url"], "--api-key-env",
                          "REL_LYTICS_KEY", "--admin-key-env", "REL_ADMIN_KEY", "--outcomes",
                          str(self.tmp / f"{name}.outcomes.jsonl"), "--options", json.dumps(options or {}))
        proc.info()
        return proc

    def configure(self, sc: m.Scenario) -> None:
        """Set Lytics up over HTTP exactly as the scenario engine does (its own set-up code, not a copy)."""
        run = ScenarioRun(sc)
        ai = self.ansira_info
        run.vars = {"lytics_url": self.lytics_info["url"], "ansira_url": ai["url"],
                    "ansira_client_id": ai["ansira_client_id"], "ansira_client_secret": ai["ansira_client_secret"],
                    "ansira_source_code": ai["ansira_source_code"], "ansira_token_url": ai["token_url"],
                    "ansira_user_url": ai["user_url"]}
        run.lytics = self.lytics
        run._setup()
        run._collect_profiles()
        for i, job in enumerate(sc.lytics.jobs):
            run._create_job(i, job)
        self.segment_id = run.ids["segment"][SOURCE]

    # -- reading the truth back -------------------------------------------------------------------------------
    def audience_size(self) -> int:
        return int(self.lytics.get(f"/api/segment/{self.segment_id}/scan", params={"limit": 1}).json()["total"])

    def journal(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        while True:
            after = entries[-1]["seq"] if entries else 0
            batch = self.ansira.get("/__admin/journal", params={"after": after, "limit": 10000}).json()["entries"]
            if not batch:
                return entries
            entries.extend(batch)

    def successes(self) -> Counter[str]:
        """Successful (2xx) create_user calls per email, from mock Ansira's journal."""
        return Counter(e["email"] for e in self.journal()
                       if e["operation"] == "create_user" and 200 <= e["status"] < 300 and e.get("email"))

    def profiles(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        start = ""
        while True:
            body = self.lytics.get("/__admin/profiles", params={"limit": 10000, "start": start}).json()
            out.extend(body["data"])
            start = body.get("_next") or ""
            if not start or not body["data"]:
                return out

    def landed_at(self) -> dict[str, float]:
        """email -> when its write-back landed: the first exit from the source audience (ansira_uuid written)."""
        events = self.lytics.get("/__admin/audience-events", params={"segment": SOURCE, "limit": 200000}).json()
        landed: dict[str, float] = {}
        for ev in events["data"]:
            email = (ev.get("identity") or {}).get("email")
            if ev["event"] == "exit" and isinstance(email, str):
                landed.setdefault(email.lower(), float(ev["ts"]))
        return landed

    def outcomes(self, runner: str) -> list[dict[str, Any]]:
        path = self.tmp / f"{runner}.outcomes.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def close(self) -> None:
        for p in self.procs:  # only the processes this cluster started, by their own handles
            if p.popen.poll() is None:
                p.popen.kill()
                p.popen.wait(10)
        for s in ("lytics", "ansira"):
            if hasattr(self, s):
                getattr(self, s).close()


@contextmanager
def cluster(tmp: Path) -> Iterator[Cluster]:
    c = Cluster(tmp)
    try:
        yield c
    finally:
        c.close()


def scenario(users: int, workers: int) -> m.Scenario:
    """The quickstart's set-up with `users` generated users (steps and checks are the test's own)."""
    from harness.scenario import loader

    doc = loader.render(ROOT / "scenarios" / "quickstart.jsonnet")
    doc["profiles"]["generate"] = {"count": users}
    doc["lytics"]["jobs"][0]["config"]["worker_count"] = workers
    return m.validate(doc)
