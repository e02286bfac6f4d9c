"""The callback API: the assistant offers a callback (bot token), the user's side answers the offer with its token
(public, as the widget calls it from a portal's page), staff list the numbers left (masked) and record each call
(staff credential, audited as `staff-token`; the sealed number is deleted then)."""
from __future__ import annotations

from typing import Any, Dict, Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from typing_extensions import Literal

from backend import callbacks
from backend.callback_schemas import AnswerIn, AnswerOut, CallbackDetail, CallbackList, OfferIn, OfferOut, RecordIn
from backend.routes.api import errors, reject_unknown_query
from backend.security import BOT, STAFF, STAFF_TOKEN_ACTOR, authorize, roles
from reissue.callback import STATUSES

router = APIRouter(dependencies=[Depends(reject_unknown_query)])
CallbackId = Path(..., ge=1, le=2**31 - 1)
StatusQuery = Optional[Literal[STATUSES]]


def _days(request: Request) -> float:
    """How long a callback number is kept."""
    return request.app.state.settings.callback_retention_days


@router.post("/api/v1/callbacks", status_code=201, response_model=OfferOut, responses=errors(401, 403, 413, 422),
             dependencies=[Depends(authorize)], summary="提供回电登记（非人工服务时间；机器人令牌；摘要已打码）")
@roles(BOT)
def offer(request: Request, body: OfferIn) -> Dict[str, Any]:
    """Offer a callback; the answer carries the token the user's side answers with (none for WeChat)."""
    made = callbacks.open_offer(request.app.state.factory, body.channel, body.summary.dict(), request.app.state.secrets,
                                conversation=body.conversation or "")
    return {"id": made.id, "token": made.token}


@router.post("/api/v1/callbacks/{callback_id}/user-messages", response_model=AnswerOut,
             responses=errors(404, 413, 422), summary="用户回答回电询问（公开，凭本次会话的令牌）")
def answer(request: Request, body: AnswerIn, callback_id: int = CallbackId) -> Dict[str, Any]:
    """The user's consent, number or "不用了"; anything else goes back to the assistant (`passthrough`)."""
    return callbacks.answer(request.app.state.factory, callback_id, body.token, body.text, request.app.state.secrets,
                            _days(request)).body()


@router.get("/api/v1/callbacks", response_model=CallbackList, responses=errors(401, 403, 422),
            dependencies=[Depends(authorize)], summary="回电登记列表，号码已打码（工作人员令牌）")
@roles(STAFF)
def list_callbacks(request: Request, status: StatusQuery = Query(None)) -> Dict[str, Any]:
    """The callbacks of this status (without one: the open ones, waiting for a call), oldest first."""
    return {"items": callbacks.list_callbacks(request.app.state.factory, status, _days(request))}


@router.get("/api/v1/callbacks/{callback_id}", response_model=CallbackDetail, responses=errors(401, 403, 404, 422),
            dependencies=[Depends(authorize)], summary="一条回电登记：打码号码、会话摘要和操作留痕（工作人员令牌）")
@roles(STAFF)
def get_callback(request: Request, callback_id: int = CallbackId) -> Dict[str, Any]:
    """One callback with its audit trail."""
    return callbacks.detail(request.app.state.factory, callback_id, _days(request))


@router.post("/api/v1/callbacks/{callback_id}", response_model=CallbackDetail,
             responses=errors(401, 403, 404, 409, 413, 422), dependencies=[Depends(authorize)],
             summary="登记回电结果，号码随即删除（工作人员令牌）")
@roles(STAFF)
def record_callback(request: Request, body: RecordIn, callback_id: int = CallbackId) -> Dict[str, Any]:
    """Record the call (reached or not, a note); the number is deleted. Recorded already or lapsed: 409."""
    callbacks.record(request.app.state.factory, callback_id, STAFF_TOKEN_ACTOR, body.reached, body.note)
    return callbacks.detail(request.app.state.factory, callback_id, _days(request))
