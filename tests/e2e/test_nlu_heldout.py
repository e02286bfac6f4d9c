"""The held-out NLU set scored against the running model: the quality gate of `make test`."""
from __future__ import annotations

import json
from pathlib import Path

import requests

from scripts.evaluation import full_intent, load_examples, score

HELDOUT = Path(__file__).resolve().parents[1] / "nlu" / "heldout.yml"
MIN_INTENT_ACCURACY = 0.95
MIN_OOS_ROUTING = 0.90


def test_heldout_accuracy_meets_thresholds(stack, tmp_path) -> None:
    """≥95% exact intent accuracy in scope and ≥90% correct out-of-scope routing, on unseen questions."""
    session = requests.Session()

    def predict(text: str) -> str:
        response = session.post(
            f"{stack.rasa_url}/model/parse", params={"token": stack.rasa_token}, json={"text": text}, timeout=30
        )
        response.raise_for_status()
        return full_intent(response.json())

    examples = load_examples(HELDOUT)
    assert len(examples) >= 180
    result = score(examples, predict)
    misses = sorted(f"{label} → {predicted}: {text}" for (label, predicted, text) in result.confusions)
    artefacts = Path("test-artifacts")
    artefacts.mkdir(exist_ok=True)
    (artefacts / "nlu_heldout.json").write_text(
        json.dumps(
            {"intent_accuracy": result.intent_accuracy, "oos_routing": result.oos_routing,
             "in_scope": result.in_scope_total, "out_of_scope": result.oos_total, "misses": misses},
            ensure_ascii=False, indent=2,
        ),
        encoding="utf-8",
    )
    print(f"held-out: intent accuracy {result.intent_accuracy:.3f} on {result.in_scope_total}, "
          f"out-of-scope routing {result.oos_routing:.3f} on {result.oos_total}")
    assert result.intent_accuracy >= MIN_INTENT_ACCURACY, "\n".join(misses)
    assert result.oos_routing >= MIN_OOS_ROUTING, "\n".join(misses)
