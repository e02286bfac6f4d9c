"""The real-world test part scored against the running server: the quality gate of `make test`.

Floors sit a little below the figures measured on the test part (docs/nlu/realworld.md); the issue's targets
are higher and not yet met — the report says by how much.
"""
from __future__ import annotations

import json
from pathlib import Path

import requests

from scripts.realworld import load_items, predicted_labels, score
from scripts.realworld_report import resolve

FLOORS = {
    "fully_right": 0.71,
    "multi_fully_right": 0.50,
    "not_in_guide_abstained": 0.75,
    "lookalike_routed": 0.80,
    "in_scope_not_refused": 0.98,
}
CEILINGS = {"answered_wrong": 0.095}


def test_realworld_test_part_meets_the_floors(stack) -> None:
    session = requests.Session()

    def predict(text: str) -> list:
        response = session.post(f"{stack.rasa_url}/model/parse", params={"token": stack.rasa_token},
                                json={"text": text}, timeout=30)
        response.raise_for_status()
        return predicted_labels(response.json())

    report = score(load_items("test"), predict, resolve)
    targets = report.targets()
    artefacts = Path("test-artifacts")
    artefacts.mkdir(exist_ok=True)
    (artefacts / "nlu_realworld.json").write_text(json.dumps(
        {"targets": targets, "kinds": {k: vars(v) for k, v in report.kinds.items()}}, ensure_ascii=False, indent=2),
        encoding="utf-8")
    print("real-world test part:", {k: round(v, 3) for k, v in targets.items()})
    for name, floor in FLOORS.items():
        assert targets[name] >= floor, (name, targets[name])
    for name, ceiling in CEILINGS.items():
        assert targets[name] <= ceiling, (name, targets[name])
