"""The workspace's JSON API (staff token): the grouped inbox of unanswered questions and decisions about its
groups, the drafts of new answers, and the follow-ups of low ratings. Changes are audited as staff-token."""
from __future__ import annotations

from typing import Any, Dict

from fastapi import APIRouter, Depends, Path, Query, Request
from typing_extensions import Literal

from backend import followups, inbox
from backend.routes.api import errors, reject_unknown_query
from backend.security import STAFF, STAFF_TOKEN_ACTOR, authorize, roles
from backend.service import PAGE_SIZE
from backend.workspace_schemas import (
    DraftIn,
    DraftItem,
    DraftList,
    FollowupIn,
    FollowupItem,
    FollowupList,
    ReviewDone,
    ReviewIn,
    UnansweredGroupList,
)
from backend.workspace_views import draft_view, followup_view, group_view

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
    summary="处理一组未答问题：归入常见问题、需要新答复、不属于本事项（加进证书名单）、忽略（工作人员令牌）",
)
@roles(STAFF)
def post_review(request: Request, body: ReviewIn) -> Dict[str, Any]:
    """Decide about the questions of a group; 409 when any of them was already decided about. Out of scope needs
    the document's name, the authority and the source (a public page's address or the rule it rests on)."""
    look_alike = inbox.LookAlike(name=body.name, aliases=tuple(body.aliases), category=body.category,
                                 source=body.source)
    count = inbox.review(request.app.state.factory, body.question_ids, body.action, STAFF_TOKEN_ACTOR,
                         body.faq_key, body.authority, look_alike)
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


def followup_page(request: Request, state: str, page: int) -> Dict[str, Any]:
    """One page of follow-ups in one state (or all), with the counts over all of them."""
    items = followups.followups(request.app.state.factory)
    chosen = [item for item in items if state == "all" or (item.overdue if state == "overdue" else
                                                             item.state_key == state)]
    start = (page - 1) * PAGE_SIZE
    return {"items": [followup_view(item) for item in chosen[start:start + PAGE_SIZE]],
            "summary": followups.counts(items), "total": len(chosen), "page": page, "page_size": PAGE_SIZE}


@router.get(
    "/api/v1/followups",
    response_model=FollowupList,
    responses=errors(401, 403, 422),
    dependencies=[Depends(authorize)],
    summary="不满意评价的回访（15个工作日内；工作人员令牌）",
)
@roles(STAFF)
def get_followups(request: Request,
                  state: Literal["all", "open", "contacted", "resolved", "overdue"] = Query("all"),
                  page: int = Query(1, ge=1, le=1000)) -> Dict[str, Any]:
    """Every 不满意 or 非常不满意 rating with its due day (15 working days later), overdue ones first."""
    return followup_page(request, state, page)


@router.post(
    "/api/v1/followups/{feedback_id}",
    response_model=FollowupItem,
    responses=errors(401, 403, 404, 409, 413, 422),
    dependencies=[Depends(authorize)],
    summary="记录回访：已联系、已解决、备注（工作人员令牌）",
)
@roles(STAFF)
def post_followup(request: Request, body: FollowupIn,
                  feedback_id: int = Path(..., ge=1, le=2**31 - 1)) -> Dict[str, Any]:
    """Record the follow-up of one low rating (the note is masked)."""
    item = followups.record(request.app.state.factory, feedback_id, body.contacted, body.resolved, body.note,
                            STAFF_TOKEN_ACTOR)
    return followup_view(item)
