"""The dashboard's charts, drawn on the server by matplotlib as SVG images.

The staff pages run no script (their content security policy allows none), so the charts are images the page
loads from itself. The SVG keeps its words as text (`svg.fonttype: none`): the browser draws the Chinese with the
machine's own CJK font, sharp at any zoom. matplotlib measures the words with a CJK font when it knows one (the
families in CJK_FAMILIES), else with DejaVu Sans; the margins leave room either way.
"""
from __future__ import annotations

import io
import threading
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence, Tuple

from backend.analytics_views import CHANNEL_LABELS, OUTCOME_LABELS, STAR_LABELS, STEP_LABELS
from reissue.analytics import CHANNELS, RATINGS, Summary

CJK_FAMILIES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Source Han Sans SC",
                "Microsoft YaHei", "PingFang SC", "SimHei")
CJK_FILES = ("wqy", "notosanscjk", "notoserifcjk", "sourcehansans", "msyh", "pingfang", "simhei")
CHANNEL_COLOURS = {"web": "#2f6fb0", "rest": "#9aa5b1", "wechat": "#2e9d5b"}
OUTCOME_COLOURS = {"answered": "#2e9d5b", "abstained": "#e0a100", "fell_back": "#d9534f", "out_of_scope": "#7a6fb0",
                   "handoff": "#2f6fb0"}
STAR_COLOURS = {1: "#c0392b", 2: "#e67e22", 3: "#bdbdbd", 4: "#7fb77e", 5: "#2e8b57"}
CITY_COLOURS = ("#2f6fb0", "#e67e22", "#2e9d5b", "#c0392b", "#7a6fb0", "#8c564b", "#d46aa8", "#7f7f7f", "#b5a300",
                "#17a2b8")
TOP_CITIES = 9
OTHER_CITIES = "其他地市"
WIDTH, HEIGHT = 7.2, 3.4
STACKED_RIGHT = 0.76  # the legend's room right of a stacked chart
TITLE_CHARS = 12
MIN_BAR_SLOTS = 5  # a chart of one or two bars keeps them as thin as in a chart of five
# What the SVG asks the browser for: matplotlib writes the generic family quoted ('sans-serif'), which a browser
# reads as a font of that name; the page's own Chinese fonts, then the generic family, instead.
SVG_FONT_FROM = "'sans-serif'"
SVG_FONT_TO = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"
_lock = threading.Lock()  # rcParams are process-wide: one chart at a time


@lru_cache(maxsize=1)
def _fonts() -> List[str]:
    """The sans-serif families to measure with: the CJK ones matplotlib knows, then DejaVu Sans. A CJK font
    installed after matplotlib cached its font list is added from the system's font files."""
    from matplotlib import font_manager

    def known() -> set:
        """The family names matplotlib knows now."""
        return {font.name for font in font_manager.fontManager.ttflist}

    if not known().intersection(CJK_FAMILIES):
        for path in font_manager.findSystemFonts():
            if any(tag in Path(path).name.lower() for tag in CJK_FILES):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue  # an unreadable font file: measure without it
    found = known()
    return [family for family in CJK_FAMILIES if family in found] + ["DejaVu Sans"]


def _svg(draw: Callable[[Any], None], height: float = HEIGHT, left: float = 0.08, right: float = 0.95) -> bytes:
    """Draw one figure with `draw(axes)` and return it as SVG (`left`, `right`: where the plot begins and ends, as
    shares of the width: room for the y labels and the legend)."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    settings = {"svg.fonttype": "none", "svg.hashsalt": "analytics", "font.family": "sans-serif",
                "font.sans-serif": _fonts(), "font.size": 12, "xtick.labelsize": 11, "ytick.labelsize": 12,
                "axes.spines.top": False, "axes.spines.right": False}
    with _lock, rc_context(settings), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # glyphs DejaVu Sans lacks: the browser draws them
        figure = Figure(figsize=(WIDTH, height), dpi=100)
        axes = figure.add_subplot()
        draw(axes)
        figure.subplots_adjust(left=left, right=right, top=0.94, bottom=0.12 * HEIGHT / height)
        out = io.BytesIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue().replace(SVG_FONT_FROM.encode(), SVG_FONT_TO.encode())


def _empty(axes: Any, empty: bool) -> None:
    """Say so on a chart with nothing to show."""
    if empty:
        axes.text(0.5, 0.5, "这段时间没有数据", transform=axes.transAxes, ha="center", va="center", color="#595959")


def _legend(axes: Any) -> None:
    """A legend right of the plot, one entry a line (the top entry is the top of the stack)."""
    handles, labels = axes.get_legend_handles_labels()
    if handles:
        axes.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                    fontsize=11, handlelength=1.2)


def _stacked(axes: Any, labels: Sequence[str], series: Sequence[Tuple[str, str, Sequence[int]]]) -> None:
    """Stacked columns, one per label, one colour per series (name, colour, values)."""
    positions = list(range(len(labels)))
    bottom = [0] * len(labels)
    for name, colour, values in series:
        axes.bar(positions, values, bottom=bottom, color=colour, label=name, width=0.75)
        bottom = [b + v for b, v in zip(bottom, values)]
    step = max(1, -(-len(labels) // 8))
    axes.set_xticks(positions[::step])
    axes.set_xticklabels(labels[::step])
    axes.yaxis.get_major_locator().set_params(integer=True)
    _legend(axes)
    _empty(axes, not any(bottom))


def _bars(axes: Any, labels: Sequence[str], values: Sequence[int], colours: Sequence[str]) -> None:
    """Horizontal bars, the first label on top, each with its value."""
    slots = max(len(labels), MIN_BAR_SLOTS)
    positions = list(range(slots - 1, slots - 1 - len(labels), -1))
    axes.barh(positions, values, color=colours, height=0.6)
    axes.set_ylim(-0.5, slots - 0.5)
    axes.set_yticks(positions)
    axes.set_yticklabels(labels)
    axes.xaxis.get_major_locator().set_params(integer=True)
    for y, value in zip(positions, values):
        axes.annotate(str(value), (value, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=11)
    _empty(axes, not any(values))


def _short(title: str) -> str:
    """A topic's title as a chart label: at most TITLE_CHARS characters (the table beside it has the whole)."""
    return title if len(title) <= TITLE_CHARS else title[:TITLE_CHARS - 1] + "…"


