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
    Pushes,
    PushReport,
    Recorded,
    RelayIn,
    RelayOut,
    TextIn,
    Updates,
    UpdatesIn,
    UserTextIn,
)
from backend.routes.api import errors, reject_unknown_query
from backend.security import BOT, STAFF, STAFF_TOKEN_ACTOR, authorize, roles
from reissue.handoff import STATUSES

# Documented in docs/handoff.md and in docs/openapi.json.
router = APIRouter(dependencies=[Depends(reject_unknown_query)])
HandoffId = Path(..., ge=1, le=2**31 - 1)
StatusQuery = Optional[Literal[STATUSES]]


def _factory(request: Request) -> Any:
    """The session factory of the app."""
    return request.app.state.factory


def policy(request: Request) -> handoffs.Policy:
    """The wait and the callback retention of the app's settings."""
    settings = request.app.state.settings
    return handoffs.Policy(settings.handoff_wait_s, settings.callback_retention_days)


@router.post("/api/v1/handoffs", status_code=201, response_model=HandoffOpened,
             responses=errors(401, 403, 413, 422), dependencies=[Depends(authorize)],
             summary="把会话转给人工排队（机器人令牌；摘要已打码）")
@roles(BOT)
def open_handoff(request: Request, body: HandoffIn) -> Dict[str, Any]:
    """Queue a conversation with its masked summary; the answer carries the token the user's side reads it with."""
    opened = handoffs.open_handoff(_factory(request), body.channel, body.summary.dict(),
                                   conversation=body.conversation or "", address=body.address or "",
                                   keys=request.app.state.secrets)
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
    return handoffs.updates(_factory(request), handoff_id, body.token, 0, policy(request))


@router.post("/api/v1/handoffs/{handoff_id}/updates", response_model=Updates, responses=errors(404, 413, 422),
             summary="用户一侧取新消息（公开，凭本次会话的令牌；网页每两秒轮询）")
def handoff_updates(request: Request, body: UpdatesIn, handoff_id: int = HandoffId) -> Dict[str, Any]:
    """The status, the place in the queue and the staff and system messages after `after`."""
    return handoffs.updates(_factory(request), handoff_id, body.token, body.after, policy(request))


@router.post("/api/v1/channel-handoffs/relay", response_model=RelayOut, responses=errors(401, 403, 413, 422),
             dependencies=[Depends(authorize)], summary="微信用户的消息：交给工作人员、回电登记或智能助手（机器人令牌）")
@roles(BOT)
def relay(request: Request, body: RelayIn) -> Dict[str, Any]:
    """Route a WeChat user's words by their conversation: the open handoff's person, a callback offer, or the
    assistant; with the replies the channel sends now."""
    return handoffs.relay(_factory(request), body.conversation, body.text, request.app.state.secrets, policy(request))


@router.post("/api/v1/channel-handoffs/claim", response_model=Pushes, responses=errors(401, 403, 422),
             dependencies=[Depends(authorize)], summary="取待推送给微信用户的消息，每条只交给一个轮询者（机器人令牌）")
@roles(BOT)
def claim_pushes(request: Request) -> Dict[str, Any]:
    """The staff and system messages to push now, each handed out once."""
    return handoffs.claim(_factory(request), request.app.state.secrets, policy(request))


@router.post("/api/v1/channel-handoffs/report", response_model=Recorded, responses=errors(401, 403, 413, 422),
             dependencies=[Depends(authorize)], summary="报告推送结果：送达或未送达（机器人令牌）")
@roles(BOT)
def report_pushes(request: Request, body: PushReport) -> Dict[str, Any]:
    """Record which pushed messages WeChat took; the others show as undelivered to staff."""
    return {"recorded": handoffs.report(_factory(request), [(r.id, r.delivered) for r in body.results])}
