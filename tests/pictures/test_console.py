"""The live console of `harness serve`: console_url in the ready file, the admin key, and a page that updates live."""

from __future__ import annotations

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
from pictures_helpers import ROOT, configure, serve, stop

from harness.scenario.profiles import all_profiles

READY_KEYS = {"lytics_url", "ansira_url", "lytics_api_key", "admin_key", "ansira_client_id", "ansira_client_secret",
              "ansira_source_code", "ansira_token_url", "ansira_user_url"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    proc, info = serve(tmp_path_factory.mktemp("serve"))
    try:
        yield info
    finally:
        output = stop(proc)
        assert info["admin_key"] not in output and info["ansira_client_secret"] not in output


def test_console_url_in_the_ready_file(served: dict[str, Any]) -> None:
    assert set(served) >= READY_KEYS | {"console_url"}  # every key that was there stays
    url = served["console_url"]
    assert url.startswith("http://127.0.0.1:") and "?key=" in url
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    assert "enrichsim console" in resp.text and "<script src" not in resp.text
    bare = url.split("?", 1)[0]
    assert requests.get(bare, timeout=10).status_code == 401  # no key, no console
    assert requests.get(bare + "api/state", timeout=10).status_code == 401
    assert requests.get(bare + "?key=wrong", timeout=10).status_code == 401
    state = requests.get(bare + "api/state", headers={"X-Admin-Key": served["admin_key"]}, timeout=10)
    assert state.status_code == 200 and set(state.json()) >= {"jobs", "audiences", "journal", "timeline"}


def test_no_console(tmp_path: Path) -> None:
    proc, info = serve(tmp_path, "--no-console")
    try:
        assert "console_url" not in info and set(info) >= READY_KEYS
    finally:
        assert "console" not in stop(proc).split("mock Lytics")[0]


def test_console_shows_a_user_collected_after_the_page_opened(served: dict[str, Any], page: Any) -> None:
    run, sc = configure(served)
    pg = page.page
    pg.goto(served["console_url"])
    assert "?key=" not in pg.url, "the key leaves the address bar"
    pg.wait_for_function("Number(document.body.dataset.polls || 0) >= 1")
    assert pg.locator("#jobs tbody tr").count() == len(sc.lytics.jobs)
    assert "console-user@example.com" not in pg.locator("#journal").inner_text()

    email = "console-user@example.com"
    user = {**next(iter(all_profiles(sc.profiles, sc.seed))), "user_id": "console-1", "email": email}
    resp = run.lytics.post(f"/collect/json/{sc.profiles.stream}", json=[user])
    assert resp.status_code < 300, resp.text
    # the runner enriches the user; the open page shows the Ansira call with its bodies, without a reload
    pg.locator("#journal td.email", has_text=email).first.wait_for(timeout=30_000)
    row = pg.locator("#journal tbody tr", has=pg.locator("td.email", has_text=email)).first
    bodies = row.locator("pre").all_text_contents()
    assert row.locator("td").nth(3).inner_text() in ("200", "201"), bodies
    assert any(email in b for b in bodies) and served["admin_key"] not in "".join(bodies)
    pg.wait_for_function("EnrichsimCharts.plots.some(p => p.enrichsimKey === 'users' && "
                         "p.data[1][p.data[1].length - 1] >= 1)", timeout=30_000)

    pg.fill("#email", email)
    pg.click("#lookup button")
    pg.wait_for_function("document.getElementById('profile').textContent.includes('ansira_uuid')", timeout=15_000)
    assert page.errors == [] and page.external == []
    run.lytics.close()


def test_console_of_harness_mock_ansira(tmp_path: Path) -> None:
    """`harness mock ansira` serves a console of its own: the journal and timelines of that one mock."""
    ready = tmp_path / "ansira.json"
    env = {**os.environ, "MOCK_ADMIN": "adm-console-mock-test"}
    proc = subprocess.Popen([sys.executable, "-m", "harness", "mock", "ansira", "--ready-file", str(ready),
                             "--admin-key-env", "MOCK_ADMIN"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "mock ansira did not come up"
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        assert {"url", "ansira_client_id", "ansira_client_secret", "console_url"} <= set(info)
        with requests.Session() as browser:  # the key in console_url becomes a cookie, like in a browser
            assert browser.get(info["console_url"], timeout=10).status_code == 200
            tok = requests.post(info["token_url"], data={"grant_type": "client_credentials"},
                                auth=(info["ansira_client_id"], info["ansira_client_secret"]), timeout=10)
            assert tok.status_code == 200
            state = browser.get(info["console_url"].split("?")[0] + "api/state", timeout=10).json()
        assert state["jobs"] == [] and state["audiences"] == []  # no Lytics behind this one
        assert [e["operation"] for e in state["journal"]] == ["token"]
        assert state["timeline"]["token_requests"] == 1
        assert tok.json()["access_token"] not in json.dumps(state)
        assert info["ansira_client_secret"] not in json.dumps(state)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert "console on http://127.0.0.1:" in out and "adm-console-mock-test" not in out + err
