"""The whole simulated path on one machine: mock Ansira, mock Lytics and the runner, on loopback by default.

As a service (`harness serve --host 0.0.0.0 --public-host NAME`), URLs for others are built on the public host
(harness.service); the runner in this process follows mock Lytics on the bind address.
"""

from __future__ import annotations

import copy
import dataclasses
import secrets
from dataclasses import dataclass, field
from typing import Any

from harness.mockclients import HEALTH
from harness.ready import AnsiraEndpoint, LyticsEndpoint, ReadyInfo
from harness.redact import REDACTOR
from harness.runner import Runner, RunnerOptions
from harness.runner_state import MOUNT, mount
from harness.servers import ServerThread
from harness.service import base_url, public_host, ready_document

DEFAULT_CLIENT_ID = "lytics-sim"
DEFAULT_SOURCE_CODE = "LYTICS_SIM"


def prepare_behaviour(doc: dict[str, Any] | None, seed: int) -> dict[str, Any]:
    """Fill the Ansira behaviour with a seed, a default client and generated secrets where none are given.

    Parts of the wrong shape are left as they are, for mock_ansira's validation to name them.
    """
    beh = copy.deepcopy(doc or {})
    if not isinstance(beh, dict):
        return beh
    beh.setdefault("seed", seed)
    if not beh.get("clients"):
        beh["clients"] = [{"client_id": DEFAULT_CLIENT_ID}]
    for c in beh["clients"] if isinstance(beh["clients"], list) else ():
        if isinstance(c, dict):
            c.setdefault("client_secret", secrets.token_urlsafe(24))
            if isinstance(c["client_secret"], str):
                REDACTOR.add(c["client_secret"])
    beh.setdefault("source_codes", [DEFAULT_SOURCE_CODE])
    return beh


@dataclass
class Stack:
    seed: int = 0
    ansira_behaviour: dict[str, Any] | None = field(default=None, repr=False)  # may hold a client secret
    runner_options: RunnerOptions = field(default_factory=RunnerOptions)
    start_runner: bool = True
    lytics_port: int = 0
    ansira_port: int = 0
    host: str = "127.0.0.1"
    public_host: str | None = None  # the name other hosts use (URLs in ready_info); None: the bind address
    api_key: str = field(default="", repr=False)  # "" = generate one
    admin_key: str = field(default="", repr=False)
    client_secret: str | None = field(default=None, repr=False)  # the first Ansira client's secret
    allow_http_hosts: tuple[str, ...] = ()  # mock Lytics accepts plain-http token/webhook URLs on these hosts

    def __post_init__(self) -> None:
        self.api_key = self.api_key or "lk_" + secrets.token_urlsafe(24)
        self.admin_key = self.admin_key or "adm_" + secrets.token_urlsafe(16)
        REDACTOR.add(self.api_key, self.admin_key)
        self.behaviour = prepare_behaviour(self.ansira_behaviour, self.seed)
        if self.client_secret:
            REDACTOR.add(self.client_secret)
            self.behaviour["clients"][0]["client_secret"] = self.client_secret
        self.ansira: ServerThread | None = None
        self.lytics: ServerThread | None = None
        self.runner: Runner | None = None

    @property
    def client(self) -> dict[str, Any]:
        return self.behaviour["clients"][0]

    def start(self) -> Stack:
        from mock_ansira import create_app as ansira_app
        from mock_lytics import create_app as lytics_app

        try:
            self.ansira = ServerThread(ansira_app({"BEHAVIOUR": self.behaviour, "SEED": self.seed,
                                                   "ADMIN_KEY": self.admin_key}),
                                       host=self.host, port=self.ansira_port, name="mock-ansira")
            self.lytics = ServerThread(lytics_app({"API_KEY": self.api_key, "ADMIN_KEY": self.admin_key,
                                                   "ALLOW_HTTP_HOSTS": self.allow_http_hosts}),
                                       host=self.host, port=self.lytics_port, name="mock-lytics")
            for srv in (self.ansira, self.lytics):
                srv.app.config["PUBLIC_URL"] = self.public_url(srv)
            self.ansira.start(ready_path=HEALTH)
            self.lytics.start(ready_path=HEALTH)
            if self.start_runner:
                options = self.runner_options
                if self.allow_http_hosts:  # the runner follows the same URLs mock Lytics accepted
                    hosts = tuple(dict.fromkeys((*options.allow_http_hosts, *self.allow_http_hosts)))
                    options = dataclasses.replace(options, allow_http_hosts=hosts)
                self.runner = Runner(self.lytics.url, self.api_key, admin_key=self.admin_key,
                                     options=options).start()
                mount(self.lytics.app, self.runner, self.admin_key)  # /__runner/state: `harness run --target`
        except BaseException:
            self.stop()  # a half-started stack must not leave a server holding its port
            raise
        return self

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        for srv in (self.lytics, self.ansira):
            if srv is not None:
                srv.stop()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def public_url(self, srv: ServerThread) -> str:
        return base_url(public_host(self.host, self.public_host), srv.port)

    def ready(self) -> ReadyInfo:
        """URLs (on the public host) and credentials of the started stack, typed (harness.ready)."""
        assert self.lytics is not None and self.ansira is not None
        return ReadyInfo(LyticsEndpoint(self.public_url(self.lytics), self.api_key),
                         AnsiraEndpoint.from_behaviour(self.public_url(self.ansira), self.behaviour), self.admin_key)

    def ready_info(self) -> dict[str, Any]:
        """ready() as the scenario engine's placeholders: URLs, credentials and the admin key."""
        return self.ready().as_vars()

    def ready_document(self) -> dict[str, Any]:
        """ready() as a ready file of schema 1 (harness.service; docs/service.md)."""
        info = self.ready()
        return ready_document("serve", host=self.host, public=public_host(self.host, self.public_host),
                              lytics=info.lytics, ansira=info.ansira, admin_key=info.admin_key,
                              extra={"runner_state_url": f"{info.lytics.url}{MOUNT}/state"})
