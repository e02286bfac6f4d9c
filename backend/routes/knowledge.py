"""The knowledge store's JSON API: every FAQ answer as it is now (bot and staff tokens: the assistant and the
hotline lookup read it), a new version (staff), its versions and a rollback (staff; audited as staff-token)."""
from __future__ import annotations

from typing import Any, Dict

from fastapi import APIRouter, Depends, Path, Request

from backend import knowledge_store
from backend.routes.api import errors, reject_unknown_query
from backend.security import BOT, STAFF, STAFF_TOKEN_ACTOR, authorize, roles
from backend.workspace_schemas import KnowledgeHistory, KnowledgeIn, KnowledgeItem, KnowledgeList, RollbackIn
from backend.workspace_views import knowledge_view, version_view

router = APIRouter(dependencies=[Depends(reject_unknown_query)])
KEY = Path(..., max_length=64)


@router.get(
    "/api/v1/knowledge",
    response_model=KnowledgeList,
    responses=errors(401, 403, 422),
    dependencies=[Depends(authorize)],
    summary="所有常见问题的现行答复（机器人或工作人员令牌）",
)
@roles(BOT, STAFF)
def get_knowledge(request: Request) -> Dict[str, Any]:
    """Every FAQ answer: key, title, text, source, version."""
    return {"items": [knowledge_view(e) for e in knowledge_store.entries(request.app.state.factory)]}


@router.put(
    "/api/v1/knowledge/{key}",
    response_model=KnowledgeItem,
    responses=errors(401, 403, 404, 409, 413, 422),
    dependencies=[Depends(authorize)],
    summary="修改一条答复，存为新版本（工作人员令牌；一分钟内生效）",
)
@roles(STAFF)
def put_knowledge(request: Request, body: KnowledgeIn, key: str = KEY) -> Dict[str, Any]:
    """Store a new version; a quoted fact of the guide may be dropped only with a note that says so (指南)."""
    return knowledge_view(knowledge_store.store(request.app.state.factory, key, body.text, body.note,
                                                STAFF_TOKEN_ACTOR))


@router.get(
    "/api/v1/knowledge/{key}/versions",
    response_model=KnowledgeHistory,
    responses=errors(401, 403, 404, 422),
    dependencies=[Depends(authorize)],
    summary="一条答复的所有版本（工作人员令牌）",
)
@roles(STAFF)
def get_versions(request: Request, key: str = KEY) -> Dict[str, Any]:
    """Every version, newest first; version 0 is the training-time default."""
    return {"key": key, "items": [version_view(v) for v in knowledge_store.history(request.app.state.factory, key)]}


@router.post(
    "/api/v1/knowledge/{key}/rollback",
    response_model=KnowledgeItem,
    responses=errors(401, 403, 404, 409, 413, 422),
    dependencies=[Depends(authorize)],
    summary="回退到某一版本（存为新版本；工作人员令牌）",
)
@roles(STAFF)
def post_rollback(request: Request, body: RollbackIn, key: str = KEY) -> Dict[str, Any]:
    """Restore the text of an earlier version (0: the default) as a new version."""
    return knowledge_view(knowledge_store.rollback(request.app.state.factory, key, body.version, body.note,
                                                   STAFF_TOKEN_ACTOR))
