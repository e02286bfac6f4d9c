"""The real-world report: figures per kind before and after, the risk–coverage curve, calibration misses.

`python scripts/realworld_report.py` (part of `make nlu-report`) parses both parts of tests/nlu/realworld/
with the trained model in this process and writes docs/nlu/realworld.md, docs/nlu/risk_coverage.png and
docs/nlu/realworld_figures.json. The "before" figures are the recorded baseline (realworld_baseline.json).
Only the calibration part's misses are listed: the test part is counted, not studied.
"""
from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reissue.answering.plan import Thresholds  # noqa: E402
from reissue.lexicon.documents import DOCUMENT, mentions  # noqa: E402
from scripts.realworld import (  # noqa: E402
    KINDS,
    PARTS,
    Item,
    KindScore,
    Report,
    load_items,
    predicted_labels,
    rethreshold,
    score,
)

OUT = ROOT / "docs" / "nlu"
THRESHOLDS = [round(0.05 * step, 2) for step in range(2, 19)]
TARGET_NAMES = {
    "fully_right": "fully right", "answered_wrong": "answered wrong", "multi_fully_right": "multi-question fully right",
    "not_in_guide_abstained": "not in guide: abstained", "lookalike_routed": "look-alike documents routed right",
    "in_scope_not_refused": "in-scope qualifications not refused",
}


def resolve(name: str) -> str:
    """A gold document name's lexicon key (the scorer's resolver)."""
    found = [m for m in mentions(name) if m.kind == DOCUMENT]
    return found[0].key if found else ""


def parse_all(model: Path, items: Sequence[Item]) -> Dict[str, Dict[str, Any]]:
    """The parse result of every item's text, with the model loaded in this process."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return {item.text: asyncio.run(agent.parse_message(item.text)) for item in items}


def curve(items: Sequence[Item], parses: Dict[str, Dict[str, Any]],
          chosen: Thresholds) -> List[Tuple[float, float, float, float]]:
    """(threshold, share answered, answered wrong among all, fully right) for each answer threshold."""
    points = []
    for threshold in THRESHOLDS:
        at = replace(chosen, answer=threshold)
        report = score(items, lambda text, at=at: rethreshold(parses[text].get("answer_plan") or {}, at), resolve)
        total = report.kind("all")
        points.append((threshold, total.rate("answered"), total.rate("answered_wrong"), total.rate("fully_right")))
    return points


def plot(curves: Dict[str, List[Tuple[float, float, float, float]]], chosen: float, path: Path) -> None:
    """Answered-wrong rate against the share answered, one line per part, the chosen threshold marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    for part, points in curves.items():
        axes.plot([p[1] for p in points], [p[2] for p in points], marker="o", markersize=3, label=part)
        for threshold, answered, wrong, _ in points:
            if abs(threshold - chosen) < 1e-9:
                axes.annotate(f"threshold {chosen}", (answered, wrong), textcoords="offset points", xytext=(6, -12))
    axes.set_xlabel("share of messages answered (coverage)")
    axes.set_ylabel("share answered wrong (risk)")
    axes.set_title("Risk–coverage of the answer threshold (real-world set)")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def kind_rows(before: Dict[str, Dict[str, int]], after: Report) -> List[str]:
    """Markdown rows: per kind, before and after, fully right / answered wrong / abstained."""
    rows = ["| kind | n | before: fully right | before: wrong | now: fully right | now: wrong | now: abstained |",
            "|---|---|---|---|---|---|---|"]
    for kind in KINDS:
        now = after.kind(kind)
        if not now.total:
            continue
        then = KindScore(**before.get(kind, {})) if before.get(kind) else KindScore()
        rows.append(f"| {kind} | {now.total} | {then.rate('fully_right'):.1%} | {then.rate('answered_wrong'):.1%} | "
                    f"{now.rate('fully_right'):.1%} | {now.rate('answered_wrong'):.1%} | {now.rate('abstained'):.1%} |")
    return rows


