"""The service owner's dashboard for signed-in staff: /staff/analytics with its charts (SVG images drawn on the
server, the page runs no script) and each table as a CSV download."""
from __future__ import annotations

from datetime import date
from typing import Optional, Tuple
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from backend.accounts import Staff
from backend.analytics import SummaryCache
from backend.analytics_charts import CHARTS
from backend.analytics_views import TABLES, cards, tables
from backend.routes.analytics import csv_response
from backend.routes.staff import TEMPLATES_DIR, current_staff, render
from reissue import clock
from reissue.analytics import MAX_DAYS, Summary, Window, window_of

router = APIRouter(include_in_schema=False)
STYLESHEET = TEMPLATES_DIR / "analytics.css"


def _day(value: Optional[str]) -> Optional[date]:
    """A YYYY-MM-DD query value as a date, None when absent or malformed."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def page_window(request: Request) -> Tuple[Window, str]:
    """The window the page asks for, and an error text when it asked for an impossible one (then the default)."""
    params = request.query_params
    today = clock.today()
    try:
        return window_of(_day(params.get("from")), _day(params.get("to")), today), ""
    except ValueError:
        return window_of(None, None, today), f"开始日期不能晚于结束日期，最多 {MAX_DAYS} 天；已显示最近 28 天。"


def cache(request: Request) -> SummaryCache:
    """The app's cache of recent summaries (made on first use)."""
    state = request.app.state
    if not hasattr(state, "analytics_cache"):
        state.analytics_cache = SummaryCache()
    return state.analytics_cache


def _query(window: Window) -> str:
    """The window as a query string."""
    return urlencode({"from": window.first.isoformat(), "to": window.last.isoformat()})


@router.get("/staff/analytics.css")
async def analytics_stylesheet() -> Response:
    """The dashboard's layout (a file of its own: the content security policy allows no inline style)."""
    return Response(STYLESHEET.read_bytes(), media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/staff/analytics", response_class=HTMLResponse)
async def staff_analytics(request: Request, staff: Staff = Depends(current_staff)) -> HTMLResponse:
    """Headline figures, a chart beside each table, CSV downloads, for the days asked (default the last 28)."""
    window, error = page_window(request)
    summary: Summary = await run_in_threadpool(cache(request).fresh, request.app.state.factory, window)
    sections = [{"table": table, "chart": table.name if table.name in CHARTS else None} for table in tables(summary)]
    return render("analytics.html", title="服务情况", staff=staff, window=window, query=_query(window),
                  cards=cards(summary), sections=sections, followups=summary.followups, error=error)


@router.get("/staff/analytics/charts/{name}.svg")
async def staff_chart(request: Request, name: str = Path(..., max_length=16),
                      staff: Staff = Depends(current_staff)) -> Response:
    """One chart of the dashboard as an SVG image (from the summary the page just computed)."""
    if name not in CHARTS:
        return Response(status_code=404)
    window, _ = page_window(request)
    summary = await run_in_threadpool(cache(request).get, request.app.state.factory, window)
    svg = await run_in_threadpool(CHARTS[name], summary)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.get("/staff/analytics/{table}.csv")
async def staff_table_csv(request: Request, table: str = Path(..., max_length=16),
                          staff: Staff = Depends(current_staff)) -> Response:
    """One table of the dashboard as CSV (UTF-8 with a byte-order mark, for Excel)."""
    if table not in TABLES:
        return Response(status_code=404)
    window, _ = page_window(request)
    summary = await run_in_threadpool(cache(request).get, request.app.state.factory, window)
    return csv_response(table, summary)
