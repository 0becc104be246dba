"""`harness verify ansira` over real loopback HTTP: a stand-in that differs on purpose, plain mock Ansira, the call
cap, dry runs, bad input, secrets, and --write-behaviour."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, Response

from harness.cli import main
from harness.servers import ServerThread
from harness.verify.probes import PROBES
from mock_ansira import create_app

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID, SECRET, SOURCE = "verify-client", "verify-secret-Zq81xWm3", "VERIFY_SRC"
# What the stand-in changes, and the probes (with what differs) that must show it: nothing else may differ.
STANDIN_SWITCHES = {"emails_case_sensitive": True,
                    "error_status": {"invalid_client": 400, "create_user:invalid_request": 422}}
EXPECTED = {
    "token.wrong_secret": {"status"},
    "token.unknown_client": {"status"},
    "user.case": {"status", "email", "same id as user.create", "same uuid as user.create"},
    **{name: {"status"} for name in ("user.missing_email", "user.empty_email", "user.malformed_email",
                                     "user.unknown_source_code", "user.missing_source_code", "user.not_json")},
}


def _behaviour(**switches: Any) -> dict[str, Any]:
    return {"clients": [{"client_id": CLIENT_ID, "client_secret": SECRET}], "source_codes": [SOURCE],
            "known_users": {"count": 3}, **switches}


class Server:
    """A mock Ansira app on loopback that remembers every access token it handed out."""

    def __init__(self, app: Flask) -> None:
        self.tokens: list[str] = []
        app.after_request(self._grab_token)
        self.thread = ServerThread(app, name="stand-in").start(ready_path="/__admin/health")
        self.url = self.thread.url

    def _grab_token(self, response: Response) -> Response:
        body = response.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("access_token"), str):
            self.tokens.append(body["access_token"])
        return response

    def calls(self) -> int:
        return int(requests.get(self.url + "/__admin/journal/summary", timeout=5).json()["total"])


@pytest.fixture
def creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERIFY_CID", CLIENT_ID)
    monkeypatch.setenv("VERIFY_SECRET", SECRET)


@pytest.fixture
def standin(creds: None) -> Iterator[Server]:
    server = Server(create_app({"BEHAVIOUR": _behaviour(**STANDIN_SWITCHES)}))
    yield server
    server.thread.stop()


def _verify(url: str, *extra: str) -> int:
    return main(["verify", "ansira", "--url", url, "--client-id-env", "VERIFY_CID", "--client-secret-env",
                 "VERIFY_SECRET", "--source-code", SOURCE, *extra])


def _report(out: Path) -> dict[str, Any]:
    return json.loads((out / "report.json").read_text())


def test_the_stand_in_differs_in_exactly_the_switched_behaviours(standin: Server, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert _verify(standin.url, "--out", str(tmp_path)) == 1
    report = _report(tmp_path)
    found = {p["name"]: {d["what"] for d in p["differences"]} for p in report["probes"] if p["differences"]}
    assert found == EXPECTED
    assert report["calls"] == len(PROBES) == standin.calls() == 19
    assert report["summary"] == {"probes": 19, "same": 10, "differ": 9, "not_run": 0}
    by_name = {p["name"]: p for p in report["probes"]}
    assert by_name["token.wrong_secret"]["differences"] == [{"what": "status", "real": 400, "mock": 401}]
    assert by_name["user.case"]["real"]["facts"]["same id as user.create"] is False
    text = capsys.readouterr().out
    assert "token.wrong_secret" in text and "status: real 400, mock 401" in text
    assert "10 of 19 probes answer the same; 9 differ" in text
    junit = (tmp_path / "junit.xml").read_text()
    assert junit.count("<failure") == 9 and junit.count("<testcase") == 19


def test_plain_mock_ansira_process_answers_like_the_mock(creds: None, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ready, log = tmp_path / "ready.json", tmp_path / "mock.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "harness", "mock", "ansira", "--ready-file", str(ready)],
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=fh,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "mock ansira never wrote its ready file"
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        monkeypatch.setenv("VERIFY_CID", info["ansira_client_id"])
        monkeypatch.setenv("VERIFY_SECRET", info["ansira_client_secret"])
        code = main(["verify", "ansira", "--url", info["url"], "--client-id-env", "VERIFY_CID",
                     "--client-secret-env", "VERIFY_SECRET", "--source-code", info["ansira_source_code"],
                     "--out", str(tmp_path / "out")])
        assert code == 0, (tmp_path / "out" / "report.txt").read_text()
        summary = requests.get(info["url"] + "/__admin/journal/summary", timeout=5).json()
        assert summary["total"] == 19
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def test_the_call_cap_is_never_exceeded_and_unsent_probes_fail_the_run(standin: Server, tmp_path: Path) -> None:
    assert _verify(standin.url, "--max-calls", "5", "--out", str(tmp_path)) == 1
    assert standin.calls() == 5
    report = _report(tmp_path)
    assert report["calls"] == 5 and report["mock_calls"] == 5
    not_run = [p["name"] for p in report["probes"] if p["real"]["skipped"] == "call cap"]
    assert not_run == [p.name for p in PROBES[5:]]
    assert report["summary"]["not_run"] == 14 and report["ok"] is False


def test_dry_run_prints_the_probes_and_sends_nothing(standin: Server, capsys: pytest.CaptureFixture[str]) -> None:
    assert _verify(standin.url, "--dry-run", "--max-calls", "3") == 0
    assert standin.calls() == 0
    out = capsys.readouterr().out
    assert all(p.name in out for p in PROBES) and out.count("[over the cap: not sent]") == 16
    assert SECRET not in out and "@example.com" in out


@pytest.mark.parametrize("url", ["http://192.0.2.10", "ftp://127.0.0.1/", "https://", "https://x.test/?a=1",
                                 "https://user:pw@x.test", "http://127.0.0.1:99999"])
def test_bad_urls_exit_2_and_send_nothing(standin: Server, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _verify(url) == 2
    assert "--url" in capsys.readouterr().err
    assert standin.calls() == 0


def test_a_missing_environment_variable_exits_2(standin: Server, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("VERIFY_SECRET")
    assert _verify(standin.url) == 2
    assert "VERIFY_SECRET is not set" in capsys.readouterr().err
    assert standin.calls() == 0


def test_no_secret_or_token_reaches_any_output(standin: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs each request line, query string (and client_secret) included
    for fmt in ("text", "json", "junit"):
        _verify(standin.url, "--report", fmt, "--out", str(tmp_path / fmt))
    captured = capsys.readouterr()
    assert "GET /service/oauth/v2/token?" in caplog.text  # the log did see token.get's query
    texts = [captured.out, captured.err, caplog.text, *(f.read_text() for f in tmp_path.rglob("*") if f.is_file())]
    assert len(standin.tokens) == 3 * 3  # three token probes succeed per run
    for text in texts:
        assert SECRET not in text
        assert not any(token in text for token in standin.tokens)


def test_an_unreachable_service_is_reported_not_raised(creds: None, tmp_path: Path) -> None:
    server = ServerThread(create_app({"BEHAVIOUR": _behaviour()}))  # bound, never served: refused on stop
    url = server.url
    server.stop()
    assert _verify(url, "--out", str(tmp_path)) == 1
    report = _report(tmp_path)
    assert report["probes"][0]["real"]["status"] is None and "ConnectionError" in report["probes"][0]["real"]["note"]
    assert report["calls"] == 9  # 7 token probes and the 2 user probes that need no token


def test_written_behaviour_makes_the_mock_answer_like_the_stand_in(standin: Server, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    written = tmp_path / "sandbox.behaviour.json"
    assert _verify(standin.url, "--write-behaviour", str(written)) == 1
    doc = json.loads(written.read_text())
    assert doc == {"emails_case_sensitive": True, "source_codes": [SOURCE],
                   "error_status": {"token:invalid_client": 400, "create_user:invalid_request": 422}}
    assert "not in the behaviour" not in capsys.readouterr().err
    # The mock configured with the file answers every probe as the stand-in does ...
    assert _verify(standin.url, "--behaviour", str(written)) == 0
    # ... and a mock served from the file differs from the plain mock exactly as the stand-in does.
    loaded = Server(create_app({"BEHAVIOUR": {**doc, "clients": [{"client_id": CLIENT_ID, "client_secret": SECRET}]}}))
    try:
        assert _verify(loaded.url, "--out", str(tmp_path / "loaded")) == 1
        found = {p["name"]: {d["what"] for d in p["differences"]}
                 for p in _report(tmp_path / "loaded")["probes"] if p["differences"]}
        assert found == EXPECTED
    finally:
        loaded.thread.stop()


def test_a_bad_behaviour_or_output_path_exits_2_before_anything_is_sent(standin: Server, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"error_status": {"invalid_clinet": 400}}))
    assert _verify(standin.url, "--behaviour", str(bad)) == 2
    assert "invalid_clinet" in capsys.readouterr().err
    assert _verify(standin.url, "--write-behaviour", str(tmp_path / "missing" / "b.json")) == 2
    assert "folder does not exist" in capsys.readouterr().err
    assert standin.calls() == 0
