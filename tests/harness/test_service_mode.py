"""The stack as a CI service (issue #14 item 3): bound to 0.0.0.0, reached through a second loopback address
as its public host, keys from the environment; the curl walkthrough of docs/service.md run as written."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import yaml

from harness.cli import build_parser
from harness.service import COMMON_KEYS, READY_SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "127.0.0.2"
SECRETS = {"SVC_LYTICS_KEY": "lk-from-env-4f1c9a", "SVC_ADMIN_KEY": "adm-from-env-77b2",
           "SVC_ANSIRA_SECRET": "sec-from-env-9e0d31"}


def _walkthrough() -> str:
    text = (ROOT / "docs" / "service.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- walkthrough:[^>]*-->\n```sh\n(.*?)```", text, re.S)
    assert m, "docs/service.md lost its walkthrough block"
    return m.group(1)


@contextmanager
def _process(args: list[str], ready: Path, env: dict[str, str]) -> Iterator[tuple[dict[str, str], dict]]:
    """The command running until its ready file appears; yields (its output, filled in on exit; the ready file)."""
    output: dict[str, str] = {}
    proc = subprocess.Popen([sys.executable, "-m", "harness", *args, "--ready-file", str(ready)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():  # written atomically once every part answers
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "ready file never appeared"
            time.sleep(0.05)
        yield output, json.loads(ready.read_text(encoding="utf-8"))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        output["out"], output["err"] = proc.communicate(timeout=30)
        output["rc"] = str(proc.returncode)


def _env() -> dict[str, str]:
    return {**os.environ, **SECRETS}


def test_serve_on_all_interfaces_enriches_every_user_through_the_public_host(tmp_path: Path) -> None:
    ready = tmp_path / "stack.json"
    args = ["serve", "--host", "0.0.0.0", "--public-host", PUBLIC, "--api-key-env", "SVC_LYTICS_KEY",
            "--admin-key-env", "SVC_ADMIN_KEY", "--ansira-client-secret-env", "SVC_ANSIRA_SECRET"]
    with _process(args, ready, _env()) as (output, info):
        assert info["schema_version"] == READY_SCHEMA_VERSION and info["kind"] == "serve"
        assert set(COMMON_KEYS) <= set(info) and info["host"] == "0.0.0.0" and info["public_host"] == PUBLIC
        for key in ("lytics_url", "ansira_url", "ansira_token_url", "ansira_user_url"):
            assert info[key].startswith(f"http://{PUBLIC}:"), (key, info[key])
        assert (info["lytics_api_key"], info["admin_key"], info["ansira_client_secret"]) == (
            SECRETS["SVC_LYTICS_KEY"], SECRETS["SVC_ADMIN_KEY"], SECRETS["SVC_ANSIRA_SECRET"])
        admin = {"X-Admin-Key": info["admin_key"]}
        assert requests.get(info["lytics_url"] + "/__admin/health", timeout=5).json()["data"]["url"] == \
            info["lytics_url"]
        health = requests.get(info["ansira_url"] + "/__admin/health", headers=admin, timeout=5).json()
        assert (health["token_url"], health["user_url"]) == (info["ansira_token_url"], info["ansira_user_url"])

        walk = subprocess.run(["bash", "-euo", "pipefail", "-c", _walkthrough()], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert walk.returncode == 0, walk.stderr
        assert "audience left: 0" in walk.stdout

        lytics = {"Authorization": info["lytics_api_key"]}
        auths = requests.get(info["lytics_url"] + "/v2/auth", headers=lytics, timeout=5).json()["data"]
        job = requests.get(info["lytics_url"] + "/v2/job", headers=lytics, timeout=5).json()["data"][0]
        runtime = requests.get(f"{info['lytics_url']}/__admin/jobs/{job['id']}/runtime", headers={**lytics, **admin},
                               timeout=5).json()["data"]
        assert runtime["auths"][0]["config"]["token_url"] == info["ansira_token_url"]
        assert job["config"]["webhook_url"] == info["ansira_user_url"] and len(auths) == 1
        journal = requests.get(info["ansira_url"] + "/__admin/journal", params={"limit": 10000}, headers=admin,
                               timeout=5).json()["entries"]
        created = sorted(e["email"] for e in journal if e["operation"] == "create_user" and e["status"] == 201)
        assert created == sorted(f"user{i}@example.com" for i in range(1, 21))  # every user, once
        assert any(e["operation"] == "token" and e["status"] == 200 for e in journal)
        for i in range(1, 21):
            profile = requests.get(f"{info['lytics_url']}/api/entity/user/email/user{i}@example.com",
                                   headers=lytics, timeout=5).json()["data"]
            assert profile.get("ansira_uuid"), profile
    out, err = output["out"], output["err"]
    assert output["rc"] == "0", err
    assert "WARNING" in err and "beyond loopback" in err
    assert not any(secret in out + err for secret in SECRETS.values())


def test_the_mocks_write_the_same_schema_and_mock_lytics_allows_named_http_hosts(tmp_path: Path) -> None:
    env = _env()
    lytics_args = ["mock", "lytics", "--host", "0.0.0.0", "--public-host", PUBLIC, "--api-key-env", "SVC_LYTICS_KEY",
                   "--allow-http-host", "mock-ansira", "--allow-http-host", "ansira.ci.internal"]
    ansira_args = ["mock", "ansira", "--public-host", "localhost", "--ansira-client-secret-env", "SVC_ANSIRA_SECRET"]
    with _process(lytics_args, tmp_path / "l.json", env) as (_, ly), \
            _process(ansira_args, tmp_path / "a.json", env) as (_, an):
        assert (ly["kind"], an["kind"]) == ("mock-lytics", "mock-ansira")
        assert ly["schema_version"] == an["schema_version"] == READY_SCHEMA_VERSION
        assert ly["url"] == ly["lytics_url"] and ly["lytics_url"].startswith(f"http://{PUBLIC}:")
        assert ly["lytics_api_key"] == SECRETS["SVC_LYTICS_KEY"] and ly["host"] == "0.0.0.0"
        assert an["url"] == an["ansira_url"] and an["ansira_url"].startswith("http://localhost:")
        assert (an["token_url"], an["user_url"]) == (an["ansira_token_url"], an["ansira_user_url"])
        assert an["ansira_client_secret"] == SECRETS["SVC_ANSIRA_SECRET"] and an["host"] == "127.0.0.1"
        assert requests.post(an["ansira_token_url"], data={"grant_type": "client_credentials"}, timeout=5,
                             auth=(an["ansira_client_id"], SECRETS["SVC_ANSIRA_SECRET"])).status_code == 200

        def auth(token_url: str) -> requests.Response:
            body = {"label": "a", "config": {"token_url": token_url, "client_id": "c", "client_secret": "s"}}
            return requests.post(ly["lytics_url"] + "/v2/auth/webhook-oauth2-client-credentials", json=body,
                                 headers={"Authorization": ly["lytics_api_key"]}, timeout=5)

        assert auth("http://mock-ansira:8081/service/oauth/v2/token").status_code < 300
        assert auth("http://ANSIRA.ci.internal/token").status_code < 300  # host names compare case-insensitively
        refused = auth("http://elsewhere.example/token")
        assert refused.status_code == 400 and "--allow-http-host" in refused.json()["message"]
        assert auth("https://elsewhere.example/token").status_code < 300


def test_service_flags_are_refused_where_they_do_not_apply(tmp_path: Path) -> None:
    for args, word in ((["mock", "ansira", "--allow-http-host", "x"], "applies to mock lytics"),
                       (["mock", "lytics", "--ansira-client-secret-env", "X"], "applies to mock ansira"),
                       (["serve", "--allow-http-host", "http://x:1/"], "not a URL"),
                       (["serve", "--api-key-env", "SVC_UNSET_VARIABLE"], "SVC_UNSET_VARIABLE is not set")):
        proc = subprocess.run([sys.executable, "-m", "harness", *args, "--ready-file", str(tmp_path / "r.json")],
                              capture_output=True, text=True, timeout=60, env=_env())
        assert proc.returncode == 2 and word in proc.stderr, (args, proc.stderr)
        assert not (tmp_path / "r.json").exists()


def test_container_commands_parse_with_the_real_cli() -> None:
    """No container runtime here: at least every command in Dockerfile and compose.yaml is one the CLI takes."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    commands = [svc["command"] for svc in compose["services"].values()]
    docker = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    commands.append(json.loads(re.search(r"^CMD (\[.*\])", docker, re.M).group(1)))  # type: ignore[union-attr]
    envs = set()
    for cmd in commands:
        args = build_parser().parse_args([str(c) for c in cmd])
        envs |= {v for k, v in vars(args).items() if k.endswith("_env") and v}
        assert "--host" not in cmd or cmd[cmd.index("--host") + 1] == "0.0.0.0", shlex.join(map(str, cmd))
    assert envs == {"LYTICS_API_KEY", "ADMIN_KEY", "ANSIRA_CLIENT_SECRET"}
    assert set(compose["x-enrichsim"]["environment"]) == envs