def daily(summary: Summary) -> bytes:
    """Conversations per day, stacked by channel."""
    labels = [row["day"][5:] for row in summary.daily]
    series = [(CHANNEL_LABELS[c], CHANNEL_COLOURS[c], [int(row[c]) for row in summary.daily]) for c in CHANNELS]
    return _svg(lambda axes: _stacked(axes, labels, series), right=STACKED_RIGHT)


def turns(summary: Summary) -> bytes:
    """User messages by outcome."""
    keys = list(OUTCOME_LABELS)
    values = [int(summary.turns[key]) for key in keys]
    return _svg(lambda axes: _bars(axes, [OUTCOME_LABELS[k] for k in keys], values, [OUTCOME_COLOURS[k] for k in keys]),
                left=0.2)


def topics(summary: Summary) -> bytes:
    """The FAQ answers given most often."""
    labels = [_short(str(row["title"])) for row in summary.topics]
    values = [int(row["count"]) for row in summary.topics]
    height = max(HEIGHT, 0.9 + 0.32 * len(labels))
    return _svg(lambda axes: _bars(axes, labels, values, ["#2f6fb0"] * len(values)), height, left=0.34)


def funnel(summary: Summary) -> bytes:
    """The application's steps, each with how many reached it."""
    labels = [STEP_LABELS[str(row["step"])] for row in summary.funnel]
    values = [int(row["count"]) for row in summary.funnel]
    return _svg(lambda axes: _bars(axes, labels, values, ["#2f6fb0"] * 4 + ["#2e9d5b"]), left=0.2)


def cities(summary: Summary) -> bytes:
    """Applications per week, stacked by city (the busiest nine by name, the rest together)."""
    weeks = [week.isoformat() for week in summary.window.weeks]
    totals: Dict[str, int] = {}
    for row in summary.cities:
        totals[str(row["city"])] = totals.get(str(row["city"]), 0) + int(row["count"])
    named = sorted(totals, key=lambda city: (-totals[city], city))[:TOP_CITIES]
    counts: Dict[Tuple[str, str], int] = {}
    for row in summary.cities:
        city = str(row["city"]) if row["city"] in named else OTHER_CITIES
        counts[(str(row["week"]), city)] = counts.get((str(row["week"]), city), 0) + int(row["count"])
    names = named + ([OTHER_CITIES] if len(totals) > TOP_CITIES else [])
    series = [(city, CITY_COLOURS[n % len(CITY_COLOURS)], [counts.get((week, city), 0) for week in weeks])
              for n, city in enumerate(names)]
    return _svg(lambda axes: _stacked(axes, [w[5:] for w in weeks], series), right=STACKED_RIGHT)


def ratings(summary: Summary) -> bytes:
    """Ratings per week, stacked by stars."""
    labels = [str(row["week"])[5:] for row in summary.ratings]
    series = [(f"{s}星 {STAR_LABELS[s]}", STAR_COLOURS[s], [int(row["counts"][str(s)]) for row in summary.ratings])
              for s in RATINGS]
    return _svg(lambda axes: _stacked(axes, labels, series), right=STACKED_RIGHT)


CHARTS: Dict[str, Callable[[Summary], bytes]] = {
    "daily": daily, "turns": turns, "topics": topics, "funnel": funnel, "cities": cities, "ratings": ratings,
}
