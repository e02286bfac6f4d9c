"""The app factory: start-up migrations, OpenAPI served, CORS, size limits, hidden internals on 500."""
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import inspect

from backend.app import create_app
from tests.backend.backend_helpers import ALLOWED_ORIGIN, BOT, application_body, new_key


def test_factory_migrates_and_creates_the_sqlite_folder(settings, app):
    if settings.database_url.startswith("sqlite"):
        assert settings.database_url.endswith("/db/backend.sqlite")
    tables = set(inspect(app.state.engine).get_table_names())
    assert {"applications", "status_events", "photos", "feedback", "alembic_version"} <= tables


def test_second_start_on_the_same_database_is_harmless(settings, app):
    again = create_app(settings)
    assert again.state.engine.url == app.state.engine.url
    again.state.engine.dispose()


def test_openapi_served_and_every_error_uses_error_body(client):
    schema = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in str(schema)
    assert schema["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    for path in schema["paths"].values():
        for operation in path.values():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    assert response["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


def test_cors_allows_only_configured_origins(client):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = client.options("/api/v1/feedback", headers={"Origin": ALLOWED_ORIGIN, **preflight})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    bad = client.options("/api/v1/feedback", headers={"Origin": "http://evil.test", **preflight})
    assert "access-control-allow-origin" not in bad.headers
    simple = client.get("/healthz", headers={"Origin": "http://evil.test"})
    assert "access-control-allow-origin" not in simple.headers


def test_json_over_256_kb_is_413_in_chinese(client):
    huge = application_body(sender_ref="x" * (300 * 1024))
    response = client.post("/api/v1/applications", json=huge, headers={**BOT, "Idempotency-Key": new_key()})
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large" and "KB" in response.json()["message"]


def test_streamed_body_without_length_is_limited_too(client):
    def chunks():
        """300 KB in 1 KB pieces, sent chunked (no Content-Length)."""
        for _ in range(300):
            yield b"x" * 1024

    response = client.post("/api/v1/feedback", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_unexpected_error_is_a_chinese_500_without_internals(settings):
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        """Fail on purpose with a secret in the message."""
        raise RuntimeError("secret-internal-detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    app.state.engine.dispose()
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "message": "系统暂时出了点问题，请稍后再试。", "fields": {}}
    assert "secret" not in response.text


def test_unknown_path_is_404_in_the_common_shape(client):
    response = client.get("/nowhere")
    assert response.status_code == 404 and response.json()["error"] == "not_found"
