"""The analytics API: the Rasa server's event broker posts projected events (bot token); staff read the summary of
a window of days and each of its tables as CSV (staff token)."""
from __future__ import annotations

from datetime import date
from typing import Any, Dict, Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from typing_extensions import Literal

from backend import analytics
from backend.analytics_schemas import AnalyticsBatchIn, AnalyticsStored, AnalyticsSummary
from backend.analytics_views import TABLES, csv_filename, csv_text, summary_view
from backend.errors import ApiError
from backend.routes.api import errors, reject_unknown_query
from backend.security import BOT, STAFF, authorize, roles
from reissue import clock
from reissue.analytics import MAX_DAYS, Summary, Window, window_of

router = APIRouter(dependencies=[Depends(reject_unknown_query)])
TableName = Literal[tuple(TABLES)]  # type: ignore[valid-type]
FROM = Query(None, alias="from", description="第一天 YYYY-MM-DD（中国时间；默认为 to 之前的 28 天）")
TO = Query(None, alias="to", description="最后一天 YYYY-MM-DD（含当天；默认为今天）")


def window(first: Optional[date], last: Optional[date]) -> Window:
    """The window asked for, or a 422 naming what is wrong with it."""
    try:
        return window_of(first, last, clock.today())
    except ValueError:
        raise ApiError(422, "validation_error", "提交的内容有误，请按提示修改。",
                       {"from": f"开始日期不能晚于结束日期，最多 {MAX_DAYS} 天。"}) from None


@router.post(
    "/api/v1/analytics/events",
    status_code=201,
    response_model=AnalyticsStored,
    responses=errors(401, 403, 413, 422),
    dependencies=[Depends(authorize)],
    summary="记录对话事件的投影：只有名称和时间，没有文字（机器人令牌）",
)
@roles(BOT)
def post_events(request: Request, body: AnalyticsBatchIn) -> Dict[str, Any]:
    """Store a batch of projected events from the Rasa server's event broker."""
    return {"stored": analytics.store(request.app.state.factory, (event.dict() for event in body.events))}


@router.get(
    "/api/v1/analytics/summary",
    response_model=AnalyticsSummary,
    responses=errors(401, 403, 422),
    dependencies=[Depends(authorize)],
    summary="服务情况汇总：会话、自助解决率、未答率、热门问题、申请漏斗、各地市申请、满意度、逾期回访（工作人员令牌）",
)
@roles(STAFF)
def get_summary(request: Request, first: Optional[date] = FROM, last: Optional[date] = TO) -> Dict[str, Any]:
    """Every figure of the days `from` to `to` (default: the last 28 days in China's time)."""
    return summary_view(analytics.summary(request.app.state.factory, window(first, last)))


@router.get(
    "/api/v1/analytics/{table}.csv",
    response_class=Response,
    responses={**errors(401, 403, 422), 200: {"content": {"text/csv": {}}, "description": "UTF-8（带 BOM）的 CSV"}},
    dependencies=[Depends(authorize)],
    summary="汇总中的一张表，CSV 格式（Excel 可直接打开；工作人员令牌）",
)
@roles(STAFF)
def get_table_csv(request: Request, table: TableName = Path(...), first: Optional[date] = FROM,
                  last: Optional[date] = TO) -> Response:
    """One table of the summary (daily, containment, turns, topics, funnel, cities, ratings) as CSV."""
    summary = analytics.summary(request.app.state.factory, window(first, last))
    return csv_response(table, summary)


def csv_response(table: str, summary: Summary) -> Response:
    """A table of `summary` as a CSV download."""
    return Response(csv_text(TABLES[table](summary)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{csv_filename(table, summary)}"',
                             "Cache-Control": "no-store"})
