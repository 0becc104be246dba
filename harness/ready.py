"""Where the mocks are and what their credentials are, typed once for every place that names them.

`Stack`, `harness run --target`, `harness load`, `harness mock`, `harness serve` and the pytest fixtures all
hand the same facts around: mock Lytics' URL and API key, mock Ansira's URL, first client and source code, and the
admin key. Their published spellings are kept here and nowhere else:
- the scenario engine's placeholders (`ReadyInfo.as_vars()`, docs/scenarios.md);
- the prefixed keys of a ready file of schema 1 (`section()`, `from_document()`; docs/service.md);
- the keys mock ansira's ready file kept from before schema 1 and the pytest fixtures' credentials.
Mock Ansira's token and user URLs are derived from its base URL by its own routes, so they cannot disagree.

Secrets (client secret, API key, admin key) never show in a repr: it prints the redaction mask instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.redact import MASK
from mock_ansira.paths import TOKEN_PATH, USER_PATH


def _masked_repr(obj: Any, secrets: tuple[str, ...]) -> str:
    """The dataclass repr with each field named in `secrets` shown as the mask (an empty one as it is)."""
    parts = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        parts.append(f"{f.name}={MASK if f.name in secrets and value else value!r}")
    return f"{type(obj).__name__}({', '.join(parts)})"


@dataclass(frozen=True, repr=False)
class AnsiraEndpoint:
    """Mock Ansira: its base URL and the first client's credentials and source code."""

    url: str
    client_id: str
    client_secret: str
    source_code: str

    def __repr__(self) -> str:
        return _masked_repr(self, ("client_secret",))

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def user_url(self) -> str:
        return self.url + USER_PATH

    @classmethod
    def from_behaviour(cls, url: str, behaviour: Mapping[str, Any]) -> AnsiraEndpoint:
        """The first client and source code of a prepared behaviour (harness.stack.prepare_behaviour)."""
        client = behaviour["clients"][0]
        return cls(url, str(client["client_id"]), str(client["client_secret"]), str(behaviour["source_codes"][0]))

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> AnsiraEndpoint:
        """From a ready file of schema 1 that has the ansira_* keys (serve's, mock ansira's, or a merge)."""
        return cls(str(doc["ansira_url"]), str(doc["ansira_client_id"]), str(doc["ansira_client_secret"]),
                   str(doc["ansira_source_code"]))

    def section(self) -> dict[str, str]:
        """The ready file's ansira_* keys, which are also scenario placeholders."""
        return {"ansira_url": self.url, "ansira_client_id": self.client_id,
                "ansira_client_secret": self.client_secret, "ansira_source_code": self.source_code,
                "ansira_token_url": self.token_url, "ansira_user_url": self.user_url}

    def unprefixed_urls(self) -> dict[str, str]:
        """Mock ansira's ready-file keys from before schema 1 (the same URLs as ansira_url, ansira_*_url)."""
        return {"url": self.url, "token_url": self.token_url, "user_url": self.user_url}

    def credentials(self) -> dict[str, str]:
        """The `ansira_mock` fixture's `credentials` dict."""
        return {"client_id": self.client_id, "client_secret": self.client_secret, "source_code": self.source_code,
                "token_url": self.token_url, "user_url": self.user_url}


@dataclass(frozen=True, repr=False)
class LyticsEndpoint:
    """Mock Lytics: its base URL and API key (the `Authorization` header)."""

    url: str
    api_key: str

    def __repr__(self) -> str:
        return _masked_repr(self, ("api_key",))

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> LyticsEndpoint:
        """From a ready file of schema 1 that has the lytics_* keys (serve's, mock lytics', or a merge)."""
        return cls(str(doc["lytics_url"]), str(doc["lytics_api_key"]))

    def section(self) -> dict[str, str]:
        """The ready file's lytics_* keys, which are also scenario placeholders."""
        return {"lytics_url": self.url, "lytics_api_key": self.api_key}

    def unprefixed_urls(self) -> dict[str, str]:
        """Mock lytics' ready-file key from before schema 1 (the same URL as lytics_url)."""
        return {"url": self.url}

    def credentials(self) -> dict[str, str]:
        """The `lytics_mock` fixture's `credentials` dict."""
        return {"api_key": self.api_key}


@dataclass(frozen=True, repr=False)
class ReadyInfo:
    """Both mocks and the admin key of their /__admin ("" when none protects it)."""

    lytics: LyticsEndpoint
    ansira: AnsiraEndpoint
    admin_key: str = ""

    def __repr__(self) -> str:
        return _masked_repr(self, ("admin_key",))

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> ReadyInfo:
        """From serve's ready file, or the mocks' ready files merged into one mapping."""
        return cls(LyticsEndpoint.from_document(doc), AnsiraEndpoint.from_document(doc),
                   str(doc.get("admin_key") or ""))

    def as_vars(self) -> dict[str, str]:
        """The scenario engine's placeholders (Stack.ready_info()): URLs, credentials and the admin key."""
        return {**self.lytics.section(), **self.ansira.section(), "admin_key": self.admin_key}
