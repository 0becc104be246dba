"""Schemathesis against both mocks' own /openapi.json, in process through the WSGI apps: no 5xx on any input,
and every response matches the documented status codes, content types and schemas.

Each case starts from a reset mock with valid credentials, so generated requests reach the handlers instead of
stopping at 401. Mock Ansira sleeps through a recorder (injected hangs and latency cost nothing) and any injected
fault a generated behaviour installs is gone at the next case's reset.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from mock_ansira import create_app as ansira_app
from mock_lytics import create_app as lytics_app

API_KEY = "openapi-api-key-0123456789"
ADMIN_KEY = "openapi-admin-key-0123456789"
CLIENT = {"client_id": "fuzz", "client_secret": "fuzz-secret-0123456789"}
SETTINGS = settings(max_examples=4, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))

LYTICS = lytics_app({"API_KEY": API_KEY, "ADMIN_KEY": ADMIN_KEY})
ANSIRA = ansira_app({"BEHAVIOUR": {"clients": [CLIENT], "source_codes": ["FUZZ"]}, "ADMIN_KEY": ADMIN_KEY,
                     "SLEEP": lambda _s: None})
# Mock Lytics' spec is generated from its routes and declares bodies as any object: it cannot say which bodies are
# valid, so "schema-valid data must be accepted" does not apply; every other default check does.
LYTICS_EXCLUDED = [positive_data_acceptance]
lytics_schema = schemathesis.openapi.from_wsgi("/openapi.json", LYTICS)
ansira_schema = schemathesis.openapi.from_wsgi("/openapi.json", ANSIRA)
for _schema in (lytics_schema, ansira_schema):
    # Examples and random positive/negative fuzzing only: the coverage phase adds ~20 boundary cases per
    # operation (about a minute for both mocks), too slow for `make test`.
    _schema.config.phases.coverage.enabled = False
    _schema.config.generation.update(no_shrink=True)


def _reset(app: Any) -> None:
    app.test_client().post("/__admin/reset", headers={"X-Admin-Key": ADMIN_KEY})


@ansira_schema.auth(refresh_interval=None)
class AnsiraToken:
    """Reset, then a fresh token, per case (schemathesis asks while generating the case, before the test body),
    sent as a Bearer header; schemathesis still sends missing/garbled credentials to check they are refused."""

    def get(self, case: Any, ctx: Any) -> str:
        _reset(ANSIRA)
        resp = ANSIRA.test_client().post("/service/oauth/v2/token", data={"grant_type": "client_credentials"},
                                         auth=(CLIENT["client_id"], CLIENT["client_secret"]))
        return str(resp.get_json()["access_token"])

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
        if case.query:  # a generated access_token would be a second, different token (400 by design)
            case.query = {k: v for k, v in case.query.items() if k != "access_token"}


@lytics_schema.parametrize()
@SETTINGS
def test_mock_lytics_matches_its_openapi(case: Any) -> None:
    _reset(LYTICS)
    case.call_and_validate(headers={"Authorization": API_KEY, "X-Admin-Key": ADMIN_KEY},
                           excluded_checks=LYTICS_EXCLUDED)


# Whether a body is valid can depend on more than its schema: a create_user body (and a seeded user) on the
# behaviour's source codes and email-validator's rules, a behaviour document on cross-field rules (a `status` fault
# needs `status`, ...). Schema-valid bodies are legitimately refused there; every other check still applies.
POSITIVE_EXCLUDED = {"createUser", "createUsers", "adminSeedUsers", "putBehaviour", "patchBehaviour"}


@ansira_schema.parametrize()
@SETTINGS
def test_mock_ansira_matches_its_openapi(case: Any) -> None:
    if "Authorization" not in (case.headers or {}):  # no token was fetched for this case, so no reset yet
        _reset(ANSIRA)
    op_id = case.operation.definition.raw.get("operationId")
    case.call_and_validate(headers={"X-Admin-Key": ADMIN_KEY},
                           excluded_checks=[positive_data_acceptance] if op_id in POSITIVE_EXCLUDED else [])
