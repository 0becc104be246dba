"""One ReadyInfo for every place that names the mocks' URLs and credentials: the builders agree, the placeholder
names and ready-file keys are the published ones, and a repr never shows a secret."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from harness.mockclients import HEALTH
from harness.ready import AnsiraEndpoint, LyticsEndpoint, ReadyInfo
from harness.redact import MASK
from harness.runner import RunnerOptions
from harness.scenario.target import TargetStack
from harness.service import ready_document
from harness.stack import Stack

# the scenario engine's placeholders (docs/scenarios.md) and serve's ready-file keys (docs/service.md): published
PLACEHOLDERS = {"lytics_url", "ansira_url", "lytics_api_key", "admin_key", "ansira_client_id", "ansira_client_secret",
                "ansira_source_code", "ansira_token_url", "ansira_user_url"}
SECRET, API_KEY, ADMIN_KEY = "cs-very-secret-1", "lk-very-secret-2", "adm-very-secret-3"
ANSIRA = AnsiraEndpoint("http://127.0.0.1:8081", "client-a", SECRET, "SRC")
INFO = ReadyInfo(LyticsEndpoint("http://127.0.0.1:8080", API_KEY), ANSIRA, ADMIN_KEY)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(start_runner=False, public_host="localhost") as s:
        yield s


def test_as_vars_has_exactly_the_published_placeholders() -> None:
    assert set(INFO.as_vars()) == PLACEHOLDERS
    assert INFO.as_vars()["ansira_token_url"] == "http://127.0.0.1:8081/service/oauth/v2/token"
    assert INFO.as_vars()["ansira_user_url"] == "http://127.0.0.1:8081/service/api/v2/user"


def test_a_stacks_ready_info_is_what_its_ready_file_says(stack: Stack) -> None:
    info, doc = stack.ready_info(), stack.ready_document()
    assert info == stack.ready().as_vars() == ReadyInfo.from_document(doc).as_vars()
    assert set(info) == PLACEHOLDERS and set(doc) >= PLACEHOLDERS
    assert {k: doc[k] for k in PLACEHOLDERS} == info
    assert info["lytics_url"].startswith("http://localhost:") and info["ansira_url"].startswith("http://localhost:")
    assert doc["kind"] == "serve" and doc["runner_state_url"] == info["lytics_url"] + "/__runner/state"


def test_a_target_built_from_a_stacks_ready_file_gives_the_same_placeholders(stack: Stack) -> None:
    target = TargetStack(stack.ready_document(), seed=0, ansira_behaviour=None, runner_options=RunnerOptions())
    try:
        assert target.ready_info() == stack.ready_info()
        assert target.ready() == stack.ready()
    finally:
        target.stop()


def test_mock_ansira_names_the_urls_ready_info_derives(stack: Stack) -> None:
    """The mock's /__admin/health builds its URLs by itself (it cannot import harness): both must agree."""
    assert stack.ansira is not None
    health = requests.get(stack.ansira.url + HEALTH, headers={"X-Admin-Key": stack.admin_key}, timeout=10).json()
    ansira = stack.ready().ansira
    assert (health["url"], health["token_url"], health["user_url"]) == (ansira.url, ansira.token_url, ansira.user_url)


def test_the_mocks_ready_files_round_trip_and_keep_their_old_keys() -> None:
    an = ready_document("mock-ansira", host="0.0.0.0", public="127.0.0.1", ansira=ANSIRA, admin_key=ADMIN_KEY,
                        extra=ANSIRA.unprefixed_urls())
    ly = ready_document("mock-lytics", host="0.0.0.0", public="127.0.0.1", lytics=INFO.lytics,
                        extra=INFO.lytics.unprefixed_urls())
    assert AnsiraEndpoint.from_document(an) == ANSIRA and LyticsEndpoint.from_document(ly) == INFO.lytics
    assert (an["url"], an["token_url"], an["user_url"]) == (an["ansira_url"], an["ansira_token_url"],
                                                            an["ansira_user_url"])
    assert ly["url"] == ly["lytics_url"] and "admin_key" not in ly and an["admin_key"] == ADMIN_KEY
    assert ReadyInfo.from_document({**ly, **an}) == INFO  # the mock pair's files merged, as `--target` does


def test_the_fixtures_credentials_are_the_ready_files_values_unprefixed() -> None:
    assert ANSIRA.credentials() == {k.removeprefix("ansira_"): v for k, v in ANSIRA.section().items()
                                    if k != "ansira_url"}
    assert INFO.lytics.credentials() == {"api_key": API_KEY}


@pytest.mark.parametrize("show", [repr, str], ids=["repr", "str"])
def test_no_secret_in_a_repr(show: Callable[[object], str]) -> None:
    for value in (INFO, INFO.ansira, INFO.lytics):
        text = show(value)
        assert not any(s in text for s in (SECRET, API_KEY, ADMIN_KEY)), text
        assert MASK in text
    text = show(INFO)
    assert "client-a" in text and "http://127.0.0.1:8080" in text and "SRC" in text  # the rest stays readable
    assert "admin_key=''" in show(ReadyInfo(INFO.lytics, ANSIRA))  # no key: nothing to hide, and that shows
