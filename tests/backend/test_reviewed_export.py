"""The reviewed export: valid Rasa NLU for the mapped FAQ keys, never an evaluation question."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from backend import inbox, reviewed_export
from backend.reviewed_export import EVALUATION_DIR, evaluation_texts
from tests.backend.backend_helpers import BOT


def ask(client, text: str) -> int:
    """Record one unanswered question as the bot does."""
    response = client.post("/api/v1/unanswered", headers=BOT, json={"text": text, "kind": "abstain", "channel": "web"})
    assert response.status_code == 201
    return response.json()["id"]


def test_the_export_is_rasa_nlu_under_the_mapped_retrieval_keys(client, app, tmp_path: Path):
    factory = app.state.factory
    inbox.review(factory, [ask(client, "补证要给钱不"), ask(client, "补证要给钱不？")], "map", "wang", "fee")
    inbox.review(factory, [ask(client, "能不能寄到我家里去")], "map", "wang", "express")
    inbox.review(factory, [ask(client, "周六大厅开门吗")], "dismiss", "wang")
    out = tmp_path / "reviewed.yml"
    result = reviewed_export.export(factory, out)
    data = RasaYAMLReader().reads(out.read_text(encoding="utf-8"))
    pairs = sorted((m.get("intent_response_key") or m.get("intent"), m.get("text")) for m in data.intent_examples)
    assert pairs == [("faq/express", "能不能寄到我家里去"), ("faq/fee", "补证要给钱不")]
    assert result.near_evaluation == 0


def test_no_evaluation_question_can_be_exported(client, app, tmp_path: Path):
    evaluation = evaluation_texts(EVALUATION_DIR)
    assert len(evaluation) > 900
    factory = app.state.factory
    for text in evaluation[:3] + evaluation[-3:]:
        inbox.review(factory, [ask(client, text[:1000])], "map", "wang", "fee")
    out = tmp_path / "reviewed.yml"
    result = reviewed_export.export(factory, out)
    assert RasaYAMLReader().reads(out.read_text(encoding="utf-8")).intent_examples == []
    assert result.near_evaluation + result.already_taught == len(set(evaluation[:3] + evaluation[-3:]))
    assert not any(text in out.read_text(encoding="utf-8") for text in evaluation[:3] + evaluation[-3:])


def test_a_missing_evaluation_folder_stops_the_command(app, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", str(app.state.settings.database_url))
    code = reviewed_export.main(["--out", str(tmp_path / "r.yml"), "--evaluation", str(tmp_path / "none")])
    assert code == 1 and not (tmp_path / "r.yml").exists()
    assert reviewed_export.main(["--out", str(tmp_path / "r.yml")]) == 0
    assert "0 examples" in capsys.readouterr().out


@pytest.mark.parametrize("text", ["- 开头有横线", "要[多少](钱)"])
def test_awkward_texts_stay_one_plain_example(client, app, tmp_path: Path, text: str):
    inbox.review(app.state.factory, [ask(client, text)], "map", "wang", "fee")
    out = tmp_path / "reviewed.yml"
    reviewed_export.export(app.state.factory, out)
    examples = RasaYAMLReader().reads(out.read_text(encoding="utf-8")).intent_examples
    assert len(examples) == 1 and examples[0].get("entities") in (None, [])
