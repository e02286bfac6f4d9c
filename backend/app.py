"""The application factory: `create_app(settings)` builds engine, migrations, routes and middleware."""
from __future__ import annotations

from typing import Optional

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from backend.db import DatabaseProbe, make_engine, make_session_factory, run_migrations
from backend.errors import install_error_handlers
from backend.limits import EDGE_RESPONSES, BodySizeLimit, EdgeQuotas
from backend.security import StaffPageHeaders, auth_error_for
from backend.service import Secrets
from reissue.settings import Settings, get_settings

DESCRIPTION = (
    "山东省专业技术人员职业资格证书补发的受理服务。机器人用 REISSUE_BACKEND_TOKEN 提交申请和查询进度；"
    "查询服务和脚本用 BACKEND_STAFF_TOKEN 检索申请、变更状态（工作人员页面 /staff 用个人账号登录）。"
    "所有错误都返回 {error, message, fields}，message 为中文。"
)


def cors_origins(value: str) -> list:
    """The comma-separated origins as a list (empty entries dropped)."""
    return [origin.strip() for origin in value.split(",") if origin.strip()]


def tidy_openapi(schema: dict) -> dict:
    """Point every 422 at the common ErrorBody, document what the edge limits answer, and drop FastAPI's default
    validation schemas."""
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for (method, path), answers in EDGE_RESPONSES.items():
        operation = schema.get("paths", {}).get(path, {}).get(method)
        if operation is not None:
            for code, description in answers.items():
                operation["responses"].setdefault(str(code), {"description": description, "content": error_content})
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            response = operation.get("responses", {}).get("422")
            if response and "HTTPValidationError" in str(response):
                operation["responses"]["422"] = {
                    "description": "字段填写有误（fields 里按字段给出中文说明）",
                    "content": error_content,
                }
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Replace app.openapi with a cached, tidied document."""
    original = app.openapi

    def openapi() -> dict:
        """The tidied OpenAPI document."""
        if app.openapi_schema is None:
            app.openapi_schema = tidy_openapi(original())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Optional[Settings] = None, migrate: bool = True) -> FastAPI:
    """Build the backend for `settings` (default: the environment), migrating the database first."""
    from backend.routes import (
        analytics,
        analytics_pages,
        api,
        callback_pages,
        callbacks,
        handoff_pages,
        handoffs,
        knowledge,
        staff,
        workspace,
        workspace_pages,
    )

    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    if migrate:
        run_migrations(engine)
    app = FastAPI(title="证书补发受理后台 API", version="1.0.0", description=DESCRIPTION, docs_url="/docs", redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.database_probe = DatabaseProbe(lambda: app.state.engine)
    app.state.factory = make_session_factory(engine)
    app.state.secrets = Secrets(hmac_key=settings.backend_id_hmac_key, seal_secret=settings.backend_id_secret)
    install_error_handlers(app, auth_error_for)
    app.add_exception_handler(staff.PageRefusal, staff.refusal_response)
    install_openapi(app)
    app.include_router(api.router)
    app.include_router(staff.router)
    app.include_router(workspace.router)
    app.include_router(knowledge.router)
    app.include_router(workspace_pages.router)
    app.include_router(handoffs.router)
    app.include_router(handoff_pages.router)
    app.include_router(analytics.router)
    app.include_router(analytics_pages.router)
    app.include_router(callbacks.router)
    app.include_router(callback_pages.router)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(EdgeQuotas, factory=app.state.factory, settings=settings)
    app.add_middleware(StaffPageHeaders)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=cors_origins(settings.cors_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        allow_credentials=False,
        max_age=600,
    )
    return app
