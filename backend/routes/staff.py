"""The staff page (/staff): server-rendered HTML, keyboard-first, no JavaScript; token kept in an HttpOnly cookie."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from backend import service
from backend.errors import ApiError
from backend.lifecycle import ALL_STATUSES, ALLOWED
from backend.privacy import tokens_equal
from backend.views import admin_view, feedback_view, summary_view

router = APIRouter(include_in_schema=False)
COOKIE = "staff_token"
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


@lru_cache(maxsize=1)
def templates() -> Environment:
    """The Jinja2 environment (autoescaping everything)."""
    return Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=select_autoescape(default=True))


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render one template as an HTML response that is never cached."""
    html = templates().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def logged_in(request: Request) -> bool:
    """True when the cookie holds the staff token."""
    return tokens_equal(request.cookies.get(COOKIE, ""), request.app.state.settings.staff_token)


def same_origin(request: Request) -> bool:
    """False when a form post names another origin (a second guard next to SameSite=Strict)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def to_login() -> RedirectResponse:
    """Send the browser to the login form."""
    return RedirectResponse("/staff", status_code=303)


def _int(value: Optional[str], default: int, low: int, high: int) -> int:
    """A bounded integer from a query string value."""
    try:
        number = int(value or default)
    except ValueError:
        return default
    return min(max(number, low), high)


@router.get("/staff", response_class=HTMLResponse)
async def staff_home(request: Request) -> Response:
    """The login form, or the application search when logged in."""
    if not logged_in(request):
        return render("login.html", title="工作人员登录")
    params = request.query_params
    q = (params.get("q") or "")[:64]
    status = params.get("status") or ""
    status = status if status in ALL_STATUSES else ""
    city = (params.get("city") or "")[:16]
    page = _int(params.get("page"), 1, 1, 1000)
    state = request.app.state
    rows, total = await run_in_threadpool(service.search, state.factory, state.secrets, q, status, city, page)
    return render("list.html", title="申请检索", items=[summary_view(a) for a in rows], total=total, page=page,
                  pages=max(1, -(-total // service.PAGE_SIZE)), q=q, status=status, city=city, statuses=ALL_STATUSES)


@router.post("/staff/login")
async def staff_login(request: Request) -> Response:
    """Check the token and keep it in an HttpOnly, SameSite=Strict cookie."""
    form = await request.form()
    token = str(form.get("token") or "")
    if not same_origin(request) or not tokens_equal(token, request.app.state.settings.staff_token):
        return render("login.html", status_code=401, title="工作人员登录", error="令牌不正确，请重新输入。")
    response = to_login()
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/staff", max_age=8 * 3600,
                        secure=request.url.scheme == "https")
    return response


@router.post("/staff/logout")
async def staff_logout() -> Response:
    """Forget the cookie."""
    response = to_login()
    response.delete_cookie(COOKIE, path="/staff")
    return response


@router.get("/staff/applications/{number}", response_class=HTMLResponse)
async def staff_detail(request: Request, number: str) -> Response:
    """One application with its audit trail and the status form."""
    if not logged_in(request):
        return to_login()
    return await _detail(request, number[:32])


async def _detail(request: Request, number: str, status_code: int = 200, error: str = "", notice: str = "") -> Response:
    """Render the detail page (or a not-found page)."""
    app = await run_in_threadpool(service.admin_record, request.app.state.factory, number)
    if app is None:
        return render("notfound.html", status_code=404, title="没有找到", number=number)
    view = admin_view(app)
    return render("detail.html", status_code=status_code, title=f"申请 {view['number']}", app=view,
                  next_statuses=ALLOWED.get(view["status"], ()), error=error, notice=notice)


@router.post("/staff/applications/{number}/status")
async def staff_status(request: Request, number: str) -> Response:
    """Apply a status change from the form; errors come back on the same page."""
    if not logged_in(request):
        return to_login()
    if not same_origin(request):
        return render("notfound.html", status_code=403, title="不允许", number=number[:32])
    form = await request.form()
    target = str(form.get("status") or "")[:16]
    reason = str(form.get("reason") or "")[:500]
    actor = str(form.get("actor") or "")[:64]
    try:
        await run_in_threadpool(service.change_status, request.app.state.factory, number[:32], target, reason, actor)
    except ApiError as error:
        message = "；".join([error.message, *error.fields.values()]) if error.fields else error.message
        if error.status_code == 404:
            return render("notfound.html", status_code=404, title="没有找到", number=number[:32])
        return await _detail(request, number[:32], status_code=error.status_code, error=message)
    return await _detail(request, number[:32], notice=f"已改为“{target}”。")


@router.get("/staff/photos/{ref}")
async def staff_photo(request: Request, ref: str) -> Response:
    """The applicant's photo, for a logged-in member of staff."""
    if not logged_in(request):
        return to_login()
    state = request.app.state
    found = await run_in_threadpool(service.load_photo, state.factory, state.settings.upload_dir, ref[:40])
    if found is None:
        return render("notfound.html", status_code=404, title="没有找到", number=ref[:40])
    data, content_type = found
    return Response(data, media_type=content_type, headers={"Cache-Control": "no-store"})


@router.get("/staff/feedback", response_class=HTMLResponse)
async def staff_feedback(request: Request) -> Response:
    """The ratings, newest first."""
    if not logged_in(request):
        return to_login()
    page = _int(request.query_params.get("page"), 1, 1, 1000)
    rows, total = await run_in_threadpool(service.list_feedback, request.app.state.factory, page)
    context: Dict[str, Any] = {"items": [feedback_view(f) for f in rows], "total": total, "page": page,
                               "pages": max(1, -(-total // service.PAGE_SIZE))}
    return render("feedback.html", title="满意度评价", **context)
