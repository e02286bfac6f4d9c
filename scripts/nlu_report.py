"""`make nlu-report`: held-out and cross-validation reports (per-intent F1, confusions) into docs/nlu/."""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.evaluation import full_intent, load_examples, score  # noqa: E402

OUT = ROOT / "docs" / "nlu"


def heldout_report(model: Path) -> str:
    """Score the held-out set with the model loaded in-process; return the Markdown report."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    examples = load_examples(ROOT / "tests" / "nlu" / "heldout.yml")

    def predict(text: str) -> str:
        return full_intent(asyncio.run(agent.parse_message(text)))

    result = score(examples, predict)
    lines = [
        "# Held-out NLU evaluation", "",
        f"- in-scope intent accuracy (exact, incl. FAQ key): **{result.intent_accuracy:.1%}** "
        f"({result.in_scope_correct}/{result.in_scope_total})",
        f"- out-of-scope routing: **{result.oos_routing:.1%}** ({result.oos_routed}/{result.oos_total})", "",
        "| label | F1 | support |", "|---|---|---|",
    ]
    labels = sorted({label for _, label in examples})
    for label in labels:
        support = sum(1 for _, gold in examples if gold == label)
        lines.append(f"| {label} | {result.f1(label):.2f} | {support} |")
    lines += ["", "## Misclassified", "", "| expected | predicted | text |", "|---|---|---|"]
    for (label, predicted, text), _ in sorted(result.confusions.items()):
        lines.append(f"| {label} | {predicted} | {text.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def cross_validation(folds: int) -> Path:
    """`rasa test nlu --cross-validation` with its reports copied into docs/nlu/cross_validation/ (returned)."""
    rasa = str(Path(sys.executable).with_name("rasa"))
    target = OUT / "cross_validation"
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [rasa, "test", "nlu", "--nlu", "data/nlu", "--cross-validation", "--folds", str(folds),
             "--config", "config.yml", "--out", out, "--no-plot"],
            cwd=ROOT, check=True, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        )
        for name in ("intent_report.json", "response_selection_report.json"):
            source = Path(out) / name
            if source.exists():
                (target / name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def cross_validation_summary(folds: int, target: Path) -> str:
    """docs/nlu/cross_validation/README.md from the JSON reports Rasa wrote: accuracies and F1 per label."""
    import json

    intents = json.loads((target / "intent_report.json").read_text(encoding="utf-8"))
    answers_path = target / "response_selection_report.json"
    answers = json.loads(answers_path.read_text(encoding="utf-8")) if answers_path.exists() else {}

    def rows(report: dict) -> list:
        """(label, scores) of the labels, weakest first."""
        labels = [(k, v) for k, v in report.items() if isinstance(v, dict) and "f1-score" in v and "avg" not in k]
        return sorted(labels, key=lambda kv: kv[1]["f1-score"])

    lines = [
        f"# {folds}-fold cross-validation of the NLU training data", "",
        f"Written by `make nlu-report` (`rasa test nlu --cross-validation --folds {folds}`, config.yml, data/nlu).",
        "Each fold trains on the other folds' examples and tests on its own; Rasa scores the classifier's top",
        "intent (a FallbackClassifier decision is undone for scoring).", "",
        f"- intent accuracy: **{intents.get('accuracy', 0):.1%}**",
        f"- FAQ answer (response selector, `faq/<key>`): **{answers.get('accuracy', 0):.1%}**", "",
        "How to read it: the held-out set (`heldout_report.md`, sentences written independently and never trained",
        "on) is scored with the model trained on all the data; cross-validation removes part of every intent's",
        "examples, so labels with few examples drop most. The weakest labels below are where new, varied",
        "examples help first.", "",
        "| intent | F1 | precision | recall | examples |", "|---|---|---|---|---|",
    ]
    for label, v in rows(intents):
        lines.append(f"| {label} | {v['f1-score']:.2f} | {v['precision']:.2f} | {v['recall']:.2f} | {int(v['support'])} |")
    lines += ["", "| FAQ answer | F1 | examples |", "|---|---|---|"]
    for label, v in rows(answers):
        lines.append(f"| {label} | {v['f1-score']:.2f} | {int(v['support'])} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write the reports."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--heldout-only", action="store_true")
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    report = heldout_report(ROOT / "models" / "reissue.tar.gz")
    (OUT / "heldout_report.md").write_text(report, encoding="utf-8")
    print(report.split("\n| label")[0])
    if not args.heldout_only:
        target = cross_validation(args.folds)
        (target / "README.md").write_text(cross_validation_summary(args.folds, target), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
