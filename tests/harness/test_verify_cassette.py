"""Record against a stand-in through the proxy, replay the cassette: identical answers, no credential in the file."""

from __future__ import annotations

import base64
import json
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
from flask import Response

from harness.cli import main
from harness.http import ansira_session
from harness.servers import ServerThread
from harness.verify import cassette
from harness.verify.probes import PROBES, Context
from harness.verify.record import RecordingProxy
from harness.verify.replay import Replayer
from mock_ansira import create_app

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID, SECRET, SOURCE = "rec-client", "rec-secret-Jx72hPq0Lw", "REC_SRC"
TAG = "20260101000000abcd"
BEHAVIOUR = {"clients": [{"client_id": CLIENT_ID, "client_secret": SECRET}], "source_codes": [SOURCE],
             "known_users": {"count": 0}, "emails_case_sensitive": True, "error_status": {"invalid_client": 400}}


def _app(**over: Any) -> Any:
    return create_app({"BEHAVIOUR": {**BEHAVIOUR, **over}})


@pytest.fixture
def standin() -> Iterator[tuple[str, list[str]]]:
    tokens: list[str] = []
    app = _app()

    @app.after_request
    def grab(response: Response) -> Response:
        body = response.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("access_token"), str):
            tokens.append(body["access_token"])
        return response

    srv = ServerThread(app, name="stand-in").start(ready_path="/__admin/health")
    yield srv.url, tokens
    srv.stop()


def _serve(app: Any) -> ServerThread:
    return ServerThread(app, name="cassette").start(ready_path="/__admin/health")


def _answers(url: str) -> list[tuple[int, str | None, Any]]:
    """Every probe's (status, content type, body without the access token), in order, with a fixed tag."""
    ctx = Context(CLIENT_ID, SECRET, SOURCE, TAG)
    out = []
    with ansira_session(url) as session:
        for probe in PROBES:
            req = probe.build(ctx)
            resp = session.request(req.method, req.path, params=req.params or None, headers=req.headers or None,
                                   data=req.form if req.form is not None else req.data, json=req.json,
                                   auth=req.basic, allow_redirects=False)
            try:
                body = resp.json()
            except ValueError:
                body = resp.text
            if isinstance(body, dict) and "access_token" in body:
                ctx.token = body["access_token"]
                body = {k: v for k, v in body.items() if k != "access_token"}
            out.append((resp.status_code, resp.headers.get("Content-Type"), body))
    return out


def _record(url: str, path: Path, *, keep_emails: bool = False) -> list[tuple[int, str | None, Any]]:
    proxy = RecordingProxy(url, str(path), keep_emails=keep_emails)
    srv = _serve(proxy)
    try:
        return _answers(srv.url)
    finally:
        srv.stop()
        proxy.close()


def test_record_then_strict_replay_gives_identical_answers(standin: tuple[str, list[str]], tmp_path: Path) -> None:
    url, tokens = standin
    direct = _answers(url)
    requests.post(url + "/__admin/reset", timeout=5).raise_for_status()  # forget the users `direct` made
    tape = tmp_path / "ansira.cassette.json"
    recorded = _record(url, tape)
    assert [a[0] for a in recorded] == [a[0] for a in direct]  # the proxy changes nothing on the way
    doc = cassette.load(tape)
    assert len(doc["interactions"]) == len(PROBES) and doc["emails"] == "hashed"
    srv = _serve(Replayer(doc, _app(), strict=True))
    try:
        replayed = _answers(srv.url)
    finally:
        srv.stop()
    assert replayed == recorded
    text = tape.read_text()
    assert SECRET not in text and len(tokens) >= 6 and not any(t in text for t in tokens)
    assert base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode() not in text
    assert f'"authorization": "Basic {CLIENT_ID}:{cassette.ACCEPTED}"' in text
    assert "@example.com" not in text.lower()
    assert f"verify-{TAG}-1" not in text.lower() and "<email:" in text


def test_record_emails_keeps_them_and_still_no_secret(standin: tuple[str, list[str]], tmp_path: Path) -> None:
    url, tokens = standin
    tape = tmp_path / "kept.json"
    _record(url, tape, keep_emails=True)
    text = tape.read_text()
    assert f"verify-{TAG}-1@example.com" in text and SECRET not in text and not any(t in text for t in tokens)
    assert cassette.load(tape)["emails"] == "kept"


