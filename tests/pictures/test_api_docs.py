"""Swagger UI at /docs on both mocks renders their OpenAPI documents in a browser, offline."""

from __future__ import annotations

from typing import Any

import pytest

from harness.servers import ServerThread
from mock_ansira import create_app as ansira_app
from mock_lytics import create_app as lytics_app


@pytest.mark.parametrize(("make", "title", "operation"), [
    (lambda: ansira_app({"ADMIN_KEY": "adm-docs-test"}), "mock Ansira", "/service/api/v2/user"),
    (lambda: lytics_app({"API_KEY": "lk-docs-test", "ADMIN_KEY": "adm-docs-test"}), "mock Lytics",
     "/collect/json/{stream}"),
], ids=["ansira", "lytics"])
def test_swagger_ui_renders_the_openapi_document(make: Any, title: str, operation: str, page: Any) -> None:
    with ServerThread(make(), name="docs") as srv:
        pg = page.page
        pg.goto(srv.url + "/docs")  # redirects to /docs/
        pg.locator(".opblock").first.wait_for(timeout=20_000)
        assert title.lower() in pg.locator(".info .title").inner_text().lower()  # the OpenAPI info.title
        paths = [p.replace("\u200b", "") for p in pg.locator(".opblock-summary-path").all_inner_texts()]
        assert operation in paths, paths[:10]
        assert page.errors == [] and page.external == [], (page.errors, page.external)


def test_docs_need_no_key_and_are_not_journaled() -> None:
    ansira = ansira_app({"ADMIN_KEY": "adm-docs-test"}).test_client()
    assert ansira.get("/docs/").status_code == 200
    bundle = ansira.get("/docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.data) > 100_000  # swagger-ui itself, from the package
    bundle.close()
    assert ansira.get("/__admin/journal", headers={"X-Admin-Key": "adm-docs-test"}).json["entries"] == []
    lytics = lytics_app({"API_KEY": "lk-docs-test"}).test_client()
    assert lytics.get("/docs/").status_code == 200
    assert lytics.get("/api/segment").status_code == 401  # the API itself still wants its key
    doc = lytics.get("/openapi.json").json
    assert doc["paths"]["/docs/"]["get"]["security"] == []  # documented, and open like /openapi.json