@pytest.mark.parametrize("hosts", [["mock-ansira"], "mock-ansira, other"])
def test_mock_lytics_allow_list_in_config(hosts: object) -> None:
    from mock_lytics import create_app

    client = create_app({"API_KEY": "k", "ALLOW_HTTP_HOSTS": hosts}).test_client()
    body = {"label": "a", "config": {"token_url": "http://mock-ansira/t", "client_id": "c", "client_secret": "s"}}
    assert client.post("/v2/auth/webhook-oauth2-client-credentials", json=body,
                       headers={"Authorization": "k"}).status_code < 300
    plain = create_app({"API_KEY": "k"}).test_client()
    assert plain.post("/v2/auth/webhook-oauth2-client-credentials", json=body,
                      headers={"Authorization": "k"}).status_code == 400


def test_runner_accepts_plain_http_only_on_named_hosts() -> None:
    from harness.errors import ConfigError
    from harness.runner import RunnerOptions
    from harness.runner.delivery import require_secure_url

    opts = RunnerOptions(allow_http_hosts=["Mock-Ansira"])  # type: ignore[arg-type]  # JSON gives lists
    assert opts.allow_http_hosts == ("mock-ansira",)
    assert require_secure_url("http://mock-ansira:8081/u", "webhook_url", opts.allow_http_hosts)
    with pytest.raises(ConfigError, match="http only to a loopback host or to mock-ansira"):
        require_secure_url("http://other:8081/u", "webhook_url", opts.allow_http_hosts)
    with pytest.raises(ValueError, match="allow_http_hosts"):
        RunnerOptions(allow_http_hosts="mock-ansira")  # type: ignore[arg-type]


def test_public_host_and_the_warning_follow_the_bind_address(caplog: pytest.LogCaptureFixture) -> None:
    from harness.service import base_url, public_host, warn_if_exposed

    assert public_host("0.0.0.0", None) == "127.0.0.1" and public_host("::", None) == "127.0.0.1"
    assert public_host("10.1.2.3", None) == "10.1.2.3" and public_host("0.0.0.0", "svc") == "svc"
    assert base_url("::1", 80) == "http://[::1]:80" and base_url("svc", 8080) == "http://svc:8080"
    with caplog.at_level("WARNING", logger="harness.service"):
        for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
            warn_if_exposed(host, "x")
        assert not caplog.records
        warn_if_exposed("0.0.0.0", "x")
    assert [r.levelname for r in caplog.records] == ["WARNING"] and "beyond loopback" in caplog.text
