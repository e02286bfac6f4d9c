"""The analytics summary as the API answers it, as tables for the dashboard, and as CSV files for Excel."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from reissue.analytics import CHANNELS, RATINGS, Summary

CHANNEL_LABELS = {"web": "网页", "rest": "接口", "wechat": "微信"}
STEP_LABELS = {"started": "开始申请", "eligibility": "通过资格确认", "data": "填完资料", "confirmed": "确认提交",
               "delivered": "后台收到"}
OUTCOME_LABELS = {"answered": "已回答", "abstained": "指南没有写到", "fell_back": "没听懂", "out_of_scope": "指引到别处",
                  "handoff": "转人工"}
STAR_LABELS = {1: "非常不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"}
BOM = "\ufeff"


def percent(rate: Optional[float]) -> str:
    """A rate as staff read it: 12.5%; a dash when there is nothing to divide."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def summary_view(summary: Summary) -> Dict[str, Any]:
    """The JSON body of GET /api/v1/analytics/summary."""
    funnel = [{**row, "label": STEP_LABELS[str(row["step"])]} for row in summary.funnel]
    return {"from": summary.window.first.isoformat(), "to": summary.window.last.isoformat(), "daily": summary.daily,
            "containment": summary.containment, "turns": summary.turns, "topics": summary.topics, "funnel": funnel,
            "cities": summary.cities, "ratings": summary.ratings, "followups": summary.followups}


@dataclass(frozen=True)
class Table:
    """One table of the dashboard: its title, column headings and rows of cells."""

    name: str
    title: str
    headings: Tuple[str, ...]
    rows: List[Tuple[Any, ...]]


def _daily(summary: Summary) -> Table:
    """Conversations per day and channel."""
    rows = [(r["day"], *(r[c] for c in CHANNELS), r["total"]) for r in reversed(summary.daily)]
    return Table("daily", "每日会话（按渠道，最近的在前）", ("日期", *(CHANNEL_LABELS[c] for c in CHANNELS), "合计"), rows)


def _containment(summary: Summary) -> Table:
    """Containment in one row."""
    c = summary.containment
    return Table("containment", "自助解决率", ("会话", "转人工", "以回答结束", "自助解决", "自助解决率"),
                 [(c["conversations"], c["handed_off"], c["ended_answered"], c["contained"], percent(c["rate"]))])


def _turns(summary: Summary) -> Table:
    """Turns by outcome, each with its share."""
    t = summary.turns
    total = int(t["turns"])
    rows = [(label, t[key], percent(int(t[key]) / total if total else None))
            for key, label in OUTCOME_LABELS.items()]
    rows.append(("合计", total, percent(1.0 if total else None)))
    return Table("turns", "每轮结果（不含问候）", ("结果", "轮数", "占比"), rows)


def _topics(summary: Summary) -> Table:
    """The FAQ answers given most often."""
    return Table("topics", "最常回答的问题", ("问题", "答复键", "次数"),
                 [(r["title"], r["key"], r["count"]) for r in summary.topics])


def _funnel(summary: Summary) -> Table:
    """The application funnel with the drop at each step."""
    return Table("funnel", "申请漏斗", ("步骤", "人数", "流失", "流失率"),
                 [(STEP_LABELS[str(r["step"])], r["count"], r["dropped"], percent(r["drop_rate"]))
                  for r in summary.funnel])


def _cities(summary: Summary) -> Table:
    """Applications per city and week."""
    return Table("cities", "各地市每周申请", ("周（周一）", "地市", "申请数"),
                 [(r["week"], r["city"], r["count"]) for r in summary.cities])


def _ratings(summary: Summary) -> Table:
    """Ratings per week by stars."""
    rows = [(r["week"], *(r["counts"][str(s)] for s in RATINGS), r["total"],
             "—" if r["mean"] is None else r["mean"]) for r in summary.ratings]
    return Table("ratings", "每周满意度评价", ("周（周一）", *(f"{s}星" for s in RATINGS), "合计", "平均分"), rows)


TABLES: Dict[str, Callable[[Summary], Table]] = {
    "daily": _daily, "containment": _containment, "turns": _turns, "topics": _topics, "funnel": _funnel,
    "cities": _cities, "ratings": _ratings,
}


def tables(summary: Summary) -> List[Table]:
    """Every table of the dashboard, in its order."""
    return [build(summary) for build in TABLES.values()]


def csv_text(table: Table) -> str:
    """A table as CSV for Excel: UTF-8 with a byte-order mark (so Chinese opens right), CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headings)
    writer.writerows(table.rows)
    return BOM + out.getvalue()


def csv_filename(name: str, summary: Summary) -> str:
    """The download's name: analytics-<table>-<from>_<to>.csv."""
    return f"analytics-{name}-{summary.window.first.isoformat()}_{summary.window.last.isoformat()}.csv"


def cards(summary: Summary) -> Sequence[Tuple[str, str]]:
    """The headline figures above the charts."""
    c, t, f = summary.containment, summary.turns, summary.followups
    return (("会话", str(c["conversations"])), ("自助解决率", percent(c["rate"])),
            ("指南没有写到", percent(t["abstain_rate"])), ("没听懂", percent(t["fallback_rate"])),
            ("差评回访逾期", str(f.get("overdue", 0))))
