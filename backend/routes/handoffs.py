"""The handoff API: the assistant opens a queue entry (bot token), staff take, reply, hand back and close it (staff
credential, audited as `staff-token`), and the user's side sends messages and reads replies with the handoff's own
secret token (public, so the widget can call it from a portal's page)."""
from __future__ import annotations

from typing import Any, Dict, Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from typing_extensions import Literal

from backend import handoffs
from backend.handoff_schemas import (
    HandoffDetail,
    HandoffIn,
    HandoffList,
    HandoffOpened,
    TextIn,
    Updates,
    UpdatesIn,
    UserTextIn,
)
from backend.routes.api import errors, reject_unknown_query
from backend.security import BOT, STAFF, STAFF_TOKEN_ACTOR, authorize, roles
from reissue.handoff import STATUSES

# Documented in docs/handoff.md; kept out of docs/openapi.json, the intake contract.
router = APIRouter(dependencies=[Depends(reject_unknown_query)])
HandoffId = Path(..., ge=1, le=2**31 - 1)
StatusQuery = Optional[Literal[STATUSES]]


def _factory(request: Request) -> Any:
    """The session factory of the app."""
    return request.app.state.factory


@router.post("/api/v1/handoffs", status_code=201, response_model=HandoffOpened,
             responses=errors(401, 403, 413, 422), dependencies=[Depends(authorize)],
             summary="把会话转给人工排队（机器人令牌；摘要已打码）")
@roles(BOT)
def open_handoff(request: Request, body: HandoffIn) -> Dict[str, Any]:
    """Queue a conversation with its masked summary; the answer carries the token the user's side reads it with."""
    opened = handoffs.open_handoff(_factory(request), body.channel, body.summary.dict())
    return {"id": opened.id, "token": opened.token, "ahead": opened.ahead}


@router.get("/api/v1/handoffs", response_model=HandoffList, responses=errors(401, 403, 422),
            dependencies=[Depends(authorize)], summary="人工排队列表（工作人员令牌）")
@roles(STAFF)
def list_handoffs(request: Request, status: StatusQuery = Query(None)) -> Dict[str, Any]:
    """The handoffs with this status (without one: waiting and taken), oldest first."""
    return {"items": handoffs.list_handoffs(_factory(request), status)}


@router.get("/api/v1/handoffs/{handoff_id}", response_model=HandoffDetail, responses=errors(401, 403, 404, 422),
            dependencies=[Depends(authorize)], summary="一次人工会话：摘要、记录和操作留痕（工作人员令牌）")
@roles(STAFF)
def get_handoff(request: Request, handoff_id: int = HandoffId) -> Dict[str, Any]:
    """One handoff with its masked transcript and audit trail."""
    return handoffs.detail(_factory(request), handoff_id)


@router.post("/api/v1/handoffs/{handoff_id}/take", response_model=HandoffDetail,
             responses=errors(401, 403, 404, 409, 422), dependencies=[Depends(authorize)],
             summary="接入排队的会话（工作人员令牌）")
@roles(STAFF)
def take_handoff(request: Request, handoff_id: int = HandoffId) -> Dict[str, Any]:
    """Take a waiting handoff (someone else took it first: 409)."""
    handoffs.take(_factory(request), handoff_id, STAFF_TOKEN_ACTOR)
    return handoffs.detail(_factory(request), handoff_id)


@router.post("/api/v1/handoffs/{handoff_id}/messages", status_code=201, response_model=HandoffDetail,
             responses=errors(401, 403, 404, 409, 413, 422), dependencies=[Depends(authorize)],
             summary="回复用户（工作人员令牌）")
@roles(STAFF)
def reply_handoff(request: Request, body: TextIn, handoff_id: int = HandoffId) -> Dict[str, Any]:
    """Send a reply to the user of a taken handoff."""
    handoffs.reply(_factory(request), handoff_id, STAFF_TOKEN_ACTOR, body.text)
    return handoffs.detail(_factory(request), handoff_id)


@router.post("/api/v1/handoffs/{handoff_id}/release", response_model=HandoffDetail,
             responses=errors(401, 403, 404, 409, 422), dependencies=[Depends(authorize)],
             summary="交回智能助手，表单从原处继续（工作人员令牌）")
@roles(STAFF)
def release_handoff(request: Request, handoff_id: int = HandoffId) -> Dict[str, Any]:
    """Hand a taken conversation back to the assistant."""
    handoffs.release(_factory(request), handoff_id, STAFF_TOKEN_ACTOR)
    return handoffs.detail(_factory(request), handoff_id)


@router.post("/api/v1/handoffs/{handoff_id}/close", response_model=HandoffDetail,
             responses=errors(401, 403, 404, 409, 422), dependencies=[Depends(authorize)],
             summary="结束人工会话（工作人员令牌）")
@roles(STAFF)
def close_handoff(request: Request, handoff_id: int = HandoffId) -> Dict[str, Any]:
    """End a waiting or taken handoff."""
    handoffs.close(_factory(request), handoff_id, STAFF_TOKEN_ACTOR)
    return handoffs.detail(_factory(request), handoff_id)


@router.post("/api/v1/handoffs/{handoff_id}/user-messages", status_code=202, response_model=Updates,
             responses=errors(404, 409, 413, 422), summary="用户发给工作人员的消息（公开，凭本次会话的令牌）")
def user_message(request: Request, body: UserTextIn, handoff_id: int = HandoffId) -> Dict[str, Any]:
    """The user's message to the person ("不用了" ends the handoff); answers with what is new, as `updates` does."""
    handoffs.user_message(_factory(request), handoff_id, body.token, body.text)
    return handoffs.updates(_factory(request), handoff_id, body.token, 0, request.app.state.settings.handoff_wait_s)


@router.post("/api/v1/handoffs/{handoff_id}/updates", response_model=Updates, responses=errors(404, 413, 422),
             summary="用户一侧取新消息（公开，凭本次会话的令牌；网页每两秒轮询）")
def handoff_updates(request: Request, body: UpdatesIn, handoff_id: int = HandoffId) -> Dict[str, Any]:
    """The status, the place in the queue and the staff and system messages after `after`."""
    return handoffs.updates(_factory(request), handoff_id, body.token, body.after,
                            request.app.state.settings.handoff_wait_s)
