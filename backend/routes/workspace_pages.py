"""The workspace's staff pages (server-rendered, no JavaScript): the inbox of unanswered questions, the drafts
of new answers, the follow-ups of low ratings and the answers that change live. Every change is audited with the
signed-in account."""
from __future__ import annotations

from typing import Any, List

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from backend import audit, followups, inbox, knowledge_store
from backend.accounts import Staff
from backend.errors import ApiError
from backend.routes.staff import _int, current_staff, render
from backend.service import PAGE_SIZE
from backend.workspace_views import draft_view, event_view, followup_view, group_view, knowledge_view, version_view
from reissue.knowledge import faq_entries, message

router = APIRouter(include_in_schema=False)
ORDER_LABELS = {"frequent": "最常问的在前", "recent": "最新的在前"}


def error_text(error: ApiError) -> str:
    """The error's message with its field messages, for the page."""
    return "；".join([error.message, *error.fields.values()]) if error.fields else error.message


async def _inbox(request: Request, staff: Staff, status_code: int = 200, error: str = "",
                 notice: str = "") -> HTMLResponse:
    """Render one page of the grouped inbox with the decision form of each group."""
    params = request.query_params
    order = params.get("order") or "frequent"
    order = order if order in ORDER_LABELS else "frequent"
    page = _int(params.get("page"), 1, 1, 1000)
    factory = request.app.state.factory
    found = await run_in_threadpool(inbox.groups, factory, order)
    events = await run_in_threadpool(audit.recent, factory, 10)
    start = (page - 1) * PAGE_SIZE
    return render("inbox.html", status_code=status_code, title="未答问题", staff=staff,
                  groups=[group_view(g) for g in found[start:start + PAGE_SIZE]], total=len(found),
                  open_questions=sum(g.count for g in found), page=page,
                  pages=max(1, -(-len(found) // PAGE_SIZE)), order=order, orders=ORDER_LABELS,
                  faqs={key: entry.title for key, entry in faq_entries().items()},
                  categories=inbox.categories(), default_category=inbox.DEFAULT_CATEGORY,
                  events=[event_view(e) for e in events], error=error, notice=notice)


@router.get("/staff/inbox", response_class=HTMLResponse)
async def staff_inbox(request: Request, staff: Staff = Depends(current_staff)) -> HTMLResponse:
    """The open unanswered questions in groups."""
    return await _inbox(request, staff)


def _ids(values: List[Any]) -> List[int]:
    """The question ids posted by a group's form (anything else dropped)."""
    return [int(value) for value in values if str(value).isdigit() and 0 < int(value) < 2**31][:inbox.MAX_GROUP]


@router.post("/staff/inbox/review", response_class=HTMLResponse)
async def staff_review(request: Request, staff: Staff = Depends(current_staff)) -> HTMLResponse:
    """Apply the decision chosen for one group as the signed-in account; errors come back on the same page."""
    form = await request.form()
    ids = _ids(form.getlist("ids"))
    action = str(form.get("action") or "")[:16]
    faq_key = str(form.get("faq_key") or "")[:64]
    authority = str(form.get("authority") or "")[:inbox.MAX_AUTHORITY]
    look_alike = inbox.LookAlike(
        name=str(form.get("name") or "")[:inbox.MAX_NAME],
        aliases=tuple(alias[:inbox.MAX_ALIAS] for alias in
                      inbox.split_aliases(str(form.get("aliases") or ""))[:inbox.MAX_ALIASES]),
        category=str(form.get("category") or "")[:32], source=str(form.get("source") or "")[:inbox.MAX_SOURCE])
    if not ids or action not in inbox.ACTIONS:
        return await _inbox(request, staff, status_code=422, error=message("workspace_questions_gone"))
    try:
        count = await run_in_threadpool(inbox.review, request.app.state.factory, ids, action, staff.username,
                                        faq_key, authority, look_alike)
    except ApiError as error:
        return await _inbox(request, staff, status_code=error.status_code, error=error_text(error))
    return await _inbox(request, staff, notice=message("workspace_reviewed", count=count,
                                                       action=inbox.action_label(action, faq_key, authority)))


async def _drafts(request: Request, staff: Staff, status_code: int = 200, error: str = "",
                  notice: str = "") -> HTMLResponse:
    """Render every draft with its form."""
    rows = await run_in_threadpool(inbox.drafts, request.app.state.factory)
    return render("drafts.html", status_code=status_code, title="新答复草稿", staff=staff,
                  items=[draft_view(d) for d in rows], error=error, notice=notice)


@router.get("/staff/drafts", response_class=HTMLResponse)
async def staff_drafts(request: Request, staff: Staff = Depends(current_staff)) -> HTMLResponse:
    """The drafts of new answers."""
    return await _drafts(request, staff)


@router.post("/staff/drafts/{draft_id}", response_class=HTMLResponse)
async def staff_save_draft(request: Request, draft_id: int = Path(..., ge=1, le=2**31 - 1),
                           staff: Staff = Depends(current_staff)) -> HTMLResponse:
    """Save a draft, or publish it (which needs its answer and its source)."""
    form = await request.form()
    publish = form.get("publish") == "1"
    try:
        await run_in_threadpool(inbox.save_draft, request.app.state.factory, draft_id,
                                str(form.get("answer") or "")[:2000], str(form.get("source") or "")[:500],
                                staff.username, publish)
    except ApiError as error:
        return await _drafts(request, staff, status_code=error.status_code, error=error_text(error))
    return await _drafts(request, staff,
                         notice=message("workspace_draft_published" if publish else "workspace_draft_saved"))


async def _followups(request: Request, staff: Staff, status_code: int = 200, error: str = "",
                     notice: str = "") -> HTMLResponse:
    """Render every follow-up (overdue first) with the counts and a form per item."""
    items = await run_in_threadpool(followups.followups, request.app.state.factory)
    return render("followups.html", status_code=status_code, title="差评回访", staff=staff,
                  items=[followup_view(item) for item in items], summary=followups.counts(items), error=error,
                  notice=notice)


@router.get("/staff/followups", response_class=HTMLResponse)
async def staff_followups(request: Request, staff: Staff = Depends(current_staff)) -> HTMLResponse:
    """The follow-ups of 不满意 and 非常不满意 ratings."""
    return await _followups(request, staff)


@router.post("/staff/followups/{feedback_id}", response_class=HTMLResponse)
async def staff_record_followup(request: Request, feedback_id: int = Path(..., ge=1, le=2**31 - 1),
                                staff: Staff = Depends(current_staff)) -> HTMLResponse:
    """Record contacted / resolved / note for one rating as the signed-in account."""
    form = await request.form()
    try:
        await run_in_threadpool(followups.record, request.app.state.factory, feedback_id,
                                form.get("contacted") == "1", form.get("resolved") == "1",
                                str(form.get("note") or "")[:1000], staff.username)
    except ApiError as error:
        return await _followups(request, staff, status_code=error.status_code, error=error_text(error))
    return await _followups(request, staff, notice=message("followup_saved"))


@router.get("/staff/knowledge", response_class=HTMLResponse)
async def staff_knowledge(request: Request, staff: Staff = Depends(current_staff)) -> HTMLResponse:
    """Every FAQ answer as the assistant says it now."""
    rows = await run_in_threadpool(knowledge_store.entries, request.app.state.factory)
    return render("knowledge.html", title="答复管理", staff=staff, items=[knowledge_view(e) for e in rows])


async def _answer(request: Request, staff: Staff, key: str, status_code: int = 200, error: str = "",
                  notice: str = "", draft: str = "") -> HTMLResponse:
    """Render one answer with its edit form, its versions and their rollback forms."""
    factory = request.app.state.factory
    try:
        found = await run_in_threadpool(knowledge_store.entry, factory, key)
        versions = await run_in_threadpool(knowledge_store.history, factory, key)
    except ApiError as missing:
        return render("notfound.html", status_code=404, title="没有找到", staff=staff, text=missing.message)
    view = knowledge_view(found)
    return render("answer.html", status_code=status_code, title=f"答复：{view['title']}", staff=staff, item=view,
                  versions=[version_view(v) for v in versions], error=error, notice=notice,
                  draft=draft or view["text"])


@router.get("/staff/knowledge/{key}", response_class=HTMLResponse)
async def staff_answer(request: Request, key: str = Path(..., max_length=64),
                       staff: Staff = Depends(current_staff)) -> HTMLResponse:
    """One answer."""
    return await _answer(request, staff, key)


@router.post("/staff/knowledge/{key}", response_class=HTMLResponse)
async def staff_edit_answer(request: Request, key: str = Path(..., max_length=64),
                            staff: Staff = Depends(current_staff)) -> HTMLResponse:
    """Store the edited text as a new version under the signed-in account; errors keep the typed text."""
    form = await request.form()
    text = str(form.get("text") or "")[:knowledge_store.MAX_TEXT]
    try:
        stored = await run_in_threadpool(knowledge_store.store, request.app.state.factory, key, text,
                                         str(form.get("note") or "")[:knowledge_store.MAX_NOTE], staff.username)
    except ApiError as error:
        return await _answer(request, staff, key, status_code=error.status_code, error=error_text(error), draft=text)
    return await _answer(request, staff, key, notice=message("knowledge_saved", version=stored.current.version))


@router.post("/staff/knowledge/{key}/rollback", response_class=HTMLResponse)
async def staff_rollback_answer(request: Request, key: str = Path(..., max_length=64),
                                staff: Staff = Depends(current_staff)) -> HTMLResponse:
    """Restore an earlier version as a new one under the signed-in account."""
    form = await request.form()
    version = _int(str(form.get("version") or ""), -1, -1, 2**31 - 1)
    try:
        stored = await run_in_threadpool(knowledge_store.rollback, request.app.state.factory, key, version,
                                         str(form.get("note") or "")[:400], staff.username)
    except ApiError as error:
        return await _answer(request, staff, key, status_code=error.status_code, error=error_text(error))
    return await _answer(request, staff, key, notice=message("knowledge_saved", version=stored.current.version))
