"""The workspace's JSON API (staff token): the grouped inbox of unanswered questions and decisions about its
groups, and the drafts of new answers. Changes are audited as staff-token."""
from __future__ import annotations

from typing import Any, Dict

from fastapi import APIRouter, Depends, Path, Query, Request
from typing_extensions import Literal

from backend import inbox
from backend.routes.api import errors, reject_unknown_query
from backend.security import STAFF, STAFF_TOKEN_ACTOR, authorize, roles
from backend.service import PAGE_SIZE
from backend.workspace_schemas import DraftIn, DraftItem, DraftList, ReviewDone, ReviewIn, UnansweredGroupList
from backend.workspace_views import draft_view, group_view

router = APIRouter(dependencies=[Depends(reject_unknown_query)])


def group_page(request: Request, order: str, page: int) -> Dict[str, Any]:
    """One page of the grouped inbox."""
    found = inbox.groups(request.app.state.factory, order)
    start = (page - 1) * PAGE_SIZE
    return {"items": [group_view(g) for g in found[start:start + PAGE_SIZE]], "total": len(found),
            "open_questions": sum(g.count for g in found), "page": page, "page_size": PAGE_SIZE}


@router.get(
    "/api/v1/unanswered/groups",
    response_model=UnansweredGroupList,
    responses=errors(401, 403, 422),
    dependencies=[Depends(authorize)],
    summary="按相近问题分组的未答问题（工作人员令牌）",
)
@roles(STAFF)
def get_groups(request: Request, order: Literal["frequent", "recent"] = Query("frequent"),
               page: int = Query(1, ge=1, le=1000)) -> Dict[str, Any]:
    """The questions nobody has decided about yet, near-identical ones in one group; most frequent first
    (order=frequent, ties newest first) or newest first (order=recent)."""
    return group_page(request, order, page)


@router.post(
    "/api/v1/unanswered/reviews",
    response_model=ReviewDone,
    responses=errors(401, 403, 409, 413, 422),
    dependencies=[Depends(authorize)],
    summary="处理一组未答问题：归入常见问题、需要新答复、不属于本事项、忽略（工作人员令牌）",
)
@roles(STAFF)
def post_review(request: Request, body: ReviewIn) -> Dict[str, Any]:
    """Decide about the questions of a group; 409 when any of them was already decided about."""
    count = inbox.review(request.app.state.factory, body.question_ids, body.action, STAFF_TOKEN_ACTOR,
                         body.faq_key, body.authority)
    return {"reviewed": count}


@router.get(
    "/api/v1/drafts",
    response_model=DraftList,
    responses=errors(401, 403, 422),
    dependencies=[Depends(authorize)],
    summary="需要新答复的草稿（工作人员令牌）",
)
@roles(STAFF)
def get_drafts(request: Request) -> Dict[str, Any]:
    """Every draft, unpublished first."""
    return {"items": [draft_view(d) for d in inbox.drafts(request.app.state.factory)]}


@router.post(
    "/api/v1/drafts/{draft_id}",
    response_model=DraftItem,
    responses=errors(401, 403, 404, 409, 413, 422),
    dependencies=[Depends(authorize)],
    summary="保存或发布草稿（发布须写明来源；工作人员令牌）",
)
@roles(STAFF)
def post_draft(request: Request, body: DraftIn, draft_id: int = Path(..., ge=1, le=2**31 - 1)) -> Dict[str, Any]:
    """Store the draft's answer and source; publish it when asked (422 without an answer or a source)."""
    draft = inbox.save_draft(request.app.state.factory, draft_id, body.answer, body.source, STAFF_TOKEN_ACTOR,
                             body.publish)
    return draft_view(draft)
