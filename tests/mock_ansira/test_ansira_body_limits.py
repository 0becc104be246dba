"""Every mock Ansira body is capped at 1 MB (the token endpoint and admin too), and errors never echo input whole."""

from __future__ import annotations

import io

from ansira_helpers import CLIENT_ID, SECRET
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder

TOKEN = "/service/oauth/v2/token"
LIMIT = 1_000_000


def test_the_token_endpoint_refuses_a_declared_body_over_1_mb(client: FlaskClient) -> None:
    resp = client.post(TOKEN, data=b"grant_type=client_credentials&pad=" + b"p" * LIMIT, auth=(CLIENT_ID, SECRET),
                       content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 413 and resp.get_json()["error"] == "payload_too_large"


def test_the_token_endpoint_refuses_an_undeclared_body_over_1_mb(client: FlaskClient) -> None:
    """As a chunked body arrives: no Content-Length, a stream the server cut at the limit + 1 byte."""
    body = b"grant_type=client_credentials&pad=" + b"p" * LIMIT
    environ = EnvironBuilder(path=TOKEN, method="POST", content_type="application/x-www-form-urlencoded",
                             auth=(CLIENT_ID, SECRET)).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": io.BytesIO(body[: LIMIT + 1]), "wsgi.input_terminated": True})
    resp = client.open(environ)
    assert resp.status_code == 413 and resp.get_json()["error"] == "payload_too_large"


def test_a_token_body_at_the_limit_still_works(client: FlaskClient) -> None:
    body = b"grant_type=client_credentials&pad="
    resp = client.post(TOKEN, data=body + b"p" * 100_000, auth=(CLIENT_ID, SECRET),
                       content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 200 and resp.get_json()["access_token"]


def test_a_huge_grant_type_is_not_echoed_back(client: FlaskClient) -> None:
    resp = client.post(TOKEN, data={"grant_type": "g" * 400_000}, auth=(CLIENT_ID, SECRET))
    text = resp.get_data(as_text=True)
    assert resp.status_code in (400, 413) and len(text) < 1000, len(text)
    if resp.status_code == 400:
        assert "(400000 characters)" in text


def test_admin_bodies_are_capped_too(client: FlaskClient) -> None:
    resp = client.put("/__admin/behaviour", data=b"{" + b" " * (LIMIT + 10) + b"}", content_type="application/json")
    assert resp.status_code == 413