def test_unrecorded_requests_fall_to_the_mock_or_get_a_near_miss_501(standin: tuple[str, list[str]],
                                                                     tmp_path: Path) -> None:
    tape = tmp_path / "t.json"
    _record(standin[0], tape)
    doc = cassette.load(tape)
    for strict in (False, True):
        srv = _serve(Replayer(doc, _app(), strict=strict))
        try:
            token = requests.post(srv.url + "/service/oauth/v2/token", timeout=5, data={
                "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET}).json()
            resp = requests.post(srv.url + "/service/api/v2/users", params={"access_token": token["access_token"]},
                                 json={"email": "never-recorded@example.com", "sourceCode": {"keyName": SOURCE}},
                                 timeout=5)
        finally:
            srv.stop()
        if not strict:
            assert resp.status_code == 201 and resp.json()["email"] == "never-recorded@example.com"
        else:
            body = resp.json()
            assert resp.status_code == 501 and body["error"] == "not_recorded"
            assert len(body["nearest"]) == 3 and body["nearest"][0]["request"]["path"] == "/service/api/v2/users"
            assert body["request"]["query"] == [["access_token", cassette.ISSUED]]


@pytest.mark.parametrize("argv, message", [
    (["mock", "ansira", "--record-from", "http://192.0.2.1"], "--record-from needs --cassette"),
    (["mock", "ansira", "--record-from", "http://192.0.2.1", "--cassette", "x.json"], "plain http is allowed only"),
    (["mock", "ansira", "--replay", "x.json", "--record-from", "https://a.test", "--cassette", "y"], "exclude"),
    (["mock", "ansira", "--strict"], "--strict applies only with --replay"),
    (["mock", "lytics", "--replay", "x.json"], "mock ansira only"),
    (["mock", "ansira", "--client-id-env", "X"], "go together"),
    (["mock", "ansira", "--client-id-env", "NO_SUCH_VAR_X", "--client-secret-env", "NO_SUCH_VAR_Y"],
     "NO_SUCH_VAR_X is not set"),
    (["mock", "ansira", "--replay", "/nonexistent/tape.json"], "no such cassette file"),
])
def test_bad_record_replay_options_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_cassette_of_another_format_or_version_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": cassette.FORMAT, "version": 99, "interactions": []}))
    with pytest.raises(Exception, match="cassette version 99"):
        cassette.load(bad)
    bad.write_text("[]")
    with pytest.raises(Exception, match="format"):
        cassette.load(bad)


def _spawn(tmp_path: Path, name: str, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    ready, log = tmp_path / f"{name}.ready.json", tmp_path / f"{name}.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "harness", "mock", "ansira", *args, "--ready-file", str(ready)],
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "REC_CID": CLIENT_ID,
                                               "REC_SECRET": SECRET}, stdout=fh,
                                stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(f"{name} never wrote its ready file: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    return proc, json.loads(ready.read_text())["url"]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)


def test_record_and_replay_through_cli_processes(standin: tuple[str, list[str]], tmp_path: Path) -> None:
    tape = tmp_path / "cli.json"
    proc, url = _spawn(tmp_path, "record", "--record-from", standin[0], "--cassette", str(tape))
    try:
        recorded = _answers(url)
    finally:
        _stop(proc)
    assert len(cassette.load(tape)["interactions"]) == len(PROBES)
    beh = tmp_path / "behaviour.json"  # no secret in a file: the client comes from the environment
    beh.write_text(json.dumps({k: v for k, v in BEHAVIOUR.items() if k != "clients"}))
    proc, url = _spawn(tmp_path, "replay", "--replay", str(tape), "--strict", "--behaviour", str(beh),
                       "--client-id-env", "REC_CID", "--client-secret-env", "REC_SECRET")
    try:
        assert _answers(url) == recorded
    finally:
        _stop(proc)


def test_a_recorded_verify_run_replays_offline_with_the_same_report(standin: tuple[str, list[str]], tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REC_CID", CLIENT_ID)
    monkeypatch.setenv("REC_SECRET", SECRET)

    def verify(url: str, out: Path) -> tuple[int, list[Any]]:
        code = main(["verify", "ansira", "--url", url, "--client-id-env", "REC_CID", "--client-secret-env",
                     "REC_SECRET", "--source-code", SOURCE, "--tag", TAG, "--out", str(out)])
        report = json.loads((out / "report.json").read_text())
        return code, [(p["name"], p["real"]["status"], p["real"]["facts"], p["differences"]) for p in report["probes"]]

    tape = tmp_path / "verify.json"
    proxy = RecordingProxy(standin[0], str(tape))
    srv = _serve(proxy)
    try:
        recorded = verify(srv.url, tmp_path / "recorded")
    finally:
        srv.stop()
        proxy.close()
    assert recorded[0] == 1  # the stand-in differs from the mock
    srv = _serve(Replayer(cassette.load(tape), _app(), strict=True))
    try:
        assert verify(srv.url, tmp_path / "replayed") == recorded
    finally:
        srv.stop()


def test_a_tag_must_fit_in_an_email(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REC_CID", CLIENT_ID)
    monkeypatch.setenv("REC_SECRET", SECRET)
    assert main(["verify", "ansira", "--url", "https://x.test", "--client-id-env", "REC_CID", "--client-secret-env",
                 "REC_SECRET", "--source-code", SOURCE, "--tag", "Not A@Tag", "--dry-run"]) == 2
    assert "--tag" in capsys.readouterr().err


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_bodies_over_ansira_s_limit_get_the_mock_s_413_and_are_never_forwarded(
        standin: tuple[str, list[str]], tmp_path: Path, chunked: bool) -> None:
    """Both wrappers frame bodies by mock Ansira's 1 MB (not the server's 16 MB default for apps with no limit)."""
    big = b'{"email": "' + b"a" * 1_100_000 + b'@x.com"}'
    body: Any = iter([big[:500_000], big[500_000:]]) if chunked else big
    tape = tmp_path / "big.json"
    proxy = RecordingProxy(standin[0], str(tape))
    wrappers = [proxy, Replayer(cassette.load(tape), _app(), strict=True)]
    for wrapper in wrappers:
        srv = _serve(wrapper)
        try:
            r = requests.post(srv.url + "/service/api/v2/user", data=body, timeout=10,
                              headers={"Content-Type": "application/json"})
            assert r.status_code == 413 and r.json()["error"] == "payload_too_large", (type(wrapper), r.text[:200])
        finally:
            srv.stop()
        body = iter([big[:500_000], big[500_000:]]) if chunked else big
    proxy.close()
    assert cassette.load(tape)["interactions"] == []  # nothing reached the real service, nothing was recorded
