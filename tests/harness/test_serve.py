"""`harness serve` comes up, writes its ready file, answers on every URL, and stops on SIGINT."""

from __future__ import annotations

import os
from pathlib import Path

import requests

from tests.serving import start_serve, stop_serve


def test_serve_ready_file_and_urls(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    proc, info = start_serve(ready)
    try:
        assert set(info) >= {"lytics_url", "ansira_url", "lytics_api_key", "ansira_client_id",
                             "ansira_client_secret", "ansira_source_code"}
        assert info["lytics_url"].startswith("http://127.0.0.1:")
        assert oct(os.stat(ready).st_mode & 0o777) == "0o600"
        r = requests.get(info["lytics_url"] + "/api/segment", headers={"Authorization": info["lytics_api_key"]},
                         timeout=5)
        assert r.status_code == 200
        assert requests.get(info["lytics_url"] + "/api/segment", timeout=5).status_code == 401
        tok = requests.post(info["ansira_url"] + "/service/oauth/v2/token", data={"grant_type": "client_credentials"},
                            auth=(info["ansira_client_id"], info["ansira_client_secret"]), timeout=5)
        assert tok.status_code == 200 and tok.json()["token_type"].lower() == "bearer"
    finally:
        out, err = stop_serve(proc)
    assert proc.returncode == 0, err
    assert info["ansira_client_secret"] not in out + err
    assert info["lytics_api_key"] not in out + err
