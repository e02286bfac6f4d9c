"""The staff page (/staff): server-rendered HTML, keyboard-first, no JavaScript. Staff sign in with their own
accounts; the session lives on the server and its token in an HttpOnly, SameSite=Strict cookie."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from backend import accounts, service
from backend.accounts import AccountError, Staff
from backend.errors import ApiError
from backend.lifecycle import ALL_STATUSES, ALLOWED
from backend.limits import client_address
from backend.numbering import staff_time
from backend.views import admin_view, feedback_view, summary_view
from reissue.knowledge import message

router = APIRouter(include_in_schema=False)
COOKIE = "staff_session"
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STYLESHEET = TEMPLATES_DIR / "staff.css"


@lru_cache(maxsize=1)
def templates() -> Environment:
    """The Jinja2 environment (autoescaping everything)."""
    environment = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=select_autoescape(default=True))
    environment.filters["when"] = staff_time
    return environment


def render(name: str, status_code: int = 200, headers: Optional[Dict[str, str]] = None, **context: Any) -> HTMLResponse:
    """Render one template as an HTML response that is never cached."""
    html = templates().get_template(name).render(roles={accounts.REVIEWER: "审核员", accounts.ADMINISTRATOR: "管理员"},
                                                 **context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store", **(headers or {})})


MAX_ID = 2**31 - 1  # the largest row id a page looks up; beyond it nothing can be found


def not_found(staff: Staff, number: str) -> HTMLResponse:
    """The page saying nothing was found under `number` (an application, photo, handoff or callback)."""
    return render("notfound.html", status_code=404, title="没有找到", staff=staff, number=number)


def login_page(status_code: int = 200, error: str = "", headers: Optional[Dict[str, str]] = None) -> HTMLResponse:
    """The sign-in form."""
    return render("login.html", status_code=status_code, headers=headers, title="工作人员登录", error=error)


async def signed_in(request: Request) -> Optional[Staff]:
    """The member of staff whose live session the cookie names, or None."""
    token = request.cookies.get(COOKIE, "")
    return await run_in_threadpool(accounts.session_staff, request.app.state.factory, token) if token else None


def same_origin(request: Request) -> bool:
    """False when a form post names another origin (a second guard next to SameSite=Strict)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def to_login() -> RedirectResponse:
    """Send the browser to the login form."""
    return RedirectResponse("/staff", status_code=303)


class PageRefusal(Exception):
    """A staff page request answered with something else: the login form for a visitor, 403 for no right."""

    def __init__(self, response: Response) -> None:
        """Keep the response to send instead."""
        super().__init__(response.status_code)
        self.response = response


async def refusal_response(_request: Request, refusal: PageRefusal) -> Response:
    """The exception handler that sends a PageRefusal's response."""
    return refusal.response


def refused(staff: Staff, key: str) -> PageRefusal:
    """A 403 page with the reason from the message catalogue."""
    return PageRefusal(render("notfound.html", status_code=403, title="不允许", staff=staff, text=message(key)))


async def current_staff(request: Request) -> Staff:
    """Dependency: the signed-in member of staff (visitors go to the login form; posts from elsewhere get 403)."""
    staff = await signed_in(request)
    if staff is None:
        raise PageRefusal(to_login())
    if request.method == "POST" and not same_origin(request):
        raise refused(staff, "staff_cross_origin")
    return staff


async def current_administrator(staff: Staff = Depends(current_staff)) -> Staff:
    """Dependency: the signed-in administrator (reviewers get 403)."""
    if not staff.is_administrator:
        raise refused(staff, "staff_forbidden")
    return staff


def _int(value: Optional[str], default: int, low: int, high: int) -> int:
    """A bounded integer from a query string value."""
    try:
        number = int(value or default)
    except ValueError:
        return default
    return min(max(number, low), high)