def markdown(reports: Dict[str, Report], baseline: Dict[str, Any], curves: Dict[str, list], threshold: float) -> str:
    """The whole report."""
    lines = ["# Real-world evaluation", "",
             "Written by `make nlu-report` (`scripts/realworld_report.py`). The set, how it was collected and the scoring",
             "rules: `tests/nlu/realworld/README.md`. Before = " + baseline["model"] + "; now = the model `make train` builds",
             f"from this tree (answer threshold {threshold}, calibrated on the calibration part).", ""]
    for part in PARTS:
        targets = reports[part].targets()
        lines += [f"## {part} part ({reports[part].kind('all').total} messages)", "",
                  "| target | figure |", "|---|---|"]
        lines += [f"| {TARGET_NAMES[name]} | {value:.1%} |" for name, value in targets.items()]
        lines += ["", *kind_rows(baseline["parts"][part], reports[part]), ""]
    lines += ["## Risk–coverage of the answer threshold", "",
              "A question is answered when the classifier's confidence reaches the threshold (or, below it, when the best",
              "guess is at least `lead_floor` and `lead_ratio` times the runner-up: config.yml); otherwise the assistant",
              "says the guide does not cover it and gives the human route. Lower thresholds answer more and get more",
              "wrong. Routing to another document or province does not depend on the threshold.", "",
              "![risk–coverage](risk_coverage.png)", "",
              "| threshold | calibration: answered | calibration: wrong | calibration: fully right "
              "| test: answered | test: wrong | test: fully right |",
              "|---|---|---|---|---|---|---|"]
    for (t, ca, cw, cr), (_, ta, tw, tr) in zip(curves["calibration"], curves["test"]):
        mark = " **(chosen)**" if abs(t - threshold) < 1e-9 else ""
        lines.append(f"| {t}{mark} | {ca:.1%} | {cw:.1%} | {cr:.1%} | {ta:.1%} | {tw:.1%} | {tr:.1%} |")
    lines += ["", "## Calibration misses (the test part's are counted, not listed)", "",
              "| expected | predicted | message |", "|---|---|---|"]
    for item, predicted, verdict in reports["calibration"].misses:
        flag = "**wrong** " if verdict.answered_wrong else ""
        text = item.text.replace("|", "/").replace("\n", " ")
        lines.append(f"| {', '.join(item.answers)} | {flag}{', '.join(predicted)} | {text} |")
    return "\n".join(lines) + "\n"


def planner_thresholds() -> Thresholds:
    """The answer planner's thresholds as config.yml sets them (else their defaults)."""
    import yaml

    from bot.nlu.answer_planner import AnswerPlanner

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    planner = {**AnswerPlanner.get_default_config(),
               **next((c for c in config["pipeline"] if c["name"].endswith("AnswerPlanner")), {})}
    return Thresholds(answer=float(planner["answer_threshold"]), lead_floor=float(planner["lead_floor"]),
                      lead_ratio=float(planner["lead_ratio"]), after_abstention=float(planner["after_abstention"]))


def main() -> int:
    """Parse, score, plot and write the report."""
    model = ROOT / "models" / "reissue.tar.gz"
    items = {part: load_items(part) for part in PARTS}
    parses = parse_all(model, [item for part in PARTS for item in items[part]])
    reports = {part: score(items[part], lambda text: predicted_labels(parses[text]), resolve) for part in PARTS}
    thresholds = planner_thresholds()
    threshold = thresholds.answer
    curves = {part: curve(items[part], parses, thresholds) for part in PARTS}
    baseline = json.loads((OUT / "realworld_baseline.json").read_text(encoding="utf-8"))
    OUT.mkdir(parents=True, exist_ok=True)
    plot(curves, threshold, OUT / "risk_coverage.png")
    (OUT / "realworld.md").write_text(markdown(reports, baseline, curves, threshold), encoding="utf-8")
    figures = {part: {"targets": reports[part].targets(), "kinds": {k: vars(v) for k, v in reports[part].kinds.items()},
                      "curve": curves[part]} for part in PARTS}
    (OUT / "realworld_figures.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    for part in PARTS:
        print(part, {name: round(value, 3) for name, value in reports[part].targets().items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
