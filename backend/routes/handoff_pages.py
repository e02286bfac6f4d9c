"""The staff page of the live handoff (/staff/handoffs): the queue, and one conversation to take, read, answer,
hand back to the assistant or close — each step as the signed-in account, audited."""
from __future__ import annotations

from typing import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from backend import handoffs
from backend.accounts import Staff
from backend.errors import ApiError
from backend.routes.staff import MAX_ID, current_staff, not_found, render
from reissue.handoff import MAX_TEXT_CHARS, TAKEN, WAITING
from reissue.knowledge import message

router = APIRouter(include_in_schema=False)


async def _page(request: Request, staff: Staff, handoff_id: int, status_code: int = 200, error: str = "",
                notice: str = "") -> Response:
    """Render one handoff (or the not-found page)."""
    try:
        found = await run_in_threadpool(handoffs.detail, request.app.state.factory, handoff_id)
    except ApiError:
        return not_found(staff, str(handoff_id))
    return render("handoff.html", status_code=status_code, title=f"人工会话 {handoff_id}", staff=staff, item=found,
                  waiting=WAITING, taken=TAKEN, error=error, notice=notice, max_text=MAX_TEXT_CHARS)


async def _act(request: Request, staff: Staff, handoff_id: int, step: Callable[[], None], notice_key: str) -> Response:
    """Run one staff step; its refusal (409, 404) comes back on the same page."""
    if not 1 <= handoff_id <= MAX_ID:
        return not_found(staff, str(handoff_id))
    try:
        await run_in_threadpool(step)
    except ApiError as error:
        return await _page(request, staff, handoff_id, status_code=error.status_code, error=error.message)
    return await _page(request, staff, handoff_id, notice=message(notice_key))


@router.get("/staff/handoffs", response_class=HTMLResponse)
async def staff_handoffs(request: Request, staff: Staff = Depends(current_staff)) -> Response:
    """The queue: waiting conversations first come first served, then those being served."""
    rows = await run_in_threadpool(handoffs.list_handoffs, request.app.state.factory, None)
    return render("handoffs.html", title="人工服务", staff=staff, waiting=[r for r in rows if r["status"] == WAITING],
                  serving=[r for r in rows if r["status"] == TAKEN])


@router.get("/staff/handoffs/{handoff_id}", response_class=HTMLResponse)
async def staff_handoff(request: Request, handoff_id: int, staff: Staff = Depends(current_staff)) -> Response:
    """One conversation: summary, transcript, audit trail and what can be done now."""
    if not 1 <= handoff_id <= MAX_ID:
        return not_found(staff, str(handoff_id))
    return await _page(request, staff, handoff_id)


@router.post("/staff/handoffs/{handoff_id}/take")
async def staff_take(request: Request, handoff_id: int, staff: Staff = Depends(current_staff)) -> Response:
    """Take the conversation as the signed-in account."""
    factory = request.app.state.factory
    return await _act(request, staff, handoff_id, lambda: handoffs.take(factory, handoff_id, staff.username),
                      "handoff_staff_taken")


@router.post("/staff/handoffs/{handoff_id}/messages")
async def staff_reply(request: Request, handoff_id: int, staff: Staff = Depends(current_staff)) -> Response:
    """Send the reply typed in the form."""
    text = str((await request.form()).get("text") or "").strip()[:MAX_TEXT_CHARS]
    if not text:
        return await _page(request, staff, handoff_id, status_code=422, error=message("handoff_staff_empty"))
    factory = request.app.state.factory
    return await _act(request, staff, handoff_id, lambda: handoffs.reply(factory, handoff_id, staff.username, text),
                      "handoff_staff_replied")


@router.post("/staff/handoffs/{handoff_id}/release")
async def staff_release(request: Request, handoff_id: int, staff: Staff = Depends(current_staff)) -> Response:
    """Hand the conversation back to the assistant."""
    factory = request.app.state.factory
    return await _act(request, staff, handoff_id, lambda: handoffs.release(factory, handoff_id, staff.username),
                      "handoff_staff_released")


@router.post("/staff/handoffs/{handoff_id}/close")
async def staff_close(request: Request, handoff_id: int, staff: Staff = Depends(current_staff)) -> Response:
    """End the conversation."""
    factory = request.app.state.factory
    return await _act(request, staff, handoff_id, lambda: handoffs.close(factory, handoff_id, staff.username),
                      "handoff_staff_closed")
