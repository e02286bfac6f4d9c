"""The staff page of the callback numbers (/staff/callbacks): the numbers left, masked, oldest first with the day
each is deleted by, and one callback with the conversation's masked summary, to have its number shown whole once
(audited, throttled) and to record the call as the signed-in account (the number is deleted then)."""
from __future__ import annotations

from typing import Mapping, Optional

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from backend import callbacks
from backend.accounts import Staff
from backend.errors import ApiError
from backend.routes.staff import MAX_ID, current_staff, not_found, render
from reissue.callback import DONE, MAX_NOTE_CHARS, OPEN
from reissue.knowledge import message

router = APIRouter(include_in_schema=False)
RECENT = 20


async def _page(request: Request, staff: Staff, callback_id: int, status_code: int = 200, error: str = "",
                notice: str = "", revealed: str = "", headers: Optional[Mapping[str, str]] = None) -> Response:
    """Render one callback (or the not-found page); `revealed` is the whole number, on the reveal's answer only."""
    days = request.app.state.settings.callback_retention_days
    try:
        found = await run_in_threadpool(callbacks.detail, request.app.state.factory, callback_id, days)
    except ApiError:
        return not_found(staff, str(callback_id))
    reveals = [event for event in found["events"] if event["action"] == callbacks.REVEALED]
    return render("callback.html", status_code=status_code, headers=dict(headers or {}),
                  title=f"回电登记 {callback_id}", staff=staff, item=found, open=OPEN, error=error, notice=notice,
                  max_note=MAX_NOTE_CHARS, revealed=revealed, reveals=reveals)


@router.get("/staff/callbacks", response_class=HTMLResponse)
async def staff_callbacks(request: Request, staff: Staff = Depends(current_staff)) -> Response:
    """The numbers waiting for a call, oldest first, and the calls recorded last."""
    days = request.app.state.settings.callback_retention_days
    factory = request.app.state.factory
    waiting = await run_in_threadpool(callbacks.list_callbacks, factory, OPEN, days)
    recorded = await run_in_threadpool(callbacks.list_callbacks, factory, DONE, days)
    return render("callbacks.html", title="回电登记", staff=staff, waiting=waiting, recorded=recorded[-RECENT:][::-1])


@router.get("/staff/callbacks/{callback_id}", response_class=HTMLResponse)
async def staff_callback(request: Request, callback_id: int, staff: Staff = Depends(current_staff)) -> Response:
    """One callback: the masked number, the conversation's summary, the audit trail, and the form to record it."""
    if not 1 <= callback_id <= MAX_ID:
        return not_found(staff, str(callback_id))
    return await _page(request, staff, callback_id)


@router.post("/staff/callbacks/{callback_id}")
async def staff_record(request: Request, callback_id: int, staff: Staff = Depends(current_staff)) -> Response:
    """Record the call as the signed-in account."""
    if not 1 <= callback_id <= MAX_ID:
        return not_found(staff, str(callback_id))
    form = await request.form()
    reached = str(form.get("reached") or "") == "1"
    note = str(form.get("note") or "").strip()[:MAX_NOTE_CHARS]
    factory = request.app.state.factory
    try:
        await run_in_threadpool(callbacks.record, factory, callback_id, staff.username, reached, note)
    except ApiError as error:
        return await _page(request, staff, callback_id, status_code=error.status_code, error=error.message)
    return await _page(request, staff, callback_id, notice=message("callback_staff_recorded"))


@router.post("/staff/callbacks/{callback_id}/reveal")
async def staff_reveal(request: Request, callback_id: int, staff: Staff = Depends(current_staff)) -> Response:
    """Show the whole number once to the signed-in account, audited (recorded or deleted: 409; too many: 429)."""
    if not 1 <= callback_id <= MAX_ID:
        return not_found(staff, str(callback_id))
    state = request.app.state
    try:
        phone = await run_in_threadpool(callbacks.reveal, state.factory, callback_id, staff.username,
                                        state.secrets.seal_secret)
    except ApiError as error:
        return await _page(request, staff, callback_id, status_code=error.status_code, error=error.message,
                           headers=error.headers)
    return await _page(request, staff, callback_id, revealed=phone,
                       notice=message("callback_staff_revealed", username=staff.username))