@router.get("/staff/style.css")
async def staff_stylesheet() -> Response:
    """The page's stylesheet (a file of its own, so the content security policy needs no inline style)."""
    return Response(STYLESHEET.read_bytes(), media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/staff", response_class=HTMLResponse)
async def staff_home(request: Request) -> Response:
    """The login form, or the application search when signed in."""
    staff = await signed_in(request)
    if staff is None:
        return login_page()
    params = request.query_params
    q = (params.get("q") or "")[:64]
    status = params.get("status") or ""
    status = status if status in ALL_STATUSES else ""
    city = (params.get("city") or "")[:16]
    page = _int(params.get("page"), 1, 1, 1000)
    state = request.app.state
    rows, total = await run_in_threadpool(service.search, state.factory, state.secrets, q, status, city, page)
    return render("list.html", title="申请检索", staff=staff, items=[summary_view(a) for a in rows], total=total,
                  page=page, pages=max(1, -(-total // service.PAGE_SIZE)), q=q, status=status, city=city,
                  statuses=ALL_STATUSES)


@router.post("/staff/login")
async def staff_login(request: Request) -> Response:
    """Check account and password (5 failures per address or account: 429 for 15 minutes); open a session."""
    form = await request.form()
    username = str(form.get("username") or "")[:64]
    password = str(form.get("password") or "")[:accounts.MAX_PASSWORD + 1]
    if not same_origin(request) or not username or not password:
        return login_page(401, message("staff_login_wrong"))
    outcome = await run_in_threadpool(accounts.sign_in, request.app.state.factory, username, password,
                                      client_address(request.scope))
    if outcome.retry_after_s:
        return login_page(429, message("staff_login_locked"), {"Retry-After": str(outcome.retry_after_s)})
    if outcome.token is None:
        return login_page(401, message("staff_login_wrong"))
    response = to_login()
    response.set_cookie(COOKIE, outcome.token, httponly=True, samesite="strict", path="/staff",
                        max_age=int(accounts.SESSION_LIFETIME.total_seconds()), secure=request.url.scheme == "https")
    return response


@router.post("/staff/logout")
async def staff_logout(request: Request) -> Response:
    """End the session on the server and forget the cookie."""
    token = request.cookies.get(COOKIE, "")
    if token and same_origin(request):
        await run_in_threadpool(accounts.sign_out, request.app.state.factory, token)
    response = to_login()
    response.delete_cookie(COOKIE, path="/staff")
    return response


async def _detail(request: Request, staff: Staff, number: str, status_code: int = 200, error: str = "",
                  notice: str = "") -> Response:
    """Render the detail page (or a not-found page)."""
    app = await run_in_threadpool(service.admin_record, request.app.state.factory, number)
    if app is None:
        return not_found(staff, number)
    view = admin_view(app)
    return render("detail.html", status_code=status_code, title=f"申请 {view['number']}", staff=staff, app=view,
                  next_statuses=ALLOWED.get(view["status"], ()), error=error, notice=notice)


@router.get("/staff/applications/{number}", response_class=HTMLResponse)
async def staff_detail(request: Request, number: str, staff: Staff = Depends(current_staff)) -> Response:
    """One application with its audit trail and the status form."""
    return await _detail(request, staff, number[:32])


@router.post("/staff/applications/{number}/status")
async def staff_status(request: Request, number: str, staff: Staff = Depends(current_staff)) -> Response:
    """Apply a status change from the form as the signed-in account; errors come back on the same page."""
    form = await request.form()
    target = str(form.get("status") or "")[:16]
    reason = str(form.get("reason") or "")[:500]
    number = number[:32]
    try:
        await run_in_threadpool(service.change_status, request.app.state.factory, number, target, reason,
                                staff.username)
    except ApiError as error:
        if error.status_code == 404:
            return not_found(staff, number)
        text = "；".join([error.message, *error.fields.values()]) if error.fields else error.message
        return await _detail(request, staff, number, status_code=error.status_code, error=text)
    return await _detail(request, staff, number, notice=message("staff_status_notice", status=target))


@router.get("/staff/photos/{ref}")
async def staff_photo(request: Request, ref: str, staff: Staff = Depends(current_staff)) -> Response:
    """The applicant's photo, for a signed-in member of staff."""
    state = request.app.state
    found = await run_in_threadpool(service.load_photo, state.factory, state.settings.upload_dir, ref[:40])
    if found is None:
        return not_found(staff, ref[:40])
    data, content_type = found
    return Response(data, media_type=content_type, headers={"Cache-Control": "no-store"})


@router.get("/staff/feedback", response_class=HTMLResponse)
async def staff_feedback(request: Request, staff: Staff = Depends(current_staff)) -> Response:
    """The ratings, newest first."""
    page = _int(request.query_params.get("page"), 1, 1, 1000)
    rows, total = await run_in_threadpool(service.list_feedback, request.app.state.factory, page)
    context: Dict[str, Any] = {"items": [feedback_view(f) for f in rows], "total": total, "page": page,
                               "pages": max(1, -(-total // service.PAGE_SIZE))}
    return render("feedback.html", title="满意度评价", staff=staff, **context)


async def _accounts(request: Request, staff: Staff, status_code: int = 200, error: str = "",
                    notice: str = "") -> Response:
    """Render the account list with the form for a new account."""
    rows = await run_in_threadpool(accounts.list_accounts, request.app.state.factory)
    return render("accounts.html", status_code=status_code, title="工作人员账号", staff=staff, items=rows,
                  error=error, notice=notice, min_password=accounts.MIN_PASSWORD)


@router.get("/staff/accounts", response_class=HTMLResponse)
async def staff_accounts(request: Request, staff: Staff = Depends(current_administrator)) -> Response:
    """Every account, for an administrator."""
    return await _accounts(request, staff)


@router.post("/staff/accounts")
async def staff_create_account(request: Request, staff: Staff = Depends(current_administrator)) -> Response:
    """Create an account from the form (name, role, first password)."""
    form = await request.form()
    username = str(form.get("username") or "")[:64]
    try:
        created = await run_in_threadpool(accounts.create_account, request.app.state.factory, username,
                                          str(form.get("password") or "")[:accounts.MAX_PASSWORD + 1],
                                          str(form.get("role") or "")[:16])
    except AccountError as error:
        return await _accounts(request, staff, status_code=422, error=str(error))
    return await _accounts(request, staff, notice=message("staff_account_created", username=created.username))


@router.post("/staff/accounts/{username}/disable")
async def staff_disable_account(request: Request, username: str,
                                staff: Staff = Depends(current_administrator)) -> Response:
    """Disable an account and end its sessions (never the last active administrator: 409)."""
    try:
        await run_in_threadpool(accounts.disable_account, request.app.state.factory, username[:64])
    except AccountError as error:
        status_code = 409 if isinstance(error, accounts.LastAdministrator) else 404
        return await _accounts(request, staff, status_code=status_code, error=str(error))
    return await _accounts(request, staff, notice=message("staff_account_disabled", username=username[:64]))
