"""The app factory's error handlers and documentation: unknown routes, the catch-all 500 (logged), a sweep of bad
inputs over every endpoint that must never reach it, and the OpenAPI description of every endpoint."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from app.main import INTERNAL_ERROR, create_app

ENDPOINTS = [  # (method, path), {sid} and {job} filled in
    ("POST", "/api/sessions"),
    ("POST", "/api/sessions/import"),
    ("GET", "/api/sessions/{sid}"),
    ("PATCH", "/api/sessions/{sid}"),
    ("POST", "/api/sessions/{sid}/reset"),
    ("POST", "/api/sessions/{sid}/step"),
    ("POST", "/api/sessions/{sid}/back"),
    ("POST", "/api/sessions/{sid}/train"),
    ("GET", "/api/sessions/{sid}/jobs/{job}"),
    ("GET", "/api/sessions/{sid}/metrics"),
    ("POST", "/api/sessions/{sid}/predict"),
    ("GET", "/api/sessions/{sid}/gradcheck"),
    ("GET", "/api/sessions/{sid}/export"),
    ("GET", "/api/datasets"),
    ("POST", "/api/datasets"),
    ("GET", "/api/datasets/{sid}"),
    ("GET", "/api/health"),
]

BAD_BODIES = [
    b"",
    b"{",
    b"null",
    b'"text"',
    b"[]",
    b"{}",
    b'{"unexpected": 1}',
    b'{"unit": null, "count": "many"}',
    b'{"layers": [1e400, 2]}',
    b'{"layers": [2, 2, 1], "init": {"weights": [[[1e400, 1], [1, 1]], [[1, 1]]]}}',
    b'{"layers": [2, 3], "dataset": {"inputs": [[1e400, 0], [0, 1]], "targets": [1, 0]}}',
    b'{"inputs": [[1e400, 0]]}',
    b'{"inputs": [[0, 0]], "extra": {"deep": [[[[[]]]]]}}',
    b'{"epochs": 1e400}',
    b'{"learning_rate": 1e400}',
    b"[" * 50_000 + b"]" * 50_000,
    b'{"format": "backprop-viz-session", "version": 1}',
]


def test_unknown_routes_and_methods_answer_json(api):
    missing = api.error(api.client.get("/api/nothing-here"), 404, "/docs")
    assert missing["field"] is None
    api.error(api.client.put("/api/health"), 405, "PUT")


def test_unexpected_errors_are_a_logged_generic_500(settings, caplog):
    app = create_app(settings)

    @app.get("/api/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR, logger="app"):
        response = client.get("/api/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": INTERNAL_ERROR, "field": None}
    assert "secret" not in response.text
    assert any("unhandled error in GET /api/boom" in r.getMessage() for r in caplog.records)
    assert any(r.exc_info and "secret internals" in str(r.exc_info[1]) for r in caplog.records)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_bad_inputs_never_reach_the_catch_all(settings, caplog):
    """Every endpoint, every malformed body: a 2xx or a 4xx with a JSON error, nothing logged as unhandled."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        sid = client.post("/api/sessions", json={"layers": [2, 3, 1]}).json()["id"]
        job = client.post(f"/api/sessions/{sid}/train", json={"passes": 3}).json()["id"]
        with caplog.at_level(logging.ERROR):
            for method, template in ENDPOINTS:
                path = template.format(sid=sid, job=job)
                for body in BAD_BODIES:
                    for content_type in ("application/json", "multipart/form-data; boundary=x", "text/plain"):
                        response = client.request(method, path, content=body, headers={"content-type": content_type})
                        assert response.status_code < 500, (method, path, body[:80], response.text)
                        if response.status_code >= 400:
                            assert "detail" in response.json()
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def test_openapi_documents_every_endpoint_with_models_and_errors(api):
    spec = api.client.get("/openapi.json").json()
    paths = spec["paths"]
    for method, path in ENDPOINTS:
        path = path.replace("{sid}", "{session_id}").replace("{job}", "{job_id}")
        if path == "/api/datasets/{session_id}":
            path = "/api/datasets/{dataset_id}"
        operation = paths[path][method.lower()]
        assert operation.get("summary"), (method, path)
        success = next(code for code in operation["responses"] if code.startswith("2"))
        content = operation["responses"][success].get("content", {})
        assert "$ref" in str(content), (method, path, success)
        if path != "/api/health":
            assert "401" in operation["responses"], (method, path)
            assert "ErrorBody" in str(operation["responses"]["422"]), (method, path)
    assert "SessionExport" in str(paths["/api/sessions/import"]["post"]["requestBody"])
    assert "multipart/form-data" in paths["/api/datasets"]["post"]["requestBody"]["content"]
    assert spec["components"]["schemas"]["SessionCreate"].get("examples")
    assert "one point per epoch" in paths["/api/sessions/{session_id}/metrics"]["get"]["description"].lower()
    assert api.client.get("/docs").status_code == 200
